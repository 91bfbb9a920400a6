// Exact attention: the fused tiled kernel and the plain reference beside it (see kernels.hpp).
// Shapes per head: Q (n, d), K and V (m, d), out (n, d); stacked by head as (H*n, d), (H*m, d).
#include <cmath>

#include "attnscope/attention.hpp"
#include "tiles.hpp"

namespace attnscope {

using namespace kernels;

void dense_attention_fused(MatrixF& out, const AttentionProblem& p) {
    check_problem(p);
    const int H = p.heads, n = p.n(), m = p.m(), d = p.d();
    const float c = static_cast<float>(1.0 / (std::sqrt(static_cast<double>(d)) * p.temperature));
    const int query_tiles = (n + kQueryTile - 1) / kQueryTile;
    out.resize(static_cast<Eigen::Index>(H) * n, d);
#pragma omp parallel
    {
        TileScratch s(d);
        // Dynamic: causal tiles near the end of the sequence see more keys than those near the start.
#pragma omp for schedule(dynamic, 1)
        for (int task = 0; task < H * query_tiles; ++task) {
            const int h = task / query_tiles, i0 = (task % query_tiles) * kQueryTile;
            const int rows = std::min(kQueryTile, n - i0);
            const long long q0 = static_cast<long long>(h) * n + i0, k0 = static_cast<long long>(h) * m;
            s.load_queries(p.Q.middleRows(q0, rows), c);
            s.reset();
            attend_keys(s, Positions{nullptr, i0}, p.K.middleRows(k0, m), p.V.middleRows(k0, m), Positions{}, p.mask,
                        AllKeys{});
            s.finish(out.middleRows(q0, rows));
        }
    }
}

void dense_attention_reference(MatrixF& out, const AttentionProblem& p) {
    check_problem(p);
    const int H = p.heads, n = p.n(), m = p.m(), d = p.d();
    const float c = static_cast<float>(1.0 / (std::sqrt(static_cast<double>(d)) * p.temperature));
    const MaskMatrix allowed = attention_mask(n, m, p.mask.causal, p.mask.key_is_padding);  // (n, m)
    out.resize(static_cast<Eigen::Index>(H) * n, d);
    for (int h = 0; h < H; ++h) {
        const auto Q = p.Q.middleRows(static_cast<long long>(h) * n, n);  // (n, d)
        const auto K = p.K.middleRows(static_cast<long long>(h) * m, m);  // (m, d)
        const auto V = p.V.middleRows(static_cast<long long>(h) * m, m);  // (m, d)
        MatrixF weights = c * Q * K.transpose();                          // (n, m) logits, then weights
        for (int i = 0; i < n; ++i) {
            float top = -INFINITY;
            for (int j = 0; j < m; ++j) {
                if (!allowed(i, j)) weights(i, j) = -INFINITY;
                top = std::max(top, weights(i, j));
            }
            if (top == -INFINITY) {  // every key masked: zero weights, not NaN
                weights.row(i).setZero();
                continue;
            }
            float sum = 0;
            for (int j = 0; j < m; ++j) sum += weights(i, j) = std::exp(weights(i, j) - top);
            weights.row(i) /= sum;
        }
        out.middleRows(static_cast<long long>(h) * n, n).noalias() = weights * V;
    }
}

}  // namespace attnscope
