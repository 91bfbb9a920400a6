// The vector exp and the online-softmax step of a score tile, per instruction set (see simd.hpp
// and kernels.hpp for the recurrence). Shapes: ST (count keys, lanes queries), OT (d, lanes).
#include "vec.hpp"

ATTNSCOPE_ISA_NAMESPACE_BEGIN
namespace {

constexpr float kNegInf = -__builtin_inff();

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
        const vfloat v = exp_vec(load(x + j) - shift);
        store(x + j, v);
        total += v;
    }
    if (j < count) {  // the tail, padded with -inf (exp gives 0)
        float buf[kLanes];
        for (int t = 0; t < kLanes; ++t) buf[t] = j + t < count ? x[j + t] : kNegInf;
        const vfloat v = exp_vec(load(buf) - shift);
        store(buf, v);
        for (int t = 0; j + t < count; ++t) x[j + t] = buf[t];
        total += v;
    }
    float sum = 0;
    for (int t = 0; t < kLanes; ++t) sum += total[t];
    return sum;
}

bool softmax_tile(float* ST, long ldS, int count, int lanes, float* max, float* sum, float* rescale_out) {
    bool rescaled = false;
    for (int v = 0; v < lanes; v += kLanes) {
        vfloat top = load(ST + v);  // the tile's max per query
        for (int j = 1; j < count; ++j) {
            const vfloat x = load(ST + j * ldS + v);
            top = x > top ? x : top;
        }
        const vfloat old_max = load(max + v);
        const vfloat new_max = old_max > top ? old_max : top;
        const auto unseen = new_max == kNegInf;  // no visible key yet: keep max -inf, weights 0
        const vfloat shift = unseen ? vfloat{} : new_max;
        const vfloat rescale = unseen ? vfloat{} + 1.0f : exp_vec(old_max - new_max);  // 0 on the first keys
        vfloat total{};
        for (int j = 0; j < count; ++j) {  // P^T = exp(S^T - shift), and the sums
            const vfloat p = exp_vec(load(ST + j * ldS + v) - shift);
            store(ST + j * ldS + v, p);
            total += p;
        }
        store(max + v, new_max);
        store(sum + v, load(sum + v) * rescale + total);
        store(rescale_out + v, rescale);
        for (int t = 0; t < kLanes; ++t) rescaled = rescaled || rescale[t] != 1.0f;
    }
    return rescaled;
}

void rescale_columns(float* OT, long ldO, int d, int lanes, const float* rescale) {
    for (int k = 0; k < d; ++k)
        for (int v = 0; v < lanes; v += kLanes) store(OT + k * ldO + v, load(OT + k * ldO + v) * load(rescale + v));
}

ATTNSCOPE_ISA_NAMESPACE_END
