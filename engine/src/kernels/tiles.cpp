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

// The widest float vector this build targets: exp runs on it (GCC vector extensions, so the
// default build gets SSE2 and -DATTNSCOPE_NATIVE=ON gets AVX2 or AVX-512 from the same code).
#if defined(__AVX512F__)
constexpr int kLanes = 16;
#elif defined(__AVX__)
constexpr int kLanes = 8;
#else
constexpr int kLanes = 4;
#endif
typedef float vfloat __attribute__((vector_size(kLanes * sizeof(float))));
typedef int vint __attribute__((vector_size(kLanes * sizeof(int))));

// Cephes' expf: exp(x) = 2^n exp(r), |r| <= ln(2)/2, a degree-5 polynomial for exp(r) (1-2 ulp).
// Below ln(2^-126) the result is exactly 0 rather than a denormal, so -inf (a masked key) gives 0.
inline vfloat exp_vec(vfloat x) {
    const vfloat lo = vfloat{} - 87.33654475f, hi = vfloat{} + 88.0f;
    const vint in_range = x >= lo;
    x = x < lo ? lo : x;
    x = x > hi ? hi : x;
    const vfloat fx = x * 1.44269504088896341f + 0.5f;
    vint n = __builtin_convertvector(fx, vint);  // truncates; floor for negative fx below
    vfloat nf = __builtin_convertvector(n, vfloat);
    n += nf > fx;                                // comparisons give -1 where true
    nf = __builtin_convertvector(n, vfloat);
    const vfloat r = x - nf * 0.693359375f + nf * 2.12194440e-4f;
    const vfloat r2 = r * r;
    vfloat y = r * 1.9875691500e-4f + 1.3981999507e-3f;
    y = y * r + 8.3334519073e-3f;
    y = y * r + 4.1665795894e-2f;
    y = y * r + 1.6666665459e-1f;
    y = y * r + 5.0000001201e-1f;
    y = y * r2 + r + 1.0f;
    const vint two_n = (n + 127) << 23;
    const vint bits = (vint)(y * (vfloat)two_n) & in_range;  // same-size vector casts reinterpret
    return (vfloat)bits;
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

void reset(RowState& st) {
    const int rows = static_cast<int>(st.acc.rows());
    std::fill(st.max, st.max + rows, kNegInf);
    std::fill(st.sum, st.sum + rows, 0.0f);
    st.acc.setZero();
}

void add_tile(RowState& st, RowsF S, ConstRowsF V) {
    const int rows = static_cast<int>(S.rows()), count = static_cast<int>(S.cols());
    for (int r = 0; r < rows; ++r) {
        float* row = &S(r, 0);
        const float tile_max = S.row(r).maxCoeff();
        const float new_max = std::max(st.max[r], tile_max);
        if (new_max == kNegInf) {  // nothing visible yet: the row keeps zero weight
            std::fill(row, row + count, 0.0f);
            continue;
        }
        const float rescale = std::exp(st.max[r] - new_max);  // 0 for the first visible tile
        st.sum[r] = rescale * st.sum[r] + exp_shift_sum(row, count, new_max);
        if (rescale != 1.0f) st.acc.row(r) *= rescale;
        st.max[r] = new_max;
    }
    st.acc.noalias() += S * V;
}

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

void hide_masked(RowsF S, Positions qpos, Positions kpos, const KeyMask& mask, bool causal_part) {
    const int rows = static_cast<int>(S.rows()), count = static_cast<int>(S.cols());
    if (causal_part)
        for (int r = 0; r < rows; ++r) {
            const int first_hidden = kpos.upper(qpos[r], count);
            std::fill(&S(r, 0) + first_hidden, &S(r, 0) + count, kNegInf);
        }
    if (!mask.key_is_padding.empty())
        for (int k = 0; k < count; ++k)
            if (mask.key_is_padding[kpos[k]]) S.col(k).setConstant(kNegInf);
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
