// attnscope train: trains a small GPT-2-style model on a generated task or a text corpus, printing
// the loss as it goes, and writes a model folder the loader reads (config.json, model.safetensors
// and a tokenizer). For reverse it also times how long the anti-diagonal takes to form.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "attnscope/bpe.hpp"
#include "attnscope/bpe_train.hpp"
#include "attnscope/error.hpp"
#include "attnscope/export.hpp"
#include "attnscope/gpt2.hpp"
#include "attnscope/train_tasks.hpp"
#include "cli/subcommands.hpp"

namespace attnscope::cli {
namespace {

namespace fs = std::filesystem;

struct TrainOptions {
    std::string task = "reverse";
    train::TrainSettings settings;
    int symbols = 10, length = 8;
    std::vector<std::string> corpus;
    std::string tokenizer;
    int merges = 2048;
    int context = 64;
    std::string out;
    int log_every = 50;
    int save_every = 0;   // also write --out every this many steps (0: only at the end)
    double target = 0.9;  // reverse: the pattern score that counts as learned
};

std::string read_file(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) throw Error("cannot read corpus file " + path + ": check the path");
    std::ostringstream s;
    s << f.rdbuf();
    return s.str();
}

// Old terminals' overstriking ("_\bA" underlines A, as fortune files do): keep what is seen.
std::string without_overstrikes(const std::string& line) {
    std::string out;
    for (char c : line) {
        if (c == '\b') {
            if (!out.empty()) out.pop_back();
        } else {
            out += c;
        }
    }
    return out;
}

// The corpus as one text: each file's lines that are a lone "%" (fortune files' separators)
// become blank lines, overstrikes are resolved; files are joined with a blank line.
std::string read_corpus(const std::vector<std::string>& paths) {
    std::string text;
    for (const std::string& path : paths) {
        std::istringstream in(read_file(path));
        std::string line;
        while (std::getline(in, line)) text += (line == "%" ? std::string() : without_overstrikes(line)) + "\n";
        text += "\n";
    }
    if (text.find_first_not_of(" \n\t") == std::string::npos) throw Error("the corpus is empty: give --corpus FILE");
    return text;
}

// --out DIR writes DIR/config.json, DIR/model.safetensors and the tokenizer; --out FILE.safetensors
// writes FILE.safetensors with config.json and the tokenizer beside it.
struct OutPlace {
    fs::path dir;
    std::string weights_file;
};
OutPlace out_place(const std::string& out) {
    if (fs::path(out).extension() != ".safetensors") return {fs::path(out), "model.safetensors"};
    return {fs::absolute(out).parent_path(), fs::path(out).filename().string()};
}

// Before training: --out must not replace another model's config.json or tokenizer (a fine-tuned
// FILE.safetensors beside a model used to replace its config and delete its model.safetensors).
// Files with the content this run writes (an earlier --save-every) are fine.
void check_out(const std::string& out, const Gpt2Config& c, const BpeVocabulary* vocab, const std::string& tokenizer_dir) {
    const fs::path dir = out_place(out).dir;
    std::vector<std::pair<std::string, std::string>> planned = {{"config.json", gpt2_config_json(c)}};
    if (vocab) {
        planned.push_back({"vocab.json", vocab->vocab_json()});
        planned.push_back({"merges.txt", vocab->merges_txt()});
    } else if (!tokenizer_dir.empty() && fs::absolute(tokenizer_dir) != fs::absolute(dir)) {
        for (const char* name : {"vocab.json", "merges.txt"}) planned.push_back({name, read_file((fs::path(tokenizer_dir) / name).string())});
    }
    std::error_code ec;
    for (const auto& [name, content] : planned) {
        const fs::path path = dir / name;
        if (fs::exists(fs::symlink_status(path, ec)) && (!fs::is_regular_file(path, ec) || read_file(path.string()) != content))
            throw Error(dir.string() + " already holds another model's " + name + ", which --out " + out +
                        " would replace: write to a new folder, e.g. --out " + (dir / "trained").string());
    }
}

void write_model(const std::string& out, const train::Model<float>& model, const BpeVocabulary* vocab,
                 const std::string& tokenizer_dir) {
    const auto [dir, weights_file] = out_place(out);
    save_gpt2(dir.string(), train::to_gpt2(model), weights_file);
    if (vocab) write_bpe(dir.string(), *vocab);
    if (!tokenizer_dir.empty() && fs::absolute(tokenizer_dir) != fs::absolute(dir))
        for (const char* name : {"vocab.json", "merges.txt"})
            fs::copy_file(fs::path(tokenizer_dir) / name, dir / name, fs::copy_options::overwrite_existing);
}

void run_train(const TrainOptions& o) {
    using clock = std::chrono::steady_clock;
    train::Task task;
    task.kind = train::parse_task(o.task);
    task.symbols = o.symbols;
    task.length = o.length;
    task.context = o.context;
    std::optional<BpeVocabulary> vocab;
    if (task.kind == train::TaskKind::Text) {
        if (o.corpus.empty()) throw Error("--task text needs --corpus FILE (repeatable)");
        const std::string text = read_corpus(o.corpus);
        if (o.tokenizer.empty()) {
            const auto t0 = clock::now();
            vocab = train_bpe(text, o.merges);
            std::printf("tokenizer: %zu tokens (%zu merges) trained on %zu bytes in %.1f s\n", vocab->tokens.size(),
                        vocab->merges.size(), text.size(), std::chrono::duration<double>(clock::now() - t0).count());
        }
        const BpeTokenizer tok = o.tokenizer.empty()
                                     ? BpeTokenizer::from_strings(vocab->vocab_json(), vocab->merges_txt())
                                     : BpeTokenizer::load(o.tokenizer);
        task.corpus = tok.encode(text);
        task.corpus_vocab = tok.vocab_size();
        std::printf("corpus: %zu bytes, %zu tokens; unigram loss %.3f\n", text.size(), task.corpus.size(),
                    train::unigram_loss(task));
    } else if (o.symbols <= 26) {
        vocab = train::letters_vocabulary(task);
    }
    train::Trainer trainer(task, o.settings);
    const Gpt2Config& c = trainer.model().config();
    if (!o.out.empty()) check_out(o.out, c, vocab ? &*vocab : nullptr, o.tokenizer);
    std::printf("task %s: %d layers, %d heads, d_model %d, context %d, vocab %d, %ld parameters; batch %d, lr %g\n",
                o.task.c_str(), c.n_layer, c.n_head, c.n_embd, c.n_ctx, c.vocab_size,
                trainer.model().layout().total, o.settings.batch, o.settings.lr);
    std::printf("unigram baseline loss %.3f\n", train::unigram_loss(task));

    // Reverse: a fixed evaluation batch, scored every 10 steps, for the time to the pattern.
    const bool reverse = task.kind == train::TaskKind::Reverse;
    Rng eval_rng(hash64("eval", o.settings.seed));
    const train::Batch eval = train::sample_batch(task, 64, eval_rng);
    auto pattern_score = [&] {
        double best = 0;
        trainer.model().forward(eval.tokens.data(), nullptr, eval.B, eval.T);
        for (int l = 0; l < c.n_layer; ++l)
            best = std::max(best, train::reverse_pattern_score(trainer.model(), l, task.length));
        return best;
    };
    const auto start = clock::now();
    double reached_at = -1;
    int reached_step = -1;
    double recent = 0;
    int recent_n = 0;
    for (int s = 1; s <= o.settings.steps; ++s) {
        recent += trainer.step(), ++recent_n;
        const double elapsed = std::chrono::duration<double>(clock::now() - start).count();
        if (reverse && reached_step < 0 && s % 10 == 0 && pattern_score() >= o.target) {
            reached_at = std::chrono::duration<double>(clock::now() - start).count();
            reached_step = s;
            std::printf("reverse pattern reached: %.0f%% of queries put their largest weight on key n-1-i after "
                        "%d steps, %.2f s\n",
                        100 * o.target, s, reached_at);
        }
        if (s % o.log_every == 0 || s == o.settings.steps) {
            std::printf("step %6d  loss %.4f  %.1f s", s, recent / recent_n, elapsed);
            if (reverse) std::printf("  pattern %.3f", pattern_score());
            if (task.kind == train::TaskKind::Induction) {
                trainer.model().forward(eval.tokens.data(), eval.targets.data(), eval.B, eval.T);
                std::printf("  induction weight %.3f", train::induction_pattern_score(trainer.model(), c.n_layer - 1));
            }
            std::printf("\n");
            std::fflush(stdout);
            recent = 0, recent_n = 0;
        }
        if (o.save_every > 0 && s % o.save_every == 0 && s < o.settings.steps && !o.out.empty())
            write_model(o.out, trainer.model(), vocab ? &*vocab : nullptr, o.tokenizer);
    }
    const double total = std::chrono::duration<double>(clock::now() - start).count();
    std::printf("trained %d steps in %.1f s (%.1f ms/step)\n", o.settings.steps, total, 1000 * total / o.settings.steps);
    if (reverse && reached_step < 0)
        std::printf("reverse pattern NOT reached (best layer's score %.3f < %.2f): train longer\n", pattern_score(),
                    o.target);
    if (!o.out.empty()) {
        write_model(o.out, trainer.model(), vocab ? &*vocab : nullptr, o.tokenizer);
        std::printf("wrote %s\n", o.out.c_str());
    }
}

}  // namespace

void add_train_command(CLI::App& app) {
    auto o = std::make_shared<TrainOptions>();
    CLI::App* cmd = app.add_subcommand("train", "Train a small GPT-2-style model on a task or a text corpus");
    cmd->add_option("--task", o->task, "copy|reverse|sort|induction|text")->capture_default_str();
    cmd->add_option("--steps", o->settings.steps, "Training steps (batches)")->capture_default_str();
    cmd->add_option("--seed", o->settings.seed, "Seed for the initial weights and the batches")->capture_default_str();
    cmd->add_option("--out", o->out, "Model folder to write (or FILE.safetensors, config.json beside it)");
    cmd->add_option("--layers", o->settings.n_layer, "Layers")->capture_default_str();
    cmd->add_option("--heads", o->settings.n_head, "Heads per layer")->capture_default_str();
    cmd->add_option("--d-model", o->settings.n_embd, "Model width (n_embd)")->capture_default_str();
    cmd->add_option("--batch", o->settings.batch, "Sequences per step")->capture_default_str();
    cmd->add_option("--lr", o->settings.lr, "Peak learning rate (AdamW; warm-up, then cosine to 10%)")
        ->capture_default_str();
    cmd->add_option("--weight-decay", o->settings.weight_decay, "AdamW weight decay (matrices only)")
        ->capture_default_str();
    cmd->add_option("--clip", o->settings.clip, "Gradient clipping: largest global norm")->capture_default_str();
    cmd->add_option("--warmup", o->settings.warmup, "Warm-up steps")->capture_default_str();
    cmd->add_option("--symbols", o->symbols, "Synthetic tasks: distinct symbols (<= 26 also writes a tokenizer a..z)")
        ->capture_default_str();
    cmd->add_option("--length", o->length, "Synthetic tasks: sequence length n (tokens = 2n)")->capture_default_str();
    cmd->add_option("--corpus", o->corpus, "Text: corpus file (repeatable; lines of a lone % separate entries)");
    cmd->add_option("--tokenizer", o->tokenizer, "Text: folder with vocab.json + merges.txt (default: train one)");
    cmd->add_option("--merges", o->merges, "Text: BPE merges to train when no --tokenizer")->capture_default_str();
    cmd->add_option("--context", o->context, "Text: tokens per window (n_ctx)")->capture_default_str();
    cmd->add_option("--log-every", o->log_every, "Print the mean loss every this many steps")->capture_default_str();
    cmd->add_option("--save-every", o->save_every, "Also write --out every this many steps (0: at the end only)")
        ->capture_default_str();
    cmd->callback([o] {
        if (o->log_every < 1) throw Error("--log-every must be at least 1");
        run_train(*o);
    });
}

}  // namespace attnscope::cli
