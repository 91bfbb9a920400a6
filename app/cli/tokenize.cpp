// attnscope tokenize: the tokens of a text as JSON. With the built-in tokenizer a
// token's id is its index in the order pieces first appear, so repeated words share an id.
// With --model DIR, the model folder's GPT-2 byte-level BPE gives the vocabulary's ids.
#include <map>
#include <memory>

#include "attnscope/bpe.hpp"
#include "attnscope/error.hpp"
#include "attnscope/tokenizer.hpp"
#include "cli/common.hpp"
#include "cli/subcommands.hpp"
#include <nlohmann/json.hpp>

namespace attnscope::cli {

void add_tokenize_command(CLI::App& app) {
    struct Options {
        std::string text = Inputs{}.text;
        std::string model;
        bool bos = false;
    };
    auto opts = std::make_shared<Options>();
    CLI::App* cmd = app.add_subcommand("tokenize", "Print the token ids and pieces of a text as JSON");
    cmd->add_option("--text", opts->text, "The text (UTF-8)")->capture_default_str();
    cmd->add_option("--model", opts->model,
                    "A model folder: tokenize with its GPT-2 BPE (vocab.json + merges.txt, or encoder.json + vocab.bpe)");
    cmd->add_flag("--bos", opts->bos, "Prepend a <bos> token (built-in tokenizer only)");
    cmd->callback([opts] {
        if (!opts->model.empty()) {
            if (opts->bos) throw attnscope::Error("--bos applies to the built-in tokenizer only; GPT-2 has no <bos>: drop --bos");
            const BpeTokenizer bpe = BpeTokenizer::load(opts->model);
            const std::vector<int> ids = bpe.encode(opts->text);
            nlohmann::json pieces = nlohmann::json::array();
            for (int id : ids) pieces.push_back(bpe.piece(id));
            const nlohmann::json out = {{"tokenizer", "gpt2-bpe"}, {"model", opts->model}, {"ids", ids}, {"pieces", pieces}};
            write_output("-", out.dump() + "\n");
            return;
        }
        const std::vector<std::string> pieces = tokenize(opts->text, opts->bos);
        std::map<std::string, int> first_seen;
        nlohmann::json ids = nlohmann::json::array();
        for (const std::string& p : pieces) ids.push_back(first_seen.emplace(p, first_seen.size()).first->second);
        const nlohmann::json out = {{"tokenizer", "builtin"}, {"ids", ids}, {"pieces", pieces}};
        write_output("-", out.dump() + "\n");
    });
}

}  // namespace attnscope::cli
