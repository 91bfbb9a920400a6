// The online-softmax recurrence shared by every kernel (see kernels.hpp and tiles.hpp).
#include "tiles.hpp"

#include <omp.h>

#include <cmath>
#include <string>

#include "attnscope/error.hpp"
#include "simd.hpp"

namespace attnscope {
namespace kernels {

float exp_shift_sum(float* x, int count, float shift) { return simd().exp_shift_sum(x, count, shift); }

void tile_product(float* C, long ldC, const float* A, long a_row, long a_k, const float* B, long ldB, int rows,
                  int lanes, int K, bool accumulate) {
    simd().tile_product(C, ldC, A, a_row, a_k, B, ldB, rows, lanes, K, accumulate);
}

int vector_lanes() { return simd().lanes; }

// --- the tile state ---

void TileScratch::load_queries(ConstRowsF q, float c) {
    rows = static_cast<int>(q.rows());
    const int w = vector_lanes();
    lanes = (rows + w - 1) / w * w;
    for (int k = 0; k < QT.rows(); ++k) {
        for (int i = 0; i < rows; ++i) QT(k, i) = c * q(i, k);
        for (int i = rows; i < lanes; ++i) QT(k, i) = 0.0f;
    }
}

void TileScratch::reset() {
    max.setConstant(kNegInf);
    sum.setZero();
    OT.leftCols(lanes).setZero();
}

void TileScratch::load_state(const float* max_in, const float* sum_in, ConstRowsF acc) {
    reset();
    for (int i = 0; i < rows; ++i) {
        max[i] = max_in[i], sum[i] = sum_in[i];
        OT.col(i) = acc.row(i).transpose();
    }
}

void TileScratch::store_state(float* max_out, float* sum_out, RowsF acc) const {
    for (int i = 0; i < rows; ++i) {
        max_out[i] = max[i], sum_out[i] = sum[i];
        acc.row(i) = OT.col(i).transpose();
    }
}

void TileScratch::finish(RowsF out) const {
    for (int i = 0; i < rows; ++i) {
        if (sum[i] > 0)
            out.row(i) = OT.col(i).transpose() * (1.0f / sum[i]);
        else
            out.row(i).setZero();  // no visible key: zeros, not NaN
    }
}

void add_tile(TileScratch& s, int count, ConstRowsF V) {
    const SimdKernels& k = simd();
    const long ld = s.ST.outerStride();
    if (k.softmax_tile(s.ST.data(), ld, count, s.lanes, s.max.data(), s.sum.data(), s.rescale.data()))
        k.rescale_columns(s.OT.data(), s.OT.outerStride(), static_cast<int>(s.OT.rows()), s.lanes, s.rescale.data());
    // O^T += V^T P^T: A(r, k) = V(k, r).
    k.tile_product(s.OT.data(), s.OT.outerStride(), V.data(), 1, V.outerStride(), s.ST.data(), ld,
                   static_cast<int>(s.OT.rows()), s.lanes, count, true);
}

// --- stored states ---

void finish(RowState& st) {
    for (int r = 0; r < st.acc.rows(); ++r) {
        if (st.sum[r] > 0)
            st.acc.row(r) *= 1.0f / st.sum[r];
        else
            st.acc.row(r).setZero();
    }
}

void merge(RowState& st, const float* max2, const float* sum2, ConstRowsF acc2) {
    for (int r = 0; r < st.acc.rows(); ++r) {
        if (max2[r] == kNegInf) continue;
        const float top = std::max(st.max[r], max2[r]);
        const float a = std::exp(st.max[r] - top), b = std::exp(max2[r] - top);
        st.acc.row(r) = a * st.acc.row(r) + b * acc2.row(r);
        st.sum[r] = a * st.sum[r] + b * sum2[r];
        st.max[r] = top;
    }
}

bool any_padding(const KeyMask& mask, Positions kpos, int count) {
    if (mask.key_is_padding.empty()) return false;
    for (int k = 0; k < count; ++k)
        if (mask.key_is_padding[kpos[k]]) return true;
    return false;
}

void hide_masked(TileScratch& s, int count, Positions qpos, Positions kpos, const KeyMask& mask, bool causal_part) {
    for (int j = 0; j < count; ++j) {
        float* row = &s.ST(j, 0);
        if (!mask.key_is_padding.empty() && mask.key_is_padding[kpos[j]])
            std::fill(row, row + s.rows, kNegInf);
        else if (causal_part)  // key j hides from the queries before it
            std::fill(row, row + qpos.lower(kpos[j], s.rows), kNegInf);
    }
}

void gather_rows(RowsF dst, ConstRowsF src, const int* index, int count) {
    for (int k = 0; k < count; ++k) dst.row(k) = src.row(index[k]);
}

}  // namespace kernels

void check_problem(const AttentionProblem& p) {
    auto shape = [](const MatrixF& x) { return std::to_string(x.rows()) + " x " + std::to_string(x.cols()); };
    if (p.heads < 1) throw Error("heads (" + std::to_string(p.heads) + ") must be at least 1");
    if (p.Q.cols() < 1) throw Error("d_head must be at least 1: Q is " + shape(p.Q));
    if (p.Q.rows() % p.heads != 0 || p.K.rows() % p.heads != 0)
        throw Error("Q (" + shape(p.Q) + ") and K (" + shape(p.K) + ") must stack " + std::to_string(p.heads) +
                    " heads: rows must be a multiple of heads");
    if (p.K.cols() != p.Q.cols() || p.V.rows() != p.K.rows() || p.V.cols() != p.Q.cols())
        throw Error("Q (" + shape(p.Q) + "), K (" + shape(p.K) + ") and V (" + shape(p.V) +
                    ") must share d_head, and K and V their rows");
    if (!p.mask.key_is_padding.empty() && static_cast<int>(p.mask.key_is_padding.size()) != p.m())
        throw Error("key padding has " + std::to_string(p.mask.key_is_padding.size()) + " entries for " +
                    std::to_string(p.m()) + " keys: give one per key or none");
    if (!(p.temperature > 0) || !std::isfinite(p.temperature))
        throw Error("temperature (" + std::to_string(p.temperature) + ") must be positive and finite");
}

void set_kernel_threads(int threads) { omp_set_num_threads(threads > 0 ? threads : omp_get_num_procs()); }
int kernel_threads() { return omp_get_max_threads(); }

}  // namespace attnscope
