#include "attnscope/gpu/run_gpu.hpp"

#include "attnscope/compare.hpp"
#include "attnscope/error.hpp"
#include "attnscope/kernels.hpp"
#include "attnscope/patterns.hpp"
#include "attnscope/positional.hpp"
#include "attnscope/run.hpp"
#include "attnscope/run_stages.hpp"
#include "attnscope/tokenizer.hpp"

// Shapes: n query tokens, m key/value tokens, H heads, d = d_head, d_model = H d. Stacked per-head
// tensors on the GPU are (H, rows, cols).
namespace attnscope::gpu {
namespace {

Buffer upload(const Matrix& x) {
    const std::vector<float> f(x.data(), x.data() + x.size());  // row-major, as the buffers
    return Buffer(f);
}

Matrix download(const Buffer& b, int rows, int cols, long long offset = 0) {
    std::vector<float> f(static_cast<std::size_t>(rows) * cols);
    b.download(f.data(), f.size() * sizeof(float), static_cast<std::size_t>(offset) * sizeof(float));
    Matrix x(rows, cols);
    for (int i = 0; i < rows; ++i)
        for (int j = 0; j < cols; ++j) x(i, j) = f[static_cast<std::size_t>(i) * cols + j];
    return x;
}

MaskMatrix download_mask(const Buffer& b, int rows, int cols, long long offset) {
    std::vector<unsigned> u(static_cast<std::size_t>(rows) * cols);
    b.download(u.data(), u.size() * sizeof(unsigned), static_cast<std::size_t>(offset) * sizeof(unsigned));
    MaskMatrix x(rows, cols);
    for (int i = 0; i < rows; ++i)
        for (int j = 0; j < cols; ++j) x(i, j) = u[static_cast<std::size_t>(i) * cols + j] != 0;
    return x;
}

Buffer floats(std::size_t count) { return Buffer(count * sizeof(float)); }

// x (rows, cols) = a (rows, inner) b (inner, cols), all row-major.
void product(Device& dev, Buffer& x, const Buffer& a, const Buffer& b, int rows, int inner, int cols) {
    matmul(dev, x, row_major(cols), a, row_major(inner), b, row_major(cols), rows, cols, inner);
}

// The projection `name` (Q, K or V) of x: (rows, d_model); the user's edits replace cells.
Buffer project(Device& dev, Matrix& traced, const Buffer& x, const Buffer& W, int rows, int d_model, const char* name,
               const std::vector<Edit>& edits) {
    Buffer out = floats(static_cast<std::size_t>(rows) * d_model);
    product(dev, out, x, W, rows, d_model, d_model);
    traced = download(out, rows, d_model);
    if (has_edits(edits, name)) {
        apply_edits(traced, name, edits);
        out = upload(traced);
    }
    return out;
}

// The per-head GPU tensors of one pass, exact or a sparse variant's.
struct Attention {
    Buffer logits, weights;  // (H, n, m)
};

// weights = softmax(logits); concat's head columns = weights V_h. concat is (n, d_model).
void weigh_values(Device& dev, Buffer& concat, Attention& a, const Buffer& Vh, int heads, int n, int m, int d) {
    softmax(dev, a.weights, a.logits, heads * n, m);
    matmul(dev, concat, {0, heads * d, 1, d}, a.weights, row_major(m, n * m), Vh, row_major(d, m * d), n, d, m, heads);
}

// The sparse variant's pattern (H, n, m) for trace t, from the exact logits for topk.
Buffer variant_pattern(Device& dev, const Trace& t, const Buffer& exact_logits) {
    const VariantParams& v = t.inputs.variant;
    const int n = t.n(), m = t.m(), H = t.inputs.heads;
    Buffer out(static_cast<std::size_t>(H) * n * m * sizeof(unsigned));
    if (v.kind == VariantKind::TopK) {
        topk(dev, out, exact_logits, n, m, H, v.top_k);
        return out;
    }
    PatternParams p{n, m, H, 0, v.window, v.dilation, v.stride, v.summary, v.block, v.globals};
    std::vector<unsigned> is_global(std::max(n, m), 0u);
    std::vector<unsigned> blocks(1, 0u);
    switch (v.kind) {
        case VariantKind::Local:
            p.kind = patterns::kPatternLocal;
            for (int g : v.global_tokens) is_global.at(g) = 1u;  // run's checks keep g below max(n, m)
            break;
        case VariantKind::Strided: p.kind = patterns::kPatternStrided; break;
        case VariantKind::Fixed: p.kind = patterns::kPatternFixed; break;
        case VariantKind::BigBird: {
            p.kind = patterns::kPatternBigBird;
            const int qb = (n + v.block - 1) / v.block, kb = (m + v.block - 1) / v.block;
            blocks.assign(static_cast<std::size_t>(H) * qb * kb, 0u);
            for (int h = 0; h < H; ++h) {  // each head its own random blocks, drawn as run() draws them
                const MaskMatrix b = bigbird_blocks(qb, kb, v.window, v.random_blocks, head_seed(h, t.inputs.seed));
                for (int i = 0; i < qb; ++i)
                    for (int j = 0; j < kb; ++j) blocks[(static_cast<std::size_t>(h) * qb + i) * kb + j] = b(i, j);
            }
            break;
        }
        default: throw Error(std::string("no GPU pattern for variant ") + name(v.kind));
    }
    pattern(dev, out, p, Buffer(is_global), Buffer(blocks));
    return out;
}

// The positional bias tables logits.comp reads, and its parameters.
struct BiasTables {
    LogitsParams params;
    Buffer slopes, table, buckets, key_is_padding;
};

BiasTables bias_tables(const Trace& t) {
    const Inputs& in = t.inputs;
    const LayerTrace& layer = t.layers.at(0);
    const int n = t.n(), m = t.m();
    BiasTables b;
    b.params = {n, m, in.heads, t.d_head, in.temperature, 0, kRelativeBuckets, is_causal(in.mask), masks_padding(in.mask)};
    std::vector<float> slopes(1, 0.0f), table(1, 0.0f);
    std::vector<int> buckets(1, 0);
    if (in.pe == Positional::Alibi) {
        b.params.pe = 1;
        slopes.assign(layer.alibi_slopes.begin(), layer.alibi_slopes.end());
    }
    if (in.pe == Positional::Relative) {
        b.params.pe = 2;
        table.assign(layer.relative_table.data(), layer.relative_table.data() + layer.relative_table.size());
        buckets.resize(n + m - 1);
        for (int offset = -(n - 1); offset <= m - 1; ++offset)  // offset = j - i
            buckets[offset + n - 1] = t5_bucket(offset, !is_causal(in.mask));
    }
    std::vector<unsigned> padding(m, 0u);
    for (int j = 0; j < m; ++j) padding[j] = t.keys.tokens[j] == kPadToken;
    b.slopes = Buffer(slopes), b.table = Buffer(table), b.buckets = Buffer(buckets), b.key_is_padding = Buffer(padding);
    return b;
}

}  // namespace

void DeviceBackend::attend(Trace& t) {
    Device& dev = device_;
    const Inputs& in = t.inputs;
    LayerTrace& layer = t.layers.at(0);
    const int n = t.n(), m = t.m(), H = in.heads, d = t.d_head, dm = in.d_model;
    const std::size_t nm = static_cast<std::size_t>(H) * n * m;

    const Buffer x_query = upload(layer.attention_input), x_keys = t.cross ? upload(layer.key_input) : Buffer();
    const Buffer& x_kv = t.cross ? x_keys : x_query;
    const Buffer W_Q = upload(layer.W_Q), W_K = upload(layer.W_K), W_V = upload(layer.W_V), W_O = upload(layer.W_O);
    const Buffer Q = project(dev, layer.Q, x_query, W_Q, n, dm, "Q", in.edits);  // (n, d_model)
    const Buffer K = project(dev, layer.K, x_kv, W_K, m, dm, "K", in.edits);     // (m, d_model)
    const Buffer V = project(dev, layer.V, x_kv, W_V, m, dm, "V", in.edits);     // (m, d_model)

    const bool rope = in.pe == Positional::Rope;
    Buffer Qh = floats(static_cast<std::size_t>(n) * dm), Kh = floats(static_cast<std::size_t>(m) * dm),
           Vh = floats(static_cast<std::size_t>(m) * dm);  // (H, n, d), (H, m, d), (H, m, d)
    split_heads(dev, Qh, Q, n, H, d, rope);
    split_heads(dev, Kh, K, m, H, d, rope);
    split_heads(dev, Vh, V, m, H, d, false);

    Buffer scores = floats(nm), bias = floats(in.pe == Positional::Alibi || in.pe == Positional::Relative ? nm : 1),
           scaled = floats(nm);  // (H, n, m)
    matmul(dev, scores, row_major(m, n * m), Qh, row_major(d, n * d), Kh, {0, 1, d, m * d}, n, m, d, H);
    BiasTables tables = bias_tables(t);
    Attention exact{floats(nm), floats(nm)};
    logits(dev, bias, scaled, exact.logits, scores, tables.params, tables.slopes, tables.table, tables.buckets,
           tables.key_is_padding);
    Buffer exact_concat = floats(static_cast<std::size_t>(n) * dm);  // (n, d_model)
    weigh_values(dev, exact_concat, exact, Vh, H, n, m, d);

    const VariantKind kind = in.variant.kind;
    Buffer patterns;
    Attention sparse;
    Buffer sparse_concat;
    if (is_sparse(kind)) {
        patterns = variant_pattern(dev, t, exact.logits);
        sparse = {floats(nm), floats(nm)};
        apply_pattern(dev, sparse.logits, exact.logits, patterns, static_cast<int>(nm));
        sparse_concat = floats(static_cast<std::size_t>(n) * dm);
        weigh_values(dev, sparse_concat, sparse, Vh, H, n, m, d);
    }

    const Matrix exact_concat_m = download(exact_concat, n, dm);                                  // (n, d_model)
    const Matrix sparse_concat_m = is_sparse(kind) ? download(sparse_concat, n, dm) : Matrix();  // (n, d_model)
    for (int h = 0; h < H; ++h) {
        const long long at = static_cast<long long>(h) * n * m;
        HeadTrace head;
        head.kv_head = h;
        head.Q = download(Qh, n, d, static_cast<long long>(h) * n * d);
        head.K = download(Kh, m, d, static_cast<long long>(h) * m * d);
        head.V = download(Vh, m, d, static_cast<long long>(h) * m * d);
        head.scores = download(scores, n, m, at);
        if (tables.params.pe != 0) head.bias = download(bias, n, m, at);
        head.scaled = download(scaled, n, m, at);
        head.logits = download(exact.logits, n, m, at);
        head.attention = download(exact.weights, n, m, at);
        head.output = exact_concat_m.middleCols(h * d, d);
        if (is_sparse(kind)) {
            VariantRecord& r = head.variant.emplace();
            r.exact_attention = head.attention;
            r.exact_output = head.output;
            r.pattern = download_mask(patterns, n, m, at);
            head.logits = download(sparse.logits, n, m, at);
            head.attention = download(sparse.weights, n, m, at);
            head.output = sparse_concat_m.middleCols(h * d, d);
            r.difference = head.attention - r.exact_attention;
            r.comparison = compare_head(r.exact_attention, head.attention, &r.pattern, 0);
        } else if (is_low_rank(kind)) {
            attend_variant(head, t, h);  // on the CPU, from the GPU's exact head
        }
        layer.heads.push_back(std::move(head));
    }

    layer.concat.resize(n, dm);  // (n, d_model)
    for (int h = 0; h < H; ++h) layer.concat.middleCols(h * d, d) = layer.heads[h].output;
    Buffer output = floats(static_cast<std::size_t>(n) * dm);  // (n, d_model)
    const Buffer low_rank_concat = is_low_rank(kind) ? upload(layer.concat) : Buffer();
    const Buffer& concat = is_sparse(kind) ? sparse_concat : is_low_rank(kind) ? low_rank_concat : exact_concat;
    product(dev, output, concat, W_O, n, dm, dm);
    layer.output = download(output, n, dm);
    if (t.has_variant()) {
        product(dev, output, exact_concat, W_O, n, dm, dm);
        layer.exact_output = download(output, n, dm);
    } else {
        layer.exact_output = layer.output;
    }
}

}  // namespace attnscope::gpu
