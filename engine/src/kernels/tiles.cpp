// The online-softmax recurrence shared by every kernel (see kernels.hpp and tiles.hpp).
#include "tiles.hpp"

#include <omp.h>

#include <cmath>
#include <cstring>
#include <string>

#include "attnscope/error.hpp"

namespace attnscope {
namespace kernels {
namespace {

typedef float vfloat __attribute__((vector_size(kLanes * sizeof(float))));
typedef unsigned vuint __attribute__((vector_size(kLanes * sizeof(unsigned))));

inline vfloat load(const float* p) {
    vfloat v;
    std::memcpy(&v, p, sizeof v);
    return v;
}
inline void store(float* p, vfloat v) { std::memcpy(p, &v, sizeof v); }

// exp(x) for x <= 88 (the kernels only ever pass x <= 0): exp(x) = 2^n exp(r) with n = round(x / ln 2)
// found by the 1.5 * 2^23 rounding trick (no conversions), |r| <= ln(2) / 2, and Cephes' degree-5
// polynomial for exp(r) (1-2 ulp). Below ln(2^-126) the result is exactly 0 rather than a
// denormal, so -inf (a masked key) and NaN give 0.
inline vfloat exp_vec(vfloat x) {
    const vfloat lowest = vfloat{} - 87.33654475f, magic = vfloat{} + 12582912.0f;
    const vuint in_range = (vuint)(x >= lowest);
    const vfloat t = x * 1.44269504088896341f + magic;
    const vfloat nf = t - magic;                                   // round(x / ln 2), as a float
    const vuint n = (vuint)t - (vuint)magic;                       // the same integer, from t's low mantissa bits
    const vfloat r = x - nf * 0.693359375f + nf * 2.12194440e-4f;  // x - n ln 2 in two exact-ish steps
    const vfloat r2 = r * r;
    vfloat y = r * 1.9875691500e-4f + 1.3981999507e-3f;
    y = y * r + 8.3334519073e-3f;
    y = y * r + 4.1665795894e-2f;
    y = y * r + 1.6666665459e-1f;
    y = y * r + 5.0000001201e-1f;
    y = y * r2 + r + 1.0f;
    const vuint two_n = (n + 127u) << 23;  // same-size vector casts reinterpret the bits
    return (vfloat)((vuint)(y * (vfloat)two_n) & in_range);
}

}  // namespace

float exp_shift_sum(float* x, int count, float shift) {
    vfloat total{};
    int j = 0;
    for (; j + kLanes <= count; j += kLanes) {
        vfloat v;
        std::memcpy(&v, x + j, sizeof v);
        v = exp_vec(v - shift);
        std::memcpy(x + j, &v, sizeof v);
        total += v;
    }
    if (j < count) {  // the tail, padded with -inf (exp gives 0)
        float buf[kLanes];
        for (int t = 0; t < kLanes; ++t) buf[t] = j + t < count ? x[j + t] : kNegInf;
        vfloat v;
        std::memcpy(&v, buf, sizeof v);
        v = exp_vec(v - shift);
        std::memcpy(buf, &v, sizeof v);
        for (int t = 0; j + t < count; ++t) x[j + t] = buf[t];
        total += v;
    }
    float sum = 0;
    for (int t = 0; t < kLanes; ++t) sum += total[t];
    return sum;
}

// --- the tile state ---

void TileScratch::load_queries(ConstRowsF q, float c) {
    rows = static_cast<int>(q.rows());
    lanes = (rows + kLanes - 1) / kLanes * kLanes;
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
    const long ld = s.ST.outerStride();
    bool rescaled = false;
    for (int v = 0; v < s.lanes; v += kLanes) {  // the tile's max per query, then shift and rescale
        vfloat top = load(&s.ST(0, v));
        for (int j = 1; j < count; ++j) {
            const vfloat x = load(&s.ST(j, v));
            top = x > top ? x : top;
        }
        const vfloat old_max = load(&s.max[v]);
        const vfloat new_max = old_max > top ? old_max : top;
        const auto unseen = new_max == kNegInf;  // no visible key yet: keep max -inf, weights 0
        const vfloat shift = unseen ? vfloat{} : new_max;
        const vfloat rescale = unseen ? vfloat{} + 1.0f : exp_vec(old_max - new_max);  // 0 on the first keys
        store(&s.shift[v], shift);
        store(&s.rescale[v], rescale);
        store(&s.max[v], new_max);
        store(&s.sum[v], load(&s.sum[v]) * rescale);
        for (int t = 0; t < kLanes; ++t) rescaled = rescaled || rescale[t] != 1.0f;
    }
    for (int v = 0; v < s.lanes; v += kLanes) {  // P^T = exp(S^T - shift), and the sums
        const vfloat shift = load(&s.shift[v]);
        vfloat total{};
        for (int j = 0; j < count; ++j) {
            const vfloat p = exp_vec(load(&s.ST(j, v)) - shift);
            store(&s.ST(j, v), p);
            total += p;
        }
        store(&s.sum[v], load(&s.sum[v]) + total);
    }
    if (rescaled)
        for (int k = 0; k < s.OT.rows(); ++k)
            for (int v = 0; v < s.lanes; v += kLanes) store(&s.OT(k, v), load(&s.OT(k, v)) * load(&s.rescale[v]));
    // O^T += V^T P^T: A(r, k) = V(k, r).
    tile_product(s.OT.data(), s.OT.outerStride(), V.data(), 1, V.outerStride(), s.ST.data(), ld,
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
