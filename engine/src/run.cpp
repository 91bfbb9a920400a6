#include "attnscope/run.hpp"
#include "attnscope/run_stages.hpp"

#include <cmath>

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
                    ") > " + std::to_string(std::min(n, m)) + " tokens; lower --landmarks");
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

HeadTrace attend_head(const Trace& t, int h) {
    const Inputs& in = t.inputs;
    const int d = t.d_head, n = t.n(), m = t.m();
    HeadTrace head;
    head.Q = t.Q.middleCols(h * d, d);  // (n, d_head)
    head.K = t.K.middleCols(h * d, d);  // (m, d_head)
    head.V = t.V.middleCols(h * d, d);  // (m, d_head)
    if (in.pe == Positional::Rope) {
        head.Q = rope_rotate(head.Q, positions(n));
        head.K = rope_rotate(head.K, positions(m));
    }
    head.scores = head.Q * head.K.transpose();  // (n, m)
    if (in.pe == Positional::Alibi) head.bias = alibi_bias(n, m, t.alibi_slopes[h]);
    if (in.pe == Positional::Relative) head.bias = relative_bias(n, m, t.relative_table, h, !is_causal(in.mask));
    head.scaled = scale_scores(head.scores, d, head.bias, in.temperature);
    head.logits = apply_mask(head.scaled, t.allowed);
    head.attention = softmax_rows(head.logits);  // (n, m)
    head.output = head.attention * head.V;       // (n, d_head)
    return head;
}

}  // namespace

void attend_variant(HeadTrace& head, const Trace& t, int h) {
    const VariantParams& v = t.inputs.variant;
    const double T = t.inputs.temperature;
    const int n = t.n(), m = t.m(), d = t.d_head;
    const std::uint64_t seed = hash64("head" + std::to_string(h), t.inputs.seed);  // each head its own draws
    head.exact_attention = head.attention;
    head.exact_output = head.output;
    int rank = 0;
    switch (v.kind) {
        case VariantKind::Dense: return;
        case VariantKind::Local: head.pattern = local_pattern(n, m, v.window, v.dilation, v.global_tokens); break;
        case VariantKind::Strided: head.pattern = strided_pattern(n, m, v.stride); break;
        case VariantKind::Fixed: head.pattern = fixed_pattern(n, m, v.stride, v.summary); break;
        case VariantKind::BigBird:
            head.pattern = bigbird_pattern(n, m, v.block, v.window, v.globals, v.random_blocks, seed);
            break;
        case VariantKind::TopK: head.pattern = topk_pattern(head.logits, v.top_k); break;
        case VariantKind::Linformer:
            head.E = linformer_projection(v.k, m, seed, "linformer/E");  // (k, m)
            head.F = linformer_projection(v.k, m, seed, "linformer/F");  // (k, m)
            head.attention = linformer_effective(head.Q, head.K, head.E, head.F, T);
            rank = v.k;
            break;
        case VariantKind::Nystrom:
            head.Q_landmarks = segment_means(head.Q, v.landmarks);  // (l, d_head)
            head.K_landmarks = segment_means(head.K, v.landmarks);  // (l, d_head)
            head.attention =
                nystrom_effective(head.Q, head.K, head.Q_landmarks, head.K_landmarks, T, v.pinv_iterations);
            rank = v.landmarks;
            break;
        case VariantKind::Performer:
            head.features = performer_features(v.features, d, seed);  // (features, d_head)
            head.attention = performer_effective(head.Q, head.K, head.features, T, t.allowed);
            rank = v.features;
            break;
        case VariantKind::Svd:
            head.svd = truncated_svd(head.exact_attention, v.rank);
            head.attention = head.svd.effective;
            rank = v.rank;
            break;
    }
    if (is_sparse(v.kind)) {
        head.logits = apply_mask(head.logits, head.pattern);
        head.attention = softmax_rows(head.logits);
    }
    head.output = head.attention * head.V;  // (n, d_head)
    head.comparison = compare_head(head.exact_attention, head.attention, is_sparse(v.kind) ? &head.pattern : nullptr, rank);
}

Trace prepare_run(const Inputs& in) {
    // A GPT-2 model runs only through run() (run_model); any other path would silently drop it.
    if (!in.model.empty()) throw Error("GPT-2 models run on the CPU backend only: choose backend cpu");
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

    const double init = 1.0 / std::sqrt(static_cast<double>(d_model));  // keeps Q, K, V near unit variance
    t.W_Q = random_normal(d_model, d_model, init, in.seed, "W_Q");
    t.W_K = random_normal(d_model, d_model, init, in.seed, "W_K");
    t.W_V = random_normal(d_model, d_model, init, in.seed, "W_V");
    t.W_O = random_normal(d_model, d_model, init, in.seed, "W_O");
    apply_edits(t.W_Q, "W_Q", in.edits);
    apply_edits(t.W_K, "W_K", in.edits);
    apply_edits(t.W_V, "W_V", in.edits);
    apply_edits(t.W_O, "W_O", in.edits);

    if (in.pe == Positional::Alibi) t.alibi_slopes = alibi_slopes(heads);
    if (in.pe == Positional::Relative) t.relative_table = relative_bias_table(heads, in.seed);
    std::vector<bool> key_is_padding(t.m(), false);
    if (masks_padding(in.mask))
        for (int j = 0; j < t.m(); ++j) key_is_padding[j] = t.keys.tokens[j] == kPadToken;
    t.allowed = attention_mask(t.n(), t.m(), is_causal(in.mask), key_is_padding);
    return t;
}

void finish_run(Trace& t) {
    long long kept = 0;  // sparse pairs over all heads
    for (const HeadTrace& head : t.heads)
        kept += head.pattern.size() > 0 ? (head.pattern.array() && t.allowed.array()).count() : 0;
    const int heads = t.inputs.heads;
    t.output_error = relative_error(t.output, t.exact_output);
    t.cost = attention_cost(t.inputs.variant, t.n(), t.m(), t.d_head, heads, kept / heads);
    t.dense_cost = attention_cost(VariantParams{}, t.n(), t.m(), t.d_head, heads);
}

Trace run(const Inputs& in) {
    if (!in.model.empty()) return run_model(in);
    Trace t = prepare_run(in);
    const int d_model = in.d_model, heads = in.heads;
    t.Q = t.query.input * t.W_Q;  // (n, d_model)
    t.K = t.keys.input * t.W_K;   // (m, d_model)
    t.V = t.keys.input * t.W_V;   // (m, d_model)
    apply_edits(t.Q, "Q", in.edits);
    apply_edits(t.K, "K", in.edits);
    apply_edits(t.V, "V", in.edits);

    t.concat.resize(t.n(), d_model);  // (n, d_model)
    Matrix exact_concat(t.n(), d_model);  // (n, d_model)
    for (int h = 0; h < heads; ++h) {
        t.heads.push_back(attend_head(t, h));
        HeadTrace& head = t.heads.back();
        if (t.has_variant()) attend_variant(head, t, h);
        t.concat.middleCols(h * t.d_head, t.d_head) = head.output;
        exact_concat.middleCols(h * t.d_head, t.d_head) = t.has_variant() ? head.exact_output : head.output;
    }
    t.output = t.concat * t.W_O;  // (n, d_model)
    t.exact_output = t.has_variant() ? Matrix(exact_concat * t.W_O) : t.output;
    finish_run(t);
    return t;
}

}  // namespace attnscope
