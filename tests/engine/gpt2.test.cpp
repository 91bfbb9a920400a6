// Tests engine/src/gpt2.cpp, gpt2_forward.cpp and model_run.cpp on tiny checkpoints written here.
// The forward pass itself is checked against an independent numpy reference in
// tests/reference/gpt2_reference.py; here: saving and loading, the loader's errors, properties
// of the forward pass (causality) and of the traced model run, and the weights cache.
#include "attnscope/gpt2.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <fstream>
#include <string>

#include "attnscope/error.hpp"
#include "attnscope/model.hpp"
#include "attnscope/run.hpp"
#include "attnscope/safetensors.hpp"
#include "attnscope/trace_json.hpp"
#include "../test_helpers.hpp"

using namespace attnscope;
namespace fs = std::filesystem;

namespace {

fs::path scratch_dir(const std::string& name) {
    const auto dir = fs::temp_directory_path() / ("attnscope_gpt2_test_" + std::to_string(::getpid()) + "_" + name);
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir;
}

Gpt2Config tiny_config() { return Gpt2Config{2, 3, 12, 16, 512}; }

// A model folder: random weights and the byte-level tokenizer.
std::string tiny_model(const std::string& name, std::uint64_t seed = 3) {
    const std::string dir = scratch_dir(name).string();
    save_gpt2(dir, random_gpt2(tiny_config(), seed));
    save_byte_tokenizer(dir);
    return dir;
}

std::vector<TensorF32> all_tensors(const std::string& dir) {
    const SafetensorsFile f = SafetensorsFile::open(dir + "/model.safetensors");
    std::vector<TensorF32> out;
    for (const TensorInfo& t : f.tensors()) out.push_back({t.name, t.shape, f.read_f32(t.name)});
    return out;
}

void write_text(const fs::path& path, const std::string& text) {
    std::ofstream(path) << text;
}

void require_message(const std::function<void()>& f, const std::vector<std::string>& parts) {
    try {
        f();
    } catch (const Error& e) {
        const std::string message = e.what();
        INFO(message);
        for (const std::string& p : parts) CHECK(message.find(p) != std::string::npos);
        return;
    }
    FAIL("no Error thrown");
}

}  // namespace

TEST_CASE("save_gpt2 then load_gpt2 gives back every tensor exactly") {
    const Gpt2Weights w = random_gpt2(tiny_config(), 11);
    const std::string dir = scratch_dir("roundtrip").string();
    save_gpt2(dir, w);
    const Gpt2Weights r = load_gpt2(dir);
    CHECK(r.config.n_layer == 2);
    CHECK(r.config.n_head == 3);
    CHECK(r.config.n_embd == 12);
    CHECK(r.config.n_ctx == 16);
    CHECK(r.config.vocab_size == 512);
    CHECK(r.config.layer_norm_epsilon == w.config.layer_norm_epsilon);
    CHECK(r.wte == w.wte);
    CHECK(r.wpe == w.wpe);
    CHECK(r.ln_f_weight == w.ln_f_weight);
    CHECK(r.ln_f_bias == w.ln_f_bias);
    for (int i = 0; i < 2; ++i) {
        CHECK(r.h[i].ln_1_weight == w.h[i].ln_1_weight);
        CHECK(r.h[i].ln_1_bias == w.h[i].ln_1_bias);
        CHECK(r.h[i].attn_c_attn_weight == w.h[i].attn_c_attn_weight);
        CHECK(r.h[i].attn_c_attn_bias == w.h[i].attn_c_attn_bias);
        CHECK(r.h[i].attn_c_proj_weight == w.h[i].attn_c_proj_weight);
        CHECK(r.h[i].attn_c_proj_bias == w.h[i].attn_c_proj_bias);
        CHECK(r.h[i].ln_2_weight == w.h[i].ln_2_weight);
        CHECK(r.h[i].ln_2_bias == w.h[i].ln_2_bias);
        CHECK(r.h[i].mlp_c_fc_weight == w.h[i].mlp_c_fc_weight);
        CHECK(r.h[i].mlp_c_fc_bias == w.h[i].mlp_c_fc_bias);
        CHECK(r.h[i].mlp_c_proj_weight == w.h[i].mlp_c_proj_weight);
        CHECK(r.h[i].mlp_c_proj_bias == w.h[i].mlp_c_proj_bias);
    }
    // Hugging Face names, the shapes of config.json, no separate output head (tied).
    const std::vector<TensorF32> tensors = all_tensors(dir);
    CHECK(tensors.size() == 4 + 12 * 2);
    const SafetensorsFile f = SafetensorsFile::open(dir + "/model.safetensors");
    REQUIRE(f.find("h.1.attn.c_attn.weight") != nullptr);
    CHECK(f.find("h.1.attn.c_attn.weight")->shape == std::vector<std::int64_t>{12, 36});
    CHECK(f.find("h.0.mlp.c_proj.weight")->shape == std::vector<std::int64_t>{48, 12});
    CHECK(f.find("lm_head.weight") == nullptr);
}

TEST_CASE("load_gpt2 reads the transformer. prefix and ignores the attention mask buffers") {
    const std::string dir = tiny_model("prefix");
    const Gpt2Weights plain = load_gpt2(dir);
    std::vector<TensorF32> tensors = all_tensors(dir);
    for (TensorF32& t : tensors) t.name = "transformer." + t.name;
    for (int i = 0; i < 2; ++i) {
        tensors.push_back({"transformer.h." + std::to_string(i) + ".attn.bias", {1, 1, 16, 16}, std::vector<float>(256, 1.0f)});
        tensors.push_back({"transformer.h." + std::to_string(i) + ".attn.masked_bias", {}, {-1e4f}});
    }
    tensors.push_back({"lm_head.weight", {512, 12}, std::vector<float>(512 * 12, 0.0f)});
    write_safetensors(dir + "/model.safetensors", tensors);
    const Gpt2Weights prefixed = load_gpt2(dir);
    CHECK(prefixed.wte == plain.wte);
    CHECK(prefixed.h[1].mlp_c_fc_weight == plain.h[1].mlp_c_fc_weight);
    CHECK(prefixed.ln_f_bias == plain.ln_f_bias);
}

TEST_CASE("load_gpt2 names what is missing or wrong") {
    const std::string dir = tiny_model("errors");
    const fs::path config = fs::path(dir) / "config.json";

    SECTION("a folder that does not exist") {
        require_message([&] { load_gpt2(dir + "/nope"); }, {"does not exist"});
    }
    SECTION("no config.json") {
        fs::remove(config);
        require_message([&] { load_gpt2(dir); }, {"config.json", "model.safetensors"});
    }
    SECTION("config.json that is not JSON") {
        write_text(config, "{\"n_layer\": 2,");
        require_message([&] { load_gpt2(dir); }, {"config.json", "not valid JSON"});
    }
    SECTION("config.json without a key") {
        write_text(config, R"({"n_layer": 2, "n_head": 3, "n_embd": 12, "vocab_size": 512})");
        require_message([&] { load_gpt2(dir); }, {"n_positions"});
    }
    SECTION("heads that do not divide n_embd") {
        write_text(config, R"({"n_layer": 2, "n_head": 5, "n_embd": 12, "n_positions": 16, "vocab_size": 512})");
        require_message([&] { load_gpt2(dir); }, {"n_head (5) must divide n_embd (12)"});
    }
    SECTION("another architecture") {
        write_text(config, R"({"model_type": "llama", "n_layer": 2})");
        require_message([&] { load_gpt2(dir); }, {"llama", "GPT-2"});
    }
    SECTION("no model.safetensors, only a pickle") {
        fs::remove(fs::path(dir) / "model.safetensors");
        write_text(fs::path(dir) / "pytorch_model.bin", "pickle");
        require_message([&] { load_gpt2(dir); }, {"no model.safetensors", "pickle", "never loaded"});
    }
    SECTION("a missing tensor") {
        std::vector<TensorF32> tensors = all_tensors(dir);
        std::erase_if(tensors, [](const TensorF32& t) { return t.name == "h.1.mlp.c_fc.bias"; });
        write_safetensors(dir + "/model.safetensors", tensors);
        require_message([&] { load_gpt2(dir); }, {"no tensor \"h.1.mlp.c_fc.bias\""});
    }
    SECTION("more layers in config.json than in the file") {
        write_text(config, R"({"n_layer": 3, "n_head": 3, "n_embd": 12, "n_positions": 16, "vocab_size": 512})");
        require_message([&] { load_gpt2(dir); }, {"no tensor \"h.2.ln_1.weight\"", "n_layer"});
    }
    SECTION("a shape that does not match config.json") {
        write_text(config, R"({"n_layer": 2, "n_head": 3, "n_embd": 12, "n_positions": 32, "vocab_size": 512})");
        require_message([&] { load_gpt2(dir); }, {"wpe.weight", "[16, 12]", "[32, 12]"});
    }
    SECTION("a layer_norm_epsilon that is not a small positive number") {
        for (const char* eps : {"1e300", "0", "-1e-5", "\"tiny\"", "1e-86"}) {  // 1e-86: 0 as a float
            write_text(config, std::string(R"({"n_layer": 2, "n_head": 3, "n_embd": 12, "n_positions": 16, "vocab_size": 512, "layer_norm_epsilon": )") +
                                   eps + "}");
            require_message([&] { load_gpt2(dir); }, {"layer_norm_epsilon", "(0, 1]"});
        }
    }
    SECTION("weights that are NaN or infinite") {  // they used to load and spread through the trace as null
        for (const float bad : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()}) {
            std::vector<TensorF32> tensors = all_tensors(dir);
            for (TensorF32& t : tensors)
                if (t.name == "h.1.attn.c_attn.weight") t.data[7] = bad;
            write_safetensors(dir + "/model.safetensors", tensors);
            require_message([&] { load_gpt2(dir); },
                            {"\"h.1.attn.c_attn.weight\"", std::isnan(bad) ? "holds NaN" : "holds an infinity", "index 7", "damaged"});
        }
    }
}

TEST_CASE("a model whose finite weights overflow is an error of the run, not a trace of null cells") {
    // 1e30 is finite, so it loads; in float32 the logits overflow to infinity and the softmax to NaN.
    const std::string dir = tiny_model("overflow");
    std::vector<TensorF32> tensors = all_tensors(dir);
    for (TensorF32& t : tensors)
        if (t.name == "h.0.attn.c_attn.weight") std::fill(t.data.begin(), t.data.end(), 1e30f);
    write_safetensors(dir + "/model.safetensors", tensors);
    Inputs in;
    in.model = dir;
    in.text = "the cat";
    require_message([&] { run(in); }, {"the run overflowed: layer 0, head 0, attention row 0", "not a finite number"});
}

TEST_CASE("save_gpt2 refuses weights whose shapes do not match their config") {
    Gpt2Weights w = random_gpt2(tiny_config(), 1);
    w.h[1].attn_c_proj_weight.resize(12, 13);
    require_message([&] { save_gpt2(scratch_dir("bad_save").string(), w); }, {"h.1.attn.c_proj.weight", "[12, 13]", "[12, 12]"});
}

TEST_CASE("save_gpt2 refuses NaN weights (a diverged training run) and writes nothing") {
    Gpt2Weights w = random_gpt2(tiny_config(), 1);
    w.h[0].mlp_c_fc_weight(2, 3) = std::numeric_limits<float>::quiet_NaN();
    const fs::path dir = scratch_dir("nan_save") / "model";
    require_message([&] { save_gpt2(dir.string(), w); }, {"h.0.mlp.c_fc.weight", "NaN", "nothing was saved"});
    REQUIRE_FALSE(fs::exists(dir));
}

TEST_CASE("gpt2_forward is causal: a token's residual stream ignores later tokens") {
    const Gpt2Weights w = random_gpt2(tiny_config(), 5);
    const std::vector<int> ids = {3, 70, 200, 5, 9, 411};
    std::vector<Gpt2LayerRecord> full, prefix;
    gpt2_forward(w, ids, &full);
    const VectorF logits = gpt2_forward(w, {3, 70, 200}, &prefix);
    REQUIRE(full.size() == 2);
    REQUIRE(prefix.size() == 2);
    for (int l = 0; l < 2; ++l) {
        test::require_near(prefix[l].input, full[l].input.topRows(3), 1e-5);
        test::require_near(prefix[l].concat, full[l].concat.topRows(3), 1e-5);
    }
    CHECK(logits.size() == 512);
    CHECK(logits.allFinite());
}

TEST_CASE("gpt2_forward refuses too many tokens and ids outside the vocabulary") {
    const Gpt2Weights w = random_gpt2(tiny_config(), 5);
    require_message([&] { gpt2_forward(w, std::vector<int>(17, 1)); }, {"17 tokens", "context holds 16"});
    require_message([&] { gpt2_forward(w, {1, 512}); }, {"token id 512", "vocabulary (512)"});
    require_message([&] { gpt2_forward(w, {}); }, {"no tokens"});
}

TEST_CASE("run with a model traces every layer and head") {
    Inputs in;
    in.model = tiny_model("run");
    in.text = "the cat sat on the mat";
    const Trace t = run(in);
    REQUIRE(t.has_model());
    REQUIRE(t.layers.size() == 2);
    REQUIRE(t.layer_count() == 2);
    REQUIRE(t.head_count() == 3);
    const int n = t.n();
    CHECK(n == static_cast<int>(t.token_ids.size()));
    CHECK(t.inputs.d_model == 12);
    CHECK(t.inputs.heads == 3);
    CHECK(t.d_head == 4);
    for (const LayerTrace& layer : t.layers) {
        REQUIRE(layer.heads.size() == 3);
        for (const HeadTrace& h : layer.heads) {
            CHECK(h.Q.rows() == n);
            CHECK(h.Q.cols() == 4);
            for (int i = 0; i < n; ++i) {
                CHECK(h.attention.row(i).sum() == Approx(1.0).margin(1e-12));
                for (int j = i + 1; j < n; ++j) {
                    CHECK(h.attention(i, j) == 0.0);
                    CHECK(std::isinf(h.logits(i, j)));
                }
            }
        }
        // The rollout of every layer is a row-stochastic matrix.
        for (int i = 0; i < n; ++i) CHECK(layer.rollout.row(i).sum() == Approx(1.0).margin(1e-12));
    }
    // Every layer is in layers[] directly (no layer is copied to the top any more): layer 1's heads,
    // attention input and output are the forward pass's own for block 1.
    const Gpt2Weights w = load_gpt2(in.model);
    std::vector<Gpt2LayerRecord> record;
    gpt2_forward(w, t.token_ids, &record);
    REQUIRE(record.size() == 2);
    for (int l = 0; l < 2; ++l) {
        INFO("layer " << l);
        const LayerTrace& layer = t.layers[l];
        for (int h = 0; h < 3; ++h)
            test::require_near(layer.heads[h].attention, record[l].attention.middleRows(h * n, n).cast<double>(), 0.0);
        test::require_near(layer.input, record[l].input.cast<double>(), 0.0);
        test::require_near(layer.attention_input, record[l].ln_1.cast<double>(), 0.0);
        test::require_near(layer.output, record[l].attn_output.cast<double>(), 0.0);
    }
    // layer(l) is clamped into range: view state may outlive the trace it was chosen on.
    CHECK(&t.layer(1) == &t.layers[1]);
    CHECK(&t.layer(2) == &t.layers[1]);
    CHECK(&t.layer(-1) == &t.layers[0]);
    // Layer 0's input is the residual stream entering the model: embeddings + positional.
    test::require_near(t.query.input, t.layers[0].input, 1e-6);
    // Layer 1's input is layer 0's plus its attention and MLP: at least it moved by the attention.
    CHECK((t.layers[1].input - t.layers[0].input).norm() > 0);
    REQUIRE(t.next_tokens.size() == 5);
    double total = 0;
    for (std::size_t k = 0; k < 5; ++k) {
        total += t.next_tokens[k].probability;
        if (k > 0) CHECK(t.next_tokens[k].probability <= t.next_tokens[k - 1].probability);
    }
    CHECK(total <= 1.0 + 1e-12);
    // The trace JSON (attnscope.trace/2) holds every layer and the model's own records.
    const nlohmann::json j = nlohmann::json::parse(to_json(t).dump());
    CHECK(j.at("schema") == "attnscope.trace/2");
    CHECK(j.at("config").at("layers") == 2);
    REQUIRE(j.at("layers").size() == 2u);
    for (int l = 0; l < 2; ++l) {
        CHECK(j.at("layers").at(l).at("index") == l);
        CHECK(j.at("layers").at(l).at("heads").size() == 3u);
    }
    CHECK(j.at("model").at("family") == "gpt2");
    CHECK(j.at("model").at("n_layer") == 2);
    CHECK(j.at("token_ids").get<std::vector<int>>() == t.token_ids);
    REQUIRE(j.at("next_tokens").size() == 5u);
    CHECK(j.at("next_tokens").at(0).at("id") == t.next_tokens[0].id);
    CHECK(j.at("next_tokens").at(0).at("prob").get<double>() == t.next_tokens[0].probability);
    CHECK_FALSE(j.at("next_tokens").at(0).contains("probability"));
}

TEST_CASE("a model trace past its cell budget keeps attention only, head_stages recomputes the rest") {
    ModelStore store;
    Inputs in;
    in.model = tiny_model("budget");
    in.text = "the cat sat on the mat";
    RunContext full_context;
    full_context.models = &store;
    RunContext tight = full_context;
    tight.cell_budget = 1;
    const Trace full = run(in, full_context);
    const Trace small = run(in, tight);
    REQUIRE(small.layers.size() == full.layers.size());
    REQUIRE(small.layers.size() == 2);
    for (int l = 0; l < 2; ++l)
        for (int h = 0; h < 3; ++h) {
            INFO("layer " << l << " head " << h);
            const HeadTrace& kept = full.layers[l].heads[h];
            const HeadTrace& dropped = small.layers[l].heads[h];
            REQUIRE(kept.has_scores());
            REQUIRE_FALSE(dropped.has_scores());
            CHECK(dropped.scaled.size() == 0);
            CHECK(dropped.logits.size() == 0);
            // The attention is the forward pass's either way.
            test::require_near(dropped.attention, kept.attention, 0.0);
            // head_stages recomputes scores, scaled and logits equal to the kept ones.
            const HeadTrace again = head_stages(small, l, h);
            REQUIRE(again.has_scores());
            test::require_near(again.scores, kept.scores, 1e-12);
            test::require_near(again.scaled, kept.scaled, 1e-12);
            test::require_near(again.logits, kept.logits, 1e-12);  // -inf above the diagonal in both
            test::require_near(again.attention, kept.attention, 0.0);
            // A head within the budget is returned as stored.
            const HeadTrace stored = head_stages(full, l, h);
            test::require_near(stored.scores, kept.scores, 0.0);
            test::require_near(stored.logits, kept.logits, 0.0);
        }
}

TEST_CASE("run with a model refuses what a GPT-2 cannot do, with a clear message") {
    Inputs in;
    in.model = tiny_model("refuse");
    SECTION("more tokens than the context") {
        in.text = "the cat sat on the mat and the cat sat on the mat and the cat sat on the mat";
        require_message([&] { run(in); }, {"tokens but the model's context holds 16", "shorten"});
    }
    SECTION("a layer the model lacks, when writing one layer of its trace") {
        in.text = "the cat";
        const Trace t = run(in);
        TraceWriteOptions only;
        only.layer = 2;
        require_message([&] { to_json(t, only); }, {"layer 2 does not exist", "2 layers (0..1)"});
    }
    SECTION("cross-attention") {
        in.cross_text = "le chat";
        require_message([&] { run(in); }, {"self-attention only"});
    }
    SECTION("a variant") {
        in.variant.kind = VariantKind::Local;
        require_message([&] { run(in); }, {"local", "dense"});
    }
    SECTION("a folder without a tokenizer") {
        fs::remove(fs::path(in.model) / "vocab.json");
        require_message([&] { run(in); }, {"vocab.json"});
    }
}

TEST_CASE("a ModelStore keeps the loaded model until its files change") {
    const std::string dir = tiny_model("cache", 1);
    ModelStore store;
    const auto first = store.open(dir);
    const auto again = store.open(dir);
    CHECK(first.get() == again.get());
    save_gpt2(dir, random_gpt2(tiny_config(), 2));  // new weights: a new modification time
    const auto reloaded = store.open(dir);
    CHECK(reloaded.get() != first.get());
    CHECK(reloaded->weights.wte != first->weights.wte);
}
