// attnscope model: GPT-2 model folders. `synth` writes a random checkpoint of any shape (with a
// byte-level tokenizer) so that everything can be tried without downloading weights; `bench`
// times loading a folder and the forward pass.
#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <omp.h>

#include "attnscope/error.hpp"
#include "attnscope/gpt2_weights.hpp"
#include "attnscope/model.hpp"
#include "attnscope/run.hpp"
#include "cli/common.hpp"
#include "cli/subcommands.hpp"

namespace attnscope::cli {
namespace {

using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
}

void add_synth(CLI::App& parent) {
    struct Options {
        std::string out;
        Gpt2Config config{12, 12, 768, 1024, 50257};
        std::uint64_t seed = 1;
    };
    auto o = std::make_shared<Options>();
    CLI::App* cmd = parent.add_subcommand("synth", "Write a random GPT-2 checkpoint (default: GPT-2 small's shapes, 124M parameters)");
    cmd->add_option("--out", o->out, "Model folder to write")->required();
    cmd->add_option("--layers", o->config.n_layer, "n_layer")->capture_default_str();
    cmd->add_option("--heads", o->config.n_head, "n_head")->capture_default_str();
    cmd->add_option("--embd", o->config.n_embd, "n_embd")->capture_default_str();
    cmd->add_option("--ctx", o->config.n_ctx, "n_positions")->capture_default_str();
    cmd->add_option("--vocab", o->config.vocab_size, "vocab_size (at least 512)")->capture_default_str();
    cmd->add_option("--seed", o->seed, "Seed")->capture_default_str();
    cmd->callback([o] {
        // Checked before anything is written, so that a refused request leaves no half-made folder.
        constexpr int kMinVocab = 512;  // save_byte_tokenizer's vocabulary fits
        if (o->config.vocab_size < kMinVocab)
            throw attnscope::Error("--vocab (" + std::to_string(o->config.vocab_size) + ") must be at least " +
                                   std::to_string(kMinVocab) + " (the byte-level tokenizer's tokens fit): raise it");
        check_gpt2_limits(o->config);  // what its own loader would refuse is not written
        save_gpt2(o->out, random_gpt2(o->config, o->seed));
        const int tokenizer_vocab = save_byte_tokenizer(o->out);
        std::printf("wrote %s: %d layers x %d heads, n_embd %d, n_ctx %d, vocab %d (tokenizer %d)\n", o->out.c_str(),
                    o->config.n_layer, o->config.n_head, o->config.n_embd, o->config.n_ctx, o->config.vocab_size, tokenizer_vocab);
    });
}

void add_bench(CLI::App& parent) {
    struct Options {
        std::string model;
        int tokens = 32;
        int repeats = 5;
        std::string text = "The animal didn't cross the street because it was too tired, so it sat on the mat and the cat said it was too.";
        std::string out;
    };
    auto o = std::make_shared<Options>();
    CLI::App* cmd = parent.add_subcommand("bench", "Time loading a model folder and the forward pass");
    cmd->add_option("--model", o->model, "Model folder")->required();
    cmd->add_option("--tokens", o->tokens, "Tokens per forward pass")->capture_default_str();
    cmd->add_option("--repeats", o->repeats, "Timed repetitions (the median is reported)")->capture_default_str();
    cmd->add_option("--text", o->text, "Text for the traced run (run() with every layer and head recorded)");
    cmd->add_option("--out", o->out, "Also write the figures as JSON");
    cmd->callback([o] {
        if (o->tokens < 1 || o->repeats < 1) throw attnscope::Error("--tokens and --repeats must be at least 1");
        std::vector<double> load_ms;
        Gpt2Weights w;
        for (int r = 0; r < o->repeats; ++r) {  // the first load may read from disk; later ones are warm
            const auto t0 = Clock::now();
            w = load_gpt2(o->model);
            load_ms.push_back(ms_since(t0));
        }
        const Gpt2Config& c = w.config;
        if (o->tokens > c.n_ctx) throw attnscope::Error("--tokens must be at most the model's context (" + std::to_string(c.n_ctx) + ")");
        std::vector<int> ids(o->tokens);
        for (int i = 0; i < o->tokens; ++i) ids[i] = (i * 7919 + 13) % c.vocab_size;
        std::vector<double> forward_ms, forward_cpu_ms, traced_ms;
        gpt2_forward(w, ids);  // warm-up
        for (int r = 0; r < o->repeats; ++r) {
            const auto t0 = Clock::now();
            const std::clock_t c0 = std::clock();  // CPU time of all threads: shows a busy machine's share
            gpt2_forward(w, ids);
            forward_ms.push_back(ms_since(t0));
            forward_cpu_ms.push_back(1000.0 * static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC);
        }
        Inputs in;
        in.model = o->model;
        in.text = o->text;
        ModelStore store;
        RunContext context;
        context.models = &store;
        int traced_tokens = run(in, context).n();  // also loads the model into the store
        for (int r = 0; r < o->repeats; ++r) {
            auto t0 = Clock::now();
            traced_tokens = run(in, context).n();
            traced_ms.push_back(ms_since(t0));
        }
        const long long params = gpt2_parameter_count(c);
        std::printf("model %s: %d layers x %d heads, n_embd %d, vocab %d, %.1fM parameters\n", o->model.c_str(), c.n_layer,
                    c.n_head, c.n_embd, c.vocab_size, params / 1e6);
        std::printf("load (config.json + model.safetensors): first %.0f ms, median %.0f ms\n", load_ms.front(), median(load_ms));
        std::printf("forward, %d tokens (next-token logits): median %.1f ms wall, %.1f ms CPU over %d threads\n", o->tokens,
                    median(forward_ms), median(forward_cpu_ms), omp_get_max_threads());
        std::printf("traced run (run(): forward + every layer and head as a Trace), %d tokens: median %.1f ms\n",
                    traced_tokens, median(traced_ms));
        nlohmann::json j = {{"schema", "attnscope.model_bench/1"}, {"model", o->model}, {"parameters", params},
                            {"tokens", o->tokens}, {"load_ms", load_ms}, {"forward_ms", forward_ms}, {"forward_cpu_ms", forward_cpu_ms},
                            {"traced_tokens", traced_tokens}, {"traced_ms", traced_ms}};
        if (!o->out.empty()) write_output(o->out, j.dump(2) + "\n");
    });
}

}  // namespace

void add_model_command(CLI::App& app) {
    CLI::App* cmd = app.add_subcommand("model", "GPT-2 model folders: write a synthetic one, time one");
    cmd->require_subcommand(1);
    add_synth(*cmd);
    add_bench(*cmd);
}

}  // namespace attnscope::cli
