// The multiply-add peak's inner loop, per instruction set (see simd.hpp): independent accumulator
// chains on this unit's widest vectors, written with intrinsics so that the compiler cannot merge
// or shorten them.
#include <immintrin.h>

#include "vec.hpp"

ATTNSCOPE_ISA_NAMESPACE_BEGIN
namespace {

// Enough independent chains to cover the multiply-add latency times the issue width
// (4-cycle FMA x 2 pipes: 8; SSE2's dependent 3-4 cycle mul then add, 2 pipes each: 12 to 16),
// and few enough to stay in registers with the two constants: a spilled chain runs through
// memory and the "peak" comes out low (16 registers below AVX-512, 32 with it).
#if defined(__AVX512F__)
constexpr int kChains = 16;
#else
constexpr int kChains = 14;
#endif

#if defined(__AVX512F__) && defined(__FMA__)
using Vec = __m512;
inline Vec splat_v(float x) { return _mm512_set1_ps(x); }
inline Vec madd(Vec a, Vec b, Vec c) { return _mm512_fmadd_ps(a, b, c); }
inline float total(Vec v) {  // not _mm512_reduce_add_ps: GCC 12 warns inside it (-Wuninitialized)
    alignas(64) float t[16];
    _mm512_store_ps(t, v);
    float s = 0;
    for (float x : t) s += x;
    return s;
}
#elif defined(__AVX__)
using Vec = __m256;
inline Vec splat_v(float x) { return _mm256_set1_ps(x); }
#if defined(__FMA__)
inline Vec madd(Vec a, Vec b, Vec c) { return _mm256_fmadd_ps(a, b, c); }
#else
inline Vec madd(Vec a, Vec b, Vec c) { return _mm256_add_ps(_mm256_mul_ps(a, b), c); }
#endif
inline float total(Vec v) {
    alignas(32) float t[8];
    _mm256_store_ps(t, v);
    return t[0] + t[1] + t[2] + t[3] + t[4] + t[5] + t[6] + t[7];
}
#else  // x86-64 baseline
using Vec = __m128;
inline Vec splat_v(float x) { return _mm_set1_ps(x); }
inline Vec madd(Vec a, Vec b, Vec c) { return _mm_add_ps(_mm_mul_ps(a, b), c); }
inline float total(Vec v) {
    alignas(16) float t[4];
    _mm_store_ps(t, v);
    return t[0] + t[1] + t[2] + t[3];
}
#endif
static_assert(sizeof(Vec) == kLanes * sizeof(float), "the peak runs on the kernels' vector width");

}  // namespace

double flops_per_round() { return 2.0 * kLanes * kChains; }

// x -> 0.999 x + 0.001 stays near 1 (no denormals).
float run_chains(long long rounds, float seed) {
    Vec acc[kChains];
    for (int k = 0; k < kChains; ++k) acc[k] = splat_v(seed + 0.001f * static_cast<float>(k));
    const Vec a = splat_v(0.999f), b = splat_v(0.001f);
    for (long long r = 0; r < rounds; ++r)
        for (int k = 0; k < kChains; ++k) acc[k] = madd(acc[k], a, b);
    float sum = 0;
    for (int k = 0; k < kChains; ++k) sum += total(acc[k]);
    return sum;
}

ATTNSCOPE_ISA_NAMESPACE_END
