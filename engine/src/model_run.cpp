// Tracing a GPT-2 model: one forward pass (gpt2_forward) recorded per layer and head.
// Shape legend: n tokens, D = n_embd, H = n_head, d = d_head = D / H, V = vocab_size.
// Each head's attention is the float forward's own, widened to double; its scores, scaled and logits
// are recomputed from its Q and K with the single-layer engine's stages (scale_scores, apply_mask)
// while the trace is within its cell budget.
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
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

Matrix to_double(const MatrixF& m) { return m.cast<double>(); }

// Head h as the forward pass computed it: Q, K, V from its qkv columns and the attention weights it
// applied (float, widened); with `stages`, the scores, scaled and logits recomputed from Q and K.
// The stages the caller keeps, and whether the trace is within its budget for scores.
struct Keep {
    const StageSelection& stages;
    bool scores;
    bool operator()(const char* stage) const { return stages.keeps(stage); }
};

HeadTrace trace_head(const Gpt2LayerRecord& r, int h, int d, const MaskMatrix& allowed, const Keep& keep) {
    const Eigen::Index D = r.qkv.cols() / 3, n = r.qkv.rows();
    HeadTrace head;
    head.kv_head = h;
    // Q and K are kept whenever scores may be asked for later (head_stages recomputes from them).
    const bool qk = keep("Q") || keep("K") || keep("scores") || keep("scaled") || keep("logits");
    if (qk) head.Q = to_double(r.qkv.middleCols(h * d, d));      // (n, d)
    if (qk) head.K = to_double(r.qkv.middleCols(D + h * d, d));  // (n, d)
    if (keep("V")) head.V = to_double(r.qkv.middleCols(2 * D + h * d, d));  // (n, d)
    head.attention = to_double(r.attention.middleRows(h * n, n));  // (n, n)
    if (keep("output")) head.output = to_double(r.concat.middleCols(h * d, d));  // (n, d)
    if (keep.scores && qk) {
        head.scores = head.Q * head.K.transpose();  // (n, n)
        head.scaled = scale_scores(head.scores, d, Matrix(), 1.0);
        head.logits = apply_mask(head.scaled, allowed);
    }
    return head;
}

// Layer l of the trace from its block's record; the record's float copies are freed by the caller.
LayerTrace trace_layer(const Gpt2LayerRecord& r, const Gpt2Block& b, const Trace& t, const Keep& keep) {
    const int D = t.inputs.d_model, H = t.inputs.heads, d = t.d_head, n = t.n();
    LayerTrace layer;
    if (keep("input")) layer.input = to_double(r.input);
    if (keep("attention_input")) layer.attention_input = to_double(r.ln_1);
    if (keep("weights")) {
        layer.W_Q = b.attn_c_attn_weight.leftCols(D).cast<double>();       // (D, D)
        layer.W_K = b.attn_c_attn_weight.middleCols(D, D).cast<double>();  // (D, D)
        layer.W_V = b.attn_c_attn_weight.rightCols(D).cast<double>();      // (D, D)
        layer.W_O = b.attn_c_proj_weight.cast<double>();                   // (D, D)
        layer.b_Q = b.attn_c_attn_bias.head(D).cast<double>();
        layer.b_K = b.attn_c_attn_bias.segment(D, D).cast<double>();
        layer.b_V = b.attn_c_attn_bias.tail(D).cast<double>();
        layer.b_O = b.attn_c_proj_bias.cast<double>();
    }
    if (keep("Q")) layer.Q = to_double(r.qkv.leftCols(D));       // (n, D)
    if (keep("K")) layer.K = to_double(r.qkv.middleCols(D, D));  // (n, D)
    if (keep("V")) layer.V = to_double(r.qkv.rightCols(D));      // (n, D)
    for (int h = 0; h < H; ++h) layer.heads.push_back(trace_head(r, h, d, t.allowed, keep));
    if (keep("concat")) layer.concat = to_double(r.concat);
    if (keep("output")) layer.output = to_double(r.attn_output);
    layer.cost = layer.dense_cost = attention_cost(VariantParams{}, n, n, d, H);
    layer.mean_attention = mean_over_heads(layer.heads);
    return layer;
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

}  // namespace

std::shared_ptr<const LoadedModel> ModelStore::open(const std::string& dir, const std::function<void(float)>& progress) {
    std::lock_guard<std::mutex> lock(mutex_);
    const std::string key = fingerprint(dir);
    if (model_ && key_ == key) {
        if (progress) progress(1.0f);
        return model_;
    }
    model_.reset();  // frees the old weights before the new ones arrive
    key_.clear();
    auto model = std::make_shared<LoadedModel>(LoadedModel{dir, load_gpt2(dir, progress), BpeTokenizer::load(dir)});
    model_ = model;
    key_ = key;
    return model;
}

Trace run_model(const Inputs& in, ModelStore& store, const RunContext& context) {
    check_model_inputs(in);
    const std::shared_ptr<const LoadedModel> model = store.open(in.model);
    const Gpt2Weights& w = model->weights;
    const Gpt2Config& c = w.config;
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
    if (in.backend == Backend::Gpu)
        t.backend_note = "the GPU backend runs the built-in single-layer engine only: the model ran on the CPU";
    t.token_ids = model->tokenizer.encode(in.text);
    const int n = static_cast<int>(t.token_ids.size());
    if (n == 0) throw Error("the text has no tokens: type a sentence, e.g. \"the cat sat on the mat\"");
    if (n > c.n_ctx)
        throw Error("the text has " + std::to_string(n) + " tokens but the model's context holds " + std::to_string(c.n_ctx) +
                    " (n_positions in config.json): shorten the text");
    if (n > kMaxTokens)
        throw Error("the text has " + std::to_string(n) + " tokens, more than the " + std::to_string(kMaxTokens) +
                    " a trace holds: shorten it");

    const int H = c.n_head, d = c.n_embd / c.n_head, D = c.n_embd;
    t.model = ModelSummary{"gpt2", c.n_layer, H, H, D, d, c.n_ctx, c.vocab_size};
    t.d_head = d;
    t.query.tokens = model->tokenizer.labels(t.token_ids);
    t.query.embeddings.resize(n, D);  // (n, D)
    for (int i = 0; i < n; ++i) t.query.embeddings.row(i) = w.wte.row(t.token_ids[i]).cast<double>();
    t.query.positional = w.wpe.topRows(n).cast<double>();  // (n, D)
    t.query.input = t.query.embeddings + t.query.positional;
    t.keys = t.query;
    t.position_similarity = position_similarity(t.query.positional);
    t.allowed = attention_mask(n, n, true, {});

    const Keep keep{context.keep, static_cast<long long>(c.n_layer) * H * n * n <= context.cell_budget};
    std::vector<Matrix> means;
    const VectorF logits = gpt2_forward(w, t.token_ids, [&](int l, Gpt2LayerRecord&& r) {  // (V)
        LayerTrace& layer = t.layers.emplace_back(trace_layer(r, w.h[l], t, keep));
        if (keep("rollout")) means.push_back(layer.mean_attention);
        if (!keep("mean_attention")) layer.mean_attention = Matrix();
        r = Gpt2LayerRecord{};  // its float copies are in the trace now
    });
    if (keep("rollout")) {
        const std::vector<Matrix> rollout = attention_rollout(means);
        for (int l = 0; l < c.n_layer; ++l) t.layers[l].rollout = rollout[l];
    }
    t.next_tokens = top_tokens(logits, model->tokenizer, 5);
    return t;
}

}  // namespace attnscope
