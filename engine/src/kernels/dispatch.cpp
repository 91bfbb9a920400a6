// One entry point per variant for the fast kernels and for the traced (reference) definitions,
// the variant parameters drawn as run() draws them, and the bookkeeping the bench reports.
// Shapes: stacked heads, Q (H*n, d), K and V (H*m, d) (see kernels.hpp).
#include <string>

#include "attnscope/attention.hpp"
#include "attnscope/error.hpp"
#include "attnscope/random.hpp"
#include "tiles.hpp"

namespace attnscope {

using namespace kernels;

std::uint64_t head_seed(int h, std::uint64_t seed) { return hash64("head" + std::to_string(h), seed); }

MatrixF linformer_projections(int heads, int k, int m, std::uint64_t seed, std::string_view name) {
    MatrixF P(static_cast<long long>(heads) * k, m);  // (H*k, m)
    for (int h = 0; h < heads; ++h)
        P.middleRows(static_cast<long long>(h) * k, k) =
            linformer_projection(k, m, head_seed(h, seed), name).cast<float>();
    return P;
}

MatrixF performer_feature_maps(int heads, int features, int d, std::uint64_t seed) {
    MatrixF W(static_cast<long long>(heads) * features, d);  // (H*r, d)
    for (int h = 0; h < heads; ++h)
        W.middleRows(static_cast<long long>(h) * features, features) =
            performer_features(features, d, head_seed(h, seed)).cast<float>();
    return W;
}

VariantWeights draw_variant_weights(const VariantParams& v, int heads, int m, int d, std::uint64_t seed) {
    VariantWeights w;
    if (v.kind == VariantKind::Linformer) {
        w.E = linformer_projections(heads, v.k, m, seed, "linformer/E");
        w.F = linformer_projections(heads, v.k, m, seed, "linformer/F");
    }
    if (v.kind == VariantKind::Performer) w.W = performer_feature_maps(heads, v.features, d, seed);
    return w;
}

bool has_fast_kernel(VariantKind kind) {
    switch (kind) {
        case VariantKind::Dense:
        case VariantKind::Local:
        case VariantKind::Strided:
        case VariantKind::BigBird:
        case VariantKind::Linformer:
        case VariantKind::Nystrom:
        case VariantKind::Performer:
            return true;
        default:
            return false;
    }
}

void attention_fast(MatrixF& out, const AttentionProblem& p, const VariantParams& v, const VariantWeights& w,
                    std::uint64_t seed) {
    switch (v.kind) {
        case VariantKind::Dense:
            return dense_attention_fused(out, p);
        case VariantKind::Local:
            return local_attention(out, p, v.window, v.dilation, v.global_tokens);
        case VariantKind::Strided:
            return strided_attention(out, p, v.stride);
        case VariantKind::BigBird:
            return bigbird_attention(out, p, v.block, v.window, v.globals, v.random_blocks, seed);
        case VariantKind::Linformer:
            return linformer_attention(out, p, w.E, w.F);
        case VariantKind::Nystrom:
            return nystrom_attention(out, p, v.landmarks, v.pinv_iterations);
        case VariantKind::Performer:
            return performer_attention(out, p, w.W);
        default:
            throw Error(std::string("no fast kernel for ") + name(v.kind) +
                        ": choose dense, local, strided, bigbird, linformer, nystrom or performer");
    }
}

void attention_reference(MatrixF& out, const AttentionProblem& p, const VariantParams& v, const VariantWeights& w,
                         std::uint64_t seed) {
    check_problem(p);
    const int H = p.heads, n = p.n(), m = p.m(), d = p.d();
    const double T = p.temperature;
    const MaskMatrix allowed = attention_mask(n, m, p.mask.causal, p.mask.key_is_padding);  // (n, m)
    out.resize(static_cast<long long>(H) * n, d);
    for (int h = 0; h < H; ++h) {
        const Matrix Q = p.Q.middleRows(static_cast<long long>(h) * n, n).cast<double>();            // (n, d)
        const Matrix K = p.K.middleRows(static_cast<long long>(h) * m, m).cast<double>();            // (m, d)
        const Matrix V = p.V.middleRows(static_cast<long long>(h) * m, m).cast<double>();            // (m, d)
        const Matrix logits = apply_mask(scale_scores(Q * K.transpose(), d, Matrix(), T), allowed);  // (n, m)
        const std::uint64_t hs = head_seed(h, seed);
        Matrix A;  // (n, m) the weights actually applied
        switch (v.kind) {
            case VariantKind::Dense:
                A = softmax_rows(logits);
                break;
            case VariantKind::Local:
                A = softmax_rows(apply_mask(logits, local_pattern(n, m, v.window, v.dilation, v.global_tokens)));
                break;
            case VariantKind::Strided:
                A = softmax_rows(apply_mask(logits, strided_pattern(n, m, v.stride)));
                break;
            case VariantKind::Fixed:
                A = softmax_rows(apply_mask(logits, fixed_pattern(n, m, v.stride, v.summary)));
                break;
            case VariantKind::BigBird:
                A = softmax_rows(
                    apply_mask(logits, bigbird_pattern(n, m, v.block, v.window, v.globals, v.random_blocks, hs)));
                break;
            case VariantKind::TopK:
                A = softmax_rows(apply_mask(logits, topk_pattern(logits, v.top_k)));
                break;
            case VariantKind::Linformer: {
                const Matrix E = w.E.middleRows(static_cast<long long>(h) * v.k, v.k).cast<double>();  // (k, m)
                const Matrix F = w.F.middleRows(static_cast<long long>(h) * v.k, v.k).cast<double>();  // (k, m)
                A = linformer_effective(Q, K, E, F, T);
                break;
            }
            case VariantKind::Nystrom:
                A = nystrom_effective(Q, K, segment_means(Q, v.landmarks), segment_means(K, v.landmarks), T,
                                      v.pinv_iterations);
                break;
            case VariantKind::Performer: {
                const Matrix W = w.W.middleRows(static_cast<long long>(h) * v.features, v.features).cast<double>();
                A = performer_effective(Q, K, W, T, allowed);
                break;
            }
            case VariantKind::Svd:
                A = truncated_svd(softmax_rows(logits), v.rank).effective;
                break;
        }
        out.middleRows(static_cast<long long>(h) * n, n) = (A * V).cast<float>();
    }
}

long long kept_pairs(const VariantParams& v, int heads, int n, int m, bool causal, std::uint64_t seed) {
    return heads > 0 ? sparse_kept_pairs(v, heads, n, m, causal, seed) / heads : 0;
}

std::size_t kernel_scratch_bytes(const VariantParams& v, int heads, int n, int m, int d, int threads) {
    return is_low_rank(v.kind) ? low_rank_scratch_bytes(v, heads, n, m, d, threads)
                               : sparse_scratch_bytes(v, heads, n, m, d, threads);
}

}  // namespace attnscope
