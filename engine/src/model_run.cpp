// Tracing a GPT-2 model: the forward pass (gpt2_forward) recorded per layer and head.
// Shape legend: n tokens, D = n_embd, H = n_head, d = d_head = D / H, V = vocab_size.
// Each head is traced in double from the float forward's Q, K, V (n, d), with the single-layer
// engine's own stages (scale_scores, apply_mask, softmax_rows), so that every head satisfies the
// same identities as a synthetic head; the residual stream between blocks is the float forward's.
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <mutex>
#include <numeric>

#include "attnscope/aggregates.hpp"
#include "attnscope/attention.hpp"
#include "attnscope/error.hpp"
#include "attnscope/model.hpp"
#include "attnscope/positional.hpp"

namespace attnscope {
namespace {

namespace fs = std::filesystem;

// What identifies a model folder's contents without reading them (path, inode, modification time, size).
std::string fingerprint(const std::string& dir) {
    std::error_code ec;
    const fs::path canonical = fs::weakly_canonical(dir, ec);
    std::string key = ec ? dir : canonical.string();
    for (const char* name : {"config.json", "model.safetensors", "vocab.json", "merges.txt", "encoder.json", "vocab.bpe"}) {
        // The inode too: a file replaced by rename within one timestamp tick still counts as changed.
        struct stat st {};
        if (::stat((fs::path(dir) / name).c_str(), &st) != 0) continue;
        key.append("|").append(name).append(":").append(std::to_string(st.st_ino)).append(":");
        key.append(std::to_string(st.st_mtim.tv_sec)).append(".").append(std::to_string(st.st_mtim.tv_nsec));
        key.append(":").append(std::to_string(st.st_size));
    }
    return key;
}

struct ModelCache {
    std::mutex mutex;
    std::string key;
    std::shared_ptr<const LoadedModel> model;
};
ModelCache& cache() {
    static ModelCache c;  // one loaded model for the process: reloading 500 MB per run would dominate
    return c;
}

Matrix to_double(const MatrixF& m) { return m.cast<double>(); }

HeadTrace trace_head(const MatrixF& qkv, int h, int d, const MaskMatrix& allowed) {
    const Eigen::Index D = qkv.cols() / 3;
    HeadTrace head;
    head.Q = to_double(qkv.middleCols(h * d, d));          // (n, d)
    head.K = to_double(qkv.middleCols(D + h * d, d));      // (n, d)
    head.V = to_double(qkv.middleCols(2 * D + h * d, d));  // (n, d)
    head.scores = head.Q * head.K.transpose();             // (n, n)
    head.scaled = scale_scores(head.scores, d, Matrix(), 1.0);
    head.logits = apply_mask(head.scaled, allowed);
    head.attention = softmax_rows(head.logits);            // (n, n)
    head.output = head.attention * head.V;                 // (n, d)
    return head;
}

std::vector<TokenPrediction> top_tokens(const VectorF& logits, const BpeTokenizer& tokenizer, int count) {
    const Eigen::VectorXd z = logits.cast<double>();
    const Eigen::VectorXd p = (z.array() - z.maxCoeff()).exp();  // (V)
    const double total = p.sum();
    std::vector<int> order(z.size());
    std::iota(order.begin(), order.end(), 0);
    count = std::min<int>(count, static_cast<int>(order.size()));
    std::partial_sort(order.begin(), order.begin() + count, order.end(), [&](int a, int b) { return p(a) > p(b); });
    std::vector<TokenPrediction> top;
    for (int i = 0; i < count; ++i) {
        const int id = order[i];
        // A model's vocabulary may be larger than its tokenizer's (padded embeddings).
        std::string piece = "<";
        if (id < tokenizer.vocab_size()) piece = tokenizer.piece(id);
        else piece.append(std::to_string(id)).append(">");
        top.push_back({id, piece, p(id) / total});
    }
    return top;
}

// What a GPT-2 cannot do, refused before its weights are loaded.
void check_model_inputs(const Inputs& in) {
    if (!in.cross_text.empty())
        throw Error("GPT-2 is a decoder with self-attention only: clear the cross-attention text to trace a model");
    if (!in.edits.empty())
        throw Error("cell edits apply to the synthetic engine only: remove them (" + in.edits[0].matrix + "...) to trace a model");
    if (in.variant.kind != VariantKind::Dense)
        throw Error(std::string("the ") + name(in.variant.kind) +
                    " variant applies to the synthetic engine only: choose dense to trace a model");
}

void check_layer(const Inputs& in, const Gpt2Config& c) {
    if (in.layer < 0 || in.layer >= c.n_layer)
        throw Error("layer (" + std::to_string(in.layer) + ") must be between 0 and " + std::to_string(c.n_layer - 1) +
                    ": the model has " + std::to_string(c.n_layer) + " layers");
}

// The single-layer fields: layer l as if it were the synthetic engine's one attention layer.
void show_layer(Trace& t, const Gpt2Weights& w, const std::vector<Gpt2LayerRecord>& records, int l) {
    const int D = w.config.n_embd, n = t.n();
    const Gpt2Block& b = w.h[l];
    t.query.input = t.layers[l].attention_input;
    t.keys = t.query;
    t.W_Q = b.attn_c_attn_weight.leftCols(D).cast<double>();       // (D, D)
    t.W_K = b.attn_c_attn_weight.middleCols(D, D).cast<double>();  // (D, D)
    t.W_V = b.attn_c_attn_weight.rightCols(D).cast<double>();      // (D, D)
    t.W_O = b.attn_c_proj_weight.cast<double>();                   // (D, D)
    t.Q = records[l].qkv.leftCols(D).cast<double>();               // (n, D)
    t.K = records[l].qkv.middleCols(D, D).cast<double>();          // (n, D)
    t.V = records[l].qkv.rightCols(D).cast<double>();              // (n, D)
    t.heads = t.layers[l].heads;
    t.concat = t.layers[l].concat;
    t.output = t.layers[l].output;
    t.exact_output = t.output;
    t.cost = t.dense_cost = attention_cost(VariantParams{}, n, n, t.d_head, w.config.n_head);
}

}  // namespace

std::shared_ptr<const LoadedModel> open_model(const std::string& dir, const std::function<void(float)>& progress) {
    ModelCache& c = cache();
    std::lock_guard<std::mutex> lock(c.mutex);
    const std::string key = fingerprint(dir);
    if (c.model && c.key == key) {
        if (progress) progress(1.0f);
        return c.model;
    }
    c.model.reset();  // frees the old weights before the new ones arrive
    c.key.clear();
    auto model = std::make_shared<LoadedModel>(LoadedModel{dir, load_gpt2(dir, progress), BpeTokenizer::load(dir)});
    c.model = model;
    c.key = key;
    return model;
}

Trace run_model(const Inputs& in) {
    check_model_inputs(in);
    const std::shared_ptr<const LoadedModel> model = open_model(in.model);
    const Gpt2Weights& w = model->weights;
    const Gpt2Config& c = w.config;
    check_layer(in, c);
    Trace t;
    t.inputs = in;
    // What the model actually does, so that panels and the trace's config describe it.
    t.inputs.d_model = c.n_embd;
    t.inputs.heads = c.n_head;
    t.inputs.pe = Positional::Learned;
    t.inputs.mask = Mask::Causal;
    t.inputs.temperature = 1.0;
    t.inputs.bos = false;
    t.inputs.pad_to = 0;
    t.token_ids = model->tokenizer.encode(in.text);
    const int n = static_cast<int>(t.token_ids.size());
    if (n == 0) throw Error("the text has no tokens: type a sentence, e.g. \"the cat sat on the mat\"");
    if (n > c.n_ctx)
        throw Error("the text has " + std::to_string(n) + " tokens but the model's context holds " + std::to_string(c.n_ctx) +
                    " (n_positions in config.json): shorten the text");
    if (n > kMaxTokens)
        throw Error("the text has " + std::to_string(n) + " tokens, more than the " + std::to_string(kMaxTokens) +
                    " a trace holds: shorten it");

    std::vector<Gpt2LayerRecord> records;
    const VectorF logits = gpt2_forward(w, t.token_ids, &records);  // (V)

    const int H = c.n_head, d = c.n_embd / c.n_head;
    t.d_head = d;
    for (int id : t.token_ids) t.query.tokens.push_back(model->tokenizer.piece(id));
    t.query.embeddings.resize(n, c.n_embd);  // (n, D)
    for (int i = 0; i < n; ++i) t.query.embeddings.row(i) = w.wte.row(t.token_ids[i]).cast<double>();
    t.query.positional = w.wpe.topRows(n).cast<double>();  // (n, D)
    t.position_similarity = position_similarity(t.query.positional);
    t.allowed = attention_mask(n, n, true, {});

    std::vector<Matrix> means;
    for (const Gpt2LayerRecord& r : records) {
        LayerTrace layer;
        layer.input = to_double(r.input);
        layer.attention_input = to_double(r.ln_1);
        for (int h = 0; h < H; ++h) layer.heads.push_back(trace_head(r.qkv, h, d, t.allowed));
        layer.concat = to_double(r.concat);
        layer.output = to_double(r.attn_output);
        layer.mean_attention = mean_over_heads(layer.heads);
        means.push_back(layer.mean_attention);
        t.layers.push_back(std::move(layer));
    }
    const std::vector<Matrix> rollout = attention_rollout(means);
    for (int l = 0; l < c.n_layer; ++l) t.layers[l].rollout = rollout[l];
    show_layer(t, w, records, in.layer);
    t.next_tokens = top_tokens(logits, model->tokenizer, 5);
    return t;
}

}  // namespace attnscope
