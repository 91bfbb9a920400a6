// GPT-2 weights: config.json + model.safetensors in, the same out, and synthetic checkpoints.
// Shape legend: D = n_embd, H = n_head, V = vocab_size, C = n_ctx (n_positions), L = n_layer.
// Tensor names are Hugging Face's (h.{i}.attn.c_attn.weight, ...), with or without "transformer.";
// the attn.bias / attn.masked_bias causal-mask buffers and a tied lm_head.weight are ignored.
#include "attnscope/gpt2.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string_view>
#include <type_traits>
#include <utility>
#include <nlohmann/json.hpp>
#include <sstream>

#include "attnscope/bpe.hpp"
#include "attnscope/error.hpp"
#include "attnscope/export.hpp"
#include "attnscope/json_input.hpp"
#include "attnscope/gpt2_weights.hpp"
#include "attnscope/random.hpp"
#include "attnscope/safetensors.hpp"

namespace attnscope {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using Shape = std::vector<std::int64_t>;

constexpr int kMaxLayers = 256, kMaxEmbd = 16384, kMaxCtx = 1 << 16, kMaxVocab = 1 << 22;

std::string shape_text(const Shape& s) {
    std::string t = "[";
    for (std::size_t i = 0; i < s.size(); ++i) t += (i ? ", " : "") + std::to_string(s[i]);
    return t + "]";
}

int config_int(const json& j, const std::string& key, const std::string& path, int lo, int hi) {
    if (!j.contains(key)) throw Error(path + " has no \"" + key + "\": a GPT-2 config.json names n_layer, n_head, n_embd, n_positions and vocab_size");
    const json& v = j.at(key);
    if (!v.is_number_integer() || v.get<long long>() < lo || v.get<long long>() > hi)
        throw Error(path + ": \"" + key + "\" is " + quote_json(v) + ", it must be a whole number between " + std::to_string(lo) +
                    " and " + std::to_string(hi));
    return static_cast<int>(v.get<long long>());
}

Gpt2Config read_config(const std::string& dir) {
    const std::string path = (fs::path(dir) / "config.json").string();
    std::error_code ec;
    if (!fs::is_regular_file(path, ec))
        throw Error("cannot open " + path + (fs::exists(path, ec) ? " (it is not a file)" : "") +
                    ": a model folder needs config.json + model.safetensors (a Hugging Face GPT-2 folder)");
    return parse_gpt2_config(read_file(path), path);
}

}  // namespace

Gpt2Config parse_gpt2_config(const std::string& text, const std::string& path) {
    const json j = parse_json(text, path, "restore it from the model's source");
    if (!j.is_object()) throw Error(path + " must be a JSON object");
    if (j.contains("model_type") && j["model_type"] != "gpt2")
        throw Error(path + " describes a " + quote_json(j["model_type"]) + " model: only GPT-2 checkpoints (model_type gpt2) open here");
    Gpt2Config c;
    c.n_layer = config_int(j, "n_layer", path, 1, kMaxLayers);
    c.n_head = config_int(j, "n_head", path, 1, kMaxEmbd);
    c.n_embd = config_int(j, "n_embd", path, 1, kMaxEmbd);
    c.n_ctx = config_int(j, j.contains("n_positions") ? "n_positions" : "n_ctx", path, 1, kMaxCtx);
    c.vocab_size = config_int(j, "vocab_size", path, 1, kMaxVocab);
    if (j.contains("layer_norm_epsilon")) {
        const json& eps = j["layer_norm_epsilon"];
        // The engine keeps it as a float: 1e-86 would become 0 there (and a constant row infinite).
        if (!eps.is_number() || !(eps.get<double>() >= std::numeric_limits<float>::min() && eps.get<double>() <= 1))
            throw Error(path + ": \"layer_norm_epsilon\" is " + quote_json(eps) +
                        ", it must be a number in (0, 1] that a float holds (1.2e-38 or more), e.g. 1e-5");
        c.layer_norm_epsilon = j["layer_norm_epsilon"].get<float>();
    }
    if (c.n_embd % c.n_head != 0)
        throw Error(path + ": n_head (" + std::to_string(c.n_head) + ") must divide n_embd (" + std::to_string(c.n_embd) + ")");
    return c;
}

namespace {

// Reads the tensors one by one, checking names and shapes against config.json.
class TensorReader {
public:
    TensorReader(const SafetensorsFile& file, int total, const std::function<void(float)>& progress)
        : file_(file), total_(total), progress_(progress) {
        prefix_ = file.find("wte.weight") == nullptr && file.find("transformer.wte.weight") != nullptr ? "transformer." : "";
    }

    std::vector<float> read(const std::string& name, const Shape& shape) {
        const TensorInfo* info = file_.find(prefix_ + name);
        if (info == nullptr) info = file_.find(name);
        if (info == nullptr)
            throw Error(file_.path() + " has no tensor \"" + name + "\" (nor \"transformer." + name +
                        "\"): is it a GPT-2 checkpoint, and does config.json (n_layer) match it?");
        if (info->shape != shape)
            throw Error(file_.path() + ": tensor \"" + info->name + "\" has shape " + shape_text(info->shape) + " but config.json needs " +
                        shape_text(shape) + ": the weights and config.json do not belong together");
        std::vector<float> data = file_.read_f32(info->name);
        const auto bad = std::find_if(data.begin(), data.end(), [](float x) { return !std::isfinite(x); });
        if (bad != data.end())
            throw Error(file_.path() + ": tensor \"" + info->name + "\" holds " + (std::isnan(*bad) ? "NaN" : "an infinity") +
                        " at index " + std::to_string(bad - data.begin()) +
                        ": the checkpoint is damaged (or was saved from a diverged training run)");
        if (progress_) progress_(static_cast<float>(++done_) / static_cast<float>(total_));
        return data;
    }

    MatrixF matrix(const std::string& name, std::int64_t rows, std::int64_t cols) {
        const std::vector<float> v = read(name, {rows, cols});
        return Eigen::Map<const MatrixF>(v.data(), rows, cols);
    }
    VectorF vector(const std::string& name, std::int64_t size) {
        const std::vector<float> v = read(name, {size});
        return Eigen::Map<const VectorF>(v.data(), size);
    }

private:
    const SafetensorsFile& file_;
    std::string prefix_;
    int done_ = 0, total_ = 0;
    const std::function<void(float)>& progress_;
};

void require_shape(const std::string& name, std::int64_t rows, std::int64_t cols, std::int64_t want_rows, std::int64_t want_cols) {
    if (rows != want_rows || cols != want_cols)
        throw Error("GPT-2 weight " + name + " is " + shape_text({rows, cols}) + " but the config needs " +
                    shape_text({want_rows, want_cols}));
}
void require_size(const std::string& name, std::int64_t size, std::int64_t want) {
    if (size != want) throw Error("GPT-2 weight " + name + " has " + std::to_string(size) + " entries but the config needs " + std::to_string(want));
}

TensorF32 tensor(const std::string& name, const MatrixF& m) {
    return {name, {m.rows(), m.cols()}, std::vector<float>(m.data(), m.data() + m.size())};
}
TensorF32 tensor(const std::string& name, const VectorF& v) {
    return {name, {v.size()}, std::vector<float>(v.data(), v.data() + v.size())};
}

// Every weight of the model in file order, with its Hugging Face name and the shape config.json gives
// it (cols = 0 for a vector): the weight table (gpt2_weights.hpp), walked.
template <class Weights, class Visit>
void for_each_weight(Weights& w, Visit&& visit) {
    for_each_gpt2_weight(w, [&visit](const Gpt2WeightRef& ref, auto& t) { visit(ref.name, t, ref.rows, ref.cols); });
}

// random_gpt2's (mean, stddev) for each kind of row (see SynthInit).
std::pair<float, float> synth_init(SynthInit kind, const Gpt2Config& c) {
    constexpr float s = 0.02f;
    switch (kind) {
        case SynthInit::weight: return {0.0f, s};
        case SynthInit::position: return {0.0f, 0.01f};
        case SynthInit::qkv: return {0.0f, 0.2f / std::sqrt(static_cast<float>(c.n_embd) / 64.0f)};
        case SynthInit::gain: return {1.0f, 0.1f};
        case SynthInit::shift: return {0.0f, 0.1f};
        case SynthInit::bias: return {0.0f, s};
    }
    return {0.0f, s};
}

// One tensor of random_gpt2: stddev * N(0, 1) + mean, from its own stream, so that a tensor's values
// do not depend on the other tensors' sizes.
template <class Tensor>
void fill_random(Tensor& t, std::int64_t rows, std::int64_t cols, float mean, float stddev, std::uint64_t seed,
                 std::string_view stream) {
    if constexpr (std::is_same_v<Tensor, MatrixF>)
        t.resize(rows, cols);
    else
        t.resize(rows);
    Rng rng(hash64(stream, seed));
    for (Eigen::Index i = 0; i < t.size(); ++i) t.data()[i] = stddev * static_cast<float>(rng.normal()) + mean;
}

}  // namespace

void check_shapes(const Gpt2Weights& w) {
    const Gpt2Config& c = w.config;
    if (c.n_layer < 1 || c.n_head < 1 || c.n_embd < 1 || c.n_ctx < 1 || c.vocab_size < 1 || c.n_embd % c.n_head != 0)
        throw Error("GPT-2 config needs n_layer, n_head, n_embd, n_ctx, vocab_size >= 1 and n_head dividing n_embd");
    if (static_cast<int>(w.h.size()) != c.n_layer)
        throw Error("GPT-2 weights have " + std::to_string(w.h.size()) + " blocks but n_layer is " + std::to_string(c.n_layer));
    for_each_weight(w, [](const std::string& name, const auto& t, std::int64_t rows, std::int64_t cols) {
        if (cols == 0)
            require_size(name, t.size(), rows);
        else
            require_shape(name, t.rows(), t.cols(), rows, cols);
    });
}

void check_gpt2_limits(const Gpt2Config& c) {
    auto within = [](const char* key, long long v, long long lo, long long hi) {
        if (v < lo || v > hi)
            throw Error(std::string(key) + " (" + std::to_string(v) + ") must be between " + std::to_string(lo) +
                        " and " + std::to_string(hi) + ", as config.json allows");
    };
    within("n_layer", c.n_layer, 1, kMaxLayers);
    within("n_embd", c.n_embd, 1, kMaxEmbd);
    within("n_head", c.n_head, 1, c.n_embd);
    within("n_ctx", c.n_ctx, 1, kMaxCtx);
    within("vocab_size", c.vocab_size, 1, kMaxVocab);
    if (c.n_embd % c.n_head != 0)
        throw Error("n_head (" + std::to_string(c.n_head) + ") must divide n_embd (" + std::to_string(c.n_embd) + ")");
    // Counted in 64 bits before anything is allocated: 12 D^2 + 13 D per block, the embeddings, ln_f.
    const long long D = c.n_embd;
    const long long params = c.n_layer * (12 * D * D + 13 * D) + (static_cast<long long>(c.vocab_size) + c.n_ctx + 2) * D;
    constexpr long long kMaxParams = 2'000'000'000;  // 8 GB of float32
    if (params > kMaxParams)
        throw Error("a GPT-2 of these shapes has " + std::to_string(params / 1'000'000) + "M parameters (" +
                    std::to_string(params * 4 / 1'000'000'000) + " GB), more than the 2000M attnscope holds: choose "
                    "smaller shapes");
}

Gpt2Weights load_gpt2(const std::string& dir) { return load_gpt2(dir, {}); }

Gpt2Weights load_gpt2(const std::string& dir, const std::function<void(float)>& progress) {
    if (!fs::is_directory(dir)) throw Error("model folder " + dir + " does not exist: give a folder with config.json + model.safetensors");
    Gpt2Weights w;
    w.config = read_config(dir);
    const Gpt2Config& c = w.config;
    const fs::path weights = fs::path(dir) / "model.safetensors";
    if (!fs::exists(weights))
        throw Error("no model.safetensors in " + dir + (fs::exists(fs::path(dir) / "pytorch_model.bin")
                        ? ": pytorch_model.bin is a pickle and is never loaded (it can run code); convert it to safetensors"
                        : ": a model folder needs config.json + model.safetensors"));
    const SafetensorsFile file = SafetensorsFile::open(weights.string());
    TensorReader r(file, gpt2_tensor_count(c), progress);
    w.h.resize(c.n_layer);
    for_each_weight(w, [&r](const std::string& name, auto& t, std::int64_t rows, std::int64_t cols) {
        if constexpr (std::is_same_v<std::decay_t<decltype(t)>, MatrixF>)
            t = r.matrix(name, rows, cols);
        else
            t = r.vector(name, rows);
    });
    return w;
}

std::string gpt2_config_json(const Gpt2Config& c) {
    const json config = {{"model_type", "gpt2"},         {"architectures", {"GPT2LMHeadModel"}},
                         {"n_layer", c.n_layer},         {"n_head", c.n_head},
                         {"n_embd", c.n_embd},           {"n_positions", c.n_ctx},
                         {"n_ctx", c.n_ctx},             {"vocab_size", c.vocab_size},
                         {"layer_norm_epsilon", c.layer_norm_epsilon}, {"activation_function", "gelu_new"},
                         {"tie_word_embeddings", true}};
    return config.dump(2) + "\n";
}

void save_gpt2(const std::string& dir, const Gpt2Weights& w, const std::string& weights_file) {
    check_shapes(w);
    for_each_weight(w, [](const std::string& name, const auto& t, std::int64_t, std::int64_t) {
        if (!t.allFinite())  // the loader would refuse it: better not to write it
            throw Error("weight \"" + name + "\" holds NaN or an infinity (the training diverged): nothing was saved; "
                        "train again with a lower learning rate");
    });
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (!fs::is_directory(dir)) throw Error("cannot create the model folder " + dir + ": " + ec.message());
    std::vector<TensorF32> tensors;
    for_each_weight(w, [&tensors](const std::string& name, const auto& t, std::int64_t, std::int64_t) {
        tensors.push_back(tensor(name, t));
    });
    write_safetensors((fs::path(dir) / weights_file).string(), tensors, {{"format", "pt"}});
    write_file_atomic((fs::path(dir) / "config.json").string(), gpt2_config_json(w.config));
}

Gpt2Weights random_gpt2(const Gpt2Config& c, std::uint64_t seed) {
    Gpt2Weights w;
    w.config = c;
    w.h.resize(c.n_layer);
    for_each_gpt2_weight(w, [&](const Gpt2WeightRef& ref, auto& t) {
        const auto [mean, stddev] = synth_init(ref.row.synth, c);
        const std::string_view stream = ref.row.synth_stream.empty() ? std::string_view(ref.name) : ref.row.synth_stream;
        fill_random(t, ref.rows, ref.cols, mean, stddev, seed, stream);
    });
    return w;
}

int save_byte_tokenizer(const std::string& dir) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    json vocab = json::object();
    std::vector<std::string> symbols;
    for (int b = 0; b < 256; ++b) {
        symbols.push_back(gpt2_byte_symbol(static_cast<std::uint8_t>(b)));
        vocab[symbols.back()] = b;
    }
    // Each word is built left to right, one merge per symbol, so every merge's parts exist.
    const char* const words[] = {" the", " a", " cat", " sat", " on", " mat", " and", " of", " to", " in", " is", " it",
                                 " was", " that", "The", " animal", " street", " because", " tired", " didn", " cross",
                                 " too", " he", " she", " said", " model", " attention", " head", " layer", " token"};
    std::string merges = "#version: 0.2\n";
    for (const char* word : words) {
        std::string mapped;
        std::vector<std::string> parts;
        for (const char* p = word; *p; ++p) parts.push_back(symbols[static_cast<std::uint8_t>(*p)]);
        std::string prefix = parts[0];
        for (std::size_t i = 1; i < parts.size(); ++i) {
            const std::string merged = prefix + parts[i];
            if (!vocab.contains(merged)) {
                merges += prefix + " " + parts[i] + "\n";
                vocab[merged] = static_cast<int>(vocab.size());
            }
            prefix = merged;
        }
    }
    const auto write = [&](const std::string& name, const std::string& text) {
        write_file_atomic((fs::path(dir) / name).string(), text);
    };
    write("vocab.json", vocab.dump());
    write("merges.txt", merges);
    return static_cast<int>(vocab.size());
}

}  // namespace attnscope
