#include "attnscope/run.hpp"
#include "attnscope/run_stages.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>

#include "attnscope/aggregates.hpp"
#include "attnscope/embedding.hpp"
#include "attnscope/error.hpp"
#include "attnscope/model.hpp"
#include "attnscope/positional.hpp"
#include "attnscope/random.hpp"
#include "attnscope/tokenizer.hpp"

// Shapes: n query tokens, m key/value tokens, H heads, d_head = d_model / H.
namespace attnscope {
namespace {

inline constexpr long long kMaxAttentionCells = 8'388'608;  // H * n * m kept in one trace

const char* const kEditable[] = {"embeddings", "positional", "input", "cross_embeddings", "cross_positional",
                                 "cross_input", "W_Q", "W_K", "W_V", "W_O", "Q", "K", "V"};

void check_edit_names(const std::vector<Edit>& edits, bool cross) {
    for (const Edit& e : edits) {
        bool known = false;
        for (const char* name : kEditable) known = known || e.matrix == name;
        if (!known)
            throw Error("cannot edit '" + e.matrix + "': editable matrices are embeddings, positional, input, "
                        "cross_embeddings, cross_positional, cross_input, W_Q, W_K, W_V, W_O, Q, K, V");
        if (!cross && e.matrix.rfind("cross_", 0) == 0)
            throw Error("cannot edit " + e.matrix + " without a cross-attention text: enter one or edit " +
                        e.matrix.substr(6));
    }
}

}  // namespace

void apply_edits(Matrix& m, const std::string& name, const std::vector<Edit>& edits) {
    for (const Edit& e : edits) {
        if (e.matrix != name) continue;
        if (e.row < 0 || e.row >= m.rows() || e.col < 0 || e.col >= m.cols())
            throw Error("edit " + name + "[" + std::to_string(e.row) + "," + std::to_string(e.col) + "] is outside " +
                        name + " (" + std::to_string(m.rows()) + " x " + std::to_string(m.cols()) + "): rows 0.." +
                        std::to_string(m.rows() - 1) + ", columns 0.." + std::to_string(m.cols() - 1));
        m(e.row, e.col) = e.value;
    }
}

bool has_edits(const std::vector<Edit>& edits, const std::string& name) {
    for (const Edit& e : edits)
        if (e.matrix == name) return true;
    return false;
}

namespace {

std::vector<std::string> sequence_tokens(const std::string& text, const Inputs& in, bool pad) {
    std::vector<std::string> tokens = tokenize(text, in.bos);
    if (tokens.empty())
        throw Error("the text has no tokens: type a sentence, e.g. \"the cat sat on the mat\"");
    if (pad && in.pad_to > 0) {
        if (in.pad_to < static_cast<int>(tokens.size()))
            throw Error("pad-to (" + std::to_string(in.pad_to) + ") is shorter than the text (" +
                        std::to_string(tokens.size()) + " tokens): raise it or set 0");
        tokens.resize(in.pad_to, kPadToken);
    }
    if (static_cast<int>(tokens.size()) > kMaxTokens)
        throw Error("the text has " + std::to_string(tokens.size()) + " tokens, more than the " +
                    std::to_string(kMaxTokens) + " a trace holds: shorten it");
    return tokens;
}

// Variant parameters that depend on the sequence lengths (the rest are checked by validate()).
void check_variant_sizes(const VariantParams& v, int n, int m) {
    if (v.kind == VariantKind::Local)
        for (int g : v.global_tokens)
            if (g >= std::max(n, m))
                throw Error("global token " + std::to_string(g) + " is past the end of the text (" +
                            std::to_string(std::max(n, m)) + " tokens): choose positions 0.." +
                            std::to_string(std::max(n, m) - 1));
    if (v.kind == VariantKind::Nystrom && v.landmarks > std::min(n, m))
        throw Error("nystrom needs at most as many landmarks as tokens: landmarks (" + std::to_string(v.landmarks) +
                    ") > " + std::to_string(std::min(n, m)) + " tokens; choose fewer landmarks");
}

SequenceTrace encode_sequence(std::vector<std::string> tokens, const Inputs& in, const std::string& prefix) {
    SequenceTrace s;
    s.tokens = std::move(tokens);
    const int n = static_cast<int>(s.tokens.size());
    s.embeddings = embed(s.tokens, in.d_model, in.seed);  // (n, d_model)
    apply_edits(s.embeddings, prefix + "embeddings", in.edits);
    s.positional = in.pe == Positional::Sinusoidal ? sinusoidal_encoding(n, in.d_model)
                   : in.pe == Positional::Learned  ? learned_encoding(n, in.d_model, in.seed)
                                                   : Matrix::Zero(n, in.d_model);
    apply_edits(s.positional, prefix + "positional", in.edits);
    s.input = s.embeddings + s.positional;
    apply_edits(s.input, prefix + "input", in.edits);
    return s;
}

std::vector<int> positions(int count) {
    std::vector<int> p(count);
    for (int i = 0; i < count; ++i) p[i] = i;
    return p;
}

HeadTrace attend_head(const Trace& t, const LayerTrace& layer, int h) {
    const Inputs& in = t.inputs;
    const int d = t.d_head, n = t.n(), m = t.m();
    HeadTrace head;
    head.kv_head = h;
    head.Q = layer.Q.middleCols(h * d, d);  // (n, d_head)
    head.K = layer.K.middleCols(h * d, d);  // (m, d_head)
    head.V = layer.V.middleCols(h * d, d);  // (m, d_head)
    if (in.pe == Positional::Rope) {
        head.Q = rope_rotate(head.Q, positions(n));
        head.K = rope_rotate(head.K, positions(m));
    }
    head.scores = head.Q * head.K.transpose();  // (n, m)
    if (in.pe == Positional::Alibi) head.bias = alibi_bias(n, m, layer.alibi_slopes[h]);
    if (in.pe == Positional::Relative) head.bias = relative_bias(n, m, layer.relative_table, h, !is_causal(in.mask));
    head.scaled = scale_scores(head.scores, d, head.bias, in.temperature);
    head.logits = apply_mask(head.scaled, t.allowed);
    head.attention = softmax_rows(head.logits);  // (n, m)
    head.output = head.attention * head.V;       // (n, d_head)
    return head;
}

}  // namespace

void attend_variant(HeadTrace& head, const Trace& t, int h) {
    const VariantParams& v = t.inputs.variant;
    if (v.kind == VariantKind::Dense) return;
    const double T = t.inputs.temperature;
    const int n = t.n(), m = t.m(), d = t.d_head;
    const std::uint64_t seed = hash64("head" + std::to_string(h), t.inputs.seed);  // each head its own draws
    VariantRecord& r = head.variant.emplace();
    r.exact_attention = head.attention;
    r.exact_output = head.output;
    int rank = 0;
    switch (v.kind) {
        case VariantKind::Dense: return;
        case VariantKind::Local: r.pattern = local_pattern(n, m, v.window, v.dilation, v.global_tokens); break;
        case VariantKind::Strided: r.pattern = strided_pattern(n, m, v.stride); break;
        case VariantKind::Fixed: r.pattern = fixed_pattern(n, m, v.stride, v.summary); break;
        case VariantKind::BigBird:
            r.pattern = bigbird_pattern(n, m, v.block, v.window, v.globals, v.random_blocks, seed);
            break;
        case VariantKind::TopK: r.pattern = topk_pattern(head.logits, v.top_k); break;
        case VariantKind::Linformer:
            r.E = linformer_projection(v.k, m, seed, "linformer/E");  // (k, m)
            r.F = linformer_projection(v.k, m, seed, "linformer/F");  // (k, m)
            head.attention = linformer_effective(head.Q, head.K, r.E, r.F, T);
            rank = v.k;
            break;
        case VariantKind::Nystrom:
            r.Q_landmarks = segment_means(head.Q, v.landmarks);  // (l, d_head)
            r.K_landmarks = segment_means(head.K, v.landmarks);  // (l, d_head)
            head.attention = nystrom_effective(head.Q, head.K, r.Q_landmarks, r.K_landmarks, T, v.pinv_iterations);
            rank = v.landmarks;
            break;
        case VariantKind::Performer:
            r.features = performer_features(v.features, d, seed);  // (features, d_head)
            head.attention = performer_effective(head.Q, head.K, r.features, T, t.allowed);
            rank = v.features;
            break;
        case VariantKind::Svd:
            r.svd = truncated_svd(r.exact_attention, v.rank);
            head.attention = r.svd.effective;
            rank = v.rank;
            break;
    }
    if (is_sparse(v.kind)) {
        head.logits = apply_mask(head.logits, r.pattern);
        head.attention = softmax_rows(head.logits);
    }
    head.output = head.attention * head.V;  // (n, d_head)
    r.difference = head.attention - r.exact_attention;
    r.comparison = compare_head(r.exact_attention, head.attention, is_sparse(v.kind) ? &r.pattern : nullptr, rank);
}

Trace prepare_run(const Inputs& in) {
    validate(in);
    Trace t;
    t.inputs = in;
    t.cross = !in.cross_text.empty();
    check_edit_names(in.edits, t.cross);
    const int d_model = in.d_model, heads = in.heads;
    t.d_head = d_model / heads;

    std::vector<std::string> query_tokens = sequence_tokens(in.text, in, !t.cross);
    std::vector<std::string> key_tokens = t.cross ? sequence_tokens(in.cross_text, in, true) : query_tokens;
    const long long cells = static_cast<long long>(heads) * query_tokens.size() * key_tokens.size();
    if (cells > kMaxAttentionCells)
        throw Error("heads x n x m = " + std::to_string(cells) + " attention cells is more than the " +
                    std::to_string(kMaxAttentionCells) + " a trace holds: use fewer heads or a shorter text");

    t.query = encode_sequence(std::move(query_tokens), in, "");
    t.keys = t.cross ? encode_sequence(std::move(key_tokens), in, "cross_") : t.query;
    check_variant_sizes(in.variant, t.n(), t.m());
    t.position_similarity = position_similarity(t.query.positional);  // (n, n)
    if (in.pe == Positional::Rope) t.rope_angles = rope_angle_table(t.n(), t.d_head);

    LayerTrace& layer = t.layers.emplace_back();
    layer.input = t.query.input;
    layer.attention_input = t.query.input;
    layer.key_input = t.keys.input;
    const double init = 1.0 / std::sqrt(static_cast<double>(d_model));  // keeps Q, K, V near unit variance
    layer.W_Q = random_normal(d_model, d_model, init, in.seed, "W_Q");
    layer.W_K = random_normal(d_model, d_model, init, in.seed, "W_K");
    layer.W_V = random_normal(d_model, d_model, init, in.seed, "W_V");
    layer.W_O = random_normal(d_model, d_model, init, in.seed, "W_O");
    apply_edits(layer.W_Q, "W_Q", in.edits);
    apply_edits(layer.W_K, "W_K", in.edits);
    apply_edits(layer.W_V, "W_V", in.edits);
    apply_edits(layer.W_O, "W_O", in.edits);

    if (in.pe == Positional::Alibi) layer.alibi_slopes = alibi_slopes(heads);
    if (in.pe == Positional::Relative) layer.relative_table = relative_bias_table(heads, in.seed);
    std::vector<bool> key_is_padding(t.m(), false);
    if (masks_padding(in.mask))
        for (int j = 0; j < t.m(); ++j) key_is_padding[j] = t.keys.tokens[j] == kPadToken;
    t.allowed = attention_mask(t.n(), t.m(), is_causal(in.mask), key_is_padding);
    return t;
}

void finish_run(Trace& t) {
    LayerTrace& layer = t.layers.at(0);
    long long kept = 0;  // sparse pairs over all heads
    for (const HeadTrace& head : layer.heads)
        if (head.variant && head.variant->pattern.size() > 0)
            kept += (head.variant->pattern.array() && t.allowed.array()).count();
    const int heads = t.inputs.heads;
    layer.output_error = relative_error(layer.output, layer.exact_output);
    layer.cost = attention_cost(t.inputs.variant, t.n(), t.m(), t.d_head, heads, kept / heads);
    layer.dense_cost = attention_cost(VariantParams{}, t.n(), t.m(), t.d_head, heads);
    layer.mean_attention = mean_over_heads(layer.heads);
    if (!t.cross) layer.rollout = attention_rollout({layer.mean_attention})[0];
}

namespace {

std::atomic<long long> forwards{0};

// The CPU's attention layer: projections, heads (with the variant beside exact attention), W_O.
class CpuBackend final : public LayerBackend {
public:
    Backend kind() const override { return Backend::Cpu; }
    std::string unsupported(const Inputs&) const override { return {}; }
    void attend(Trace& t) override {
        const Inputs& in = t.inputs;
        LayerTrace& layer = t.layers.at(0);
        const int d_model = in.d_model, heads = in.heads;
        layer.Q = layer.attention_input * layer.W_Q;  // (n, d_model)
        layer.K = layer.key_input * layer.W_K;        // (m, d_model)
        layer.V = layer.key_input * layer.W_V;        // (m, d_model)
        apply_edits(layer.Q, "Q", in.edits);
        apply_edits(layer.K, "K", in.edits);
        apply_edits(layer.V, "V", in.edits);

        layer.concat.resize(t.n(), d_model);      // (n, d_model)
        Matrix exact_concat(t.n(), d_model);      // (n, d_model)
        for (int h = 0; h < heads; ++h) {
            HeadTrace& head = layer.heads.emplace_back(attend_head(t, layer, h));
            attend_variant(head, t, h);
            layer.concat.middleCols(h * t.d_head, t.d_head) = head.output;
            exact_concat.middleCols(h * t.d_head, t.d_head) = head.variant ? head.variant->exact_output : head.output;
        }
        layer.output = layer.concat * layer.W_O;  // (n, d_model)
        layer.exact_output = t.has_variant() ? Matrix(exact_concat * layer.W_O) : layer.output;
    }
};

}  // namespace

const LayerTrace& Trace::layer(int l) const {
    if (layers.empty()) throw Error("the trace has no layers");
    return layers[std::clamp(l, 0, layer_count() - 1)];
}

long long forward_count() { return forwards.load(); }

Trace vary(const Trace& exact, const VariantParams& variant) {
    if (exact.has_model()) throw Error("variants apply to the synthetic engine only: close the model to compare them");
    if (exact.has_variant()) throw Error("vary() needs a trace of exact attention");
    Trace t = exact;
    t.inputs.variant = variant;
    validate(t.inputs);
    check_variant_sizes(variant, t.n(), t.m());
    LayerTrace& layer = t.layers.at(0);
    for (int h = 0; h < static_cast<int>(layer.heads.size()); ++h) {
        HeadTrace& head = layer.heads[h];
        attend_variant(head, t, h);
        layer.concat.middleCols(h * t.d_head, t.d_head) = head.output;
    }
    layer.output = layer.concat * layer.W_O;  // (n, d_model)
    layer.exact_output = exact.layers[0].output;
    finish_run(t);
    return t;
}

HeadTrace head_stages(const Trace& t, int l, int h) {
    const LayerTrace& layer = t.layer(l);
    HeadTrace head = layer.heads.at(std::clamp(h, 0, static_cast<int>(layer.heads.size()) - 1));
    if (head.has_scores()) return head;
    head.scores = head.Q * head.K.transpose();  // (n, m)
    head.scaled = scale_scores(head.scores, t.d_head, head.bias, t.inputs.temperature);
    head.logits = apply_mask(head.scaled, t.allowed);
    return head;
}

namespace {

// A run never hands out a NaN or an infinity as a result: weights, edits and temperatures are
// bounded, so one means an overflow, and it is an error of the run rather than a cell drawn as masked.
void check_finite(const Trace& t) {
    auto check = [](const Matrix& m, int l, int h, const char* stage) {
        if (m.size() == 0 || m.allFinite()) return;
        Eigen::Index row = 0;
        for (; row < m.rows() && m.row(row).allFinite(); ++row) {}
        throw Error("the run overflowed: layer " + std::to_string(l) + (h >= 0 ? ", head " + std::to_string(h) : "") +
                    ", " + stage + " row " + std::to_string(row) +
                    " is not a finite number; lower the edited values or raise the temperature");
    };
    for (int l = 0; l < t.layer_count(); ++l) {
        const LayerTrace& layer = t.layers[l];
        for (int h = 0; h < static_cast<int>(layer.heads.size()); ++h) {
            check(layer.heads[h].attention, l, h, "attention");
            check(layer.heads[h].output, l, h, "output");
        }
        check(layer.output, l, -1, "layer output");
    }
}

}  // namespace

Trace run(const Inputs& in, const RunContext& context) {
    if (!in.model.empty()) {
        ModelStore once;
        Trace t = run_model(in, context.models ? *context.models : once, context);
        check_finite(t);
        ++forwards;
        return t;
    }
    Trace t = prepare_run(in);
    CpuBackend cpu;
    LayerBackend* backend = context.backend ? context.backend : &cpu;
    if (in.backend != backend->kind()) {
        t.backend_note = in.backend == Backend::Gpu ? "no OpenGL 4.3 context for the GPU backend: ran on the CPU" : "";
        backend = &cpu;
    } else if (const std::string why = backend->unsupported(in); !why.empty()) {
        t.backend_note = why + ": ran on the CPU";
        backend = &cpu;
    }
    t.backend = backend->kind();
    backend->attend(t);
    finish_run(t);
    check_finite(t);
    ++forwards;
    return t;
}

}  // namespace attnscope
