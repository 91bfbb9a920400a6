// attnscope tokenize: the tokens of a text as JSON. With the built-in tokenizer a
// token's id is its index in the order pieces first appear, so repeated words share an id.
#include <map>
#include <memory>

#include "attnscope/tokenizer.hpp"
#include "cli/common.hpp"
#include "cli/subcommands.hpp"
#include <nlohmann/json.hpp>

namespace attnscope::cli {

void add_tokenize_command(CLI::App& app) {
    struct Options {
        std::string text = Inputs{}.text;
        bool bos = false;
    };
    auto opts = std::make_shared<Options>();
    CLI::App* cmd = app.add_subcommand("tokenize", "Print the token ids and pieces of a text as JSON");
    cmd->add_option("--text", opts->text, "The text (UTF-8)")->capture_default_str();
    cmd->add_flag("--bos", opts->bos, "Prepend a <bos> token");
    cmd->callback([opts] {
        const std::vector<std::string> pieces = tokenize(opts->text, opts->bos);
        std::map<std::string, int> first_seen;
        nlohmann::json ids = nlohmann::json::array();
        for (const std::string& p : pieces) ids.push_back(first_seen.emplace(p, first_seen.size()).first->second);
        const nlohmann::json out = {{"tokenizer", "builtin"}, {"ids", ids}, {"pieces", pieces}};
        write_output("-", out.dump() + "\n");
    });
}

}  // namespace attnscope::cli
