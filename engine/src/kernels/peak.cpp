// The machine's fp32 multiply-add peak for this build: every thread runs independent
// accumulator chains on the widest vector type the build targets (see kernels.hpp).
#include <omp.h>

#include <chrono>
#include <ctime>

#include "attnscope/kernels.hpp"

#if defined(__AVX512F__) || defined(__AVX__) || defined(__SSE2__)
#include <immintrin.h>
#endif

namespace attnscope {
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
constexpr int kLanes = 16;
constexpr const char* kInstructions = "AVX-512 FMA (512-bit)";
constexpr bool kFused = true;
inline Vec splat(float x) { return _mm512_set1_ps(x); }
inline Vec madd(Vec a, Vec b, Vec c) { return _mm512_fmadd_ps(a, b, c); }
inline float total(Vec v) { return _mm512_reduce_add_ps(v); }
#elif defined(__AVX__) && defined(__FMA__)
using Vec = __m256;
constexpr int kLanes = 8;
constexpr const char* kInstructions = "AVX2 FMA (256-bit)";
constexpr bool kFused = true;
inline Vec splat(float x) { return _mm256_set1_ps(x); }
inline Vec madd(Vec a, Vec b, Vec c) { return _mm256_fmadd_ps(a, b, c); }
inline float total(Vec v) {
    alignas(32) float t[8];
    _mm256_store_ps(t, v);
    return t[0] + t[1] + t[2] + t[3] + t[4] + t[5] + t[6] + t[7];
}
#elif defined(__AVX__)
using Vec = __m256;
constexpr int kLanes = 8;
constexpr const char* kInstructions = "AVX mul+add (256-bit)";
constexpr bool kFused = false;
inline Vec splat(float x) { return _mm256_set1_ps(x); }
inline Vec madd(Vec a, Vec b, Vec c) { return _mm256_add_ps(_mm256_mul_ps(a, b), c); }
inline float total(Vec v) {
    alignas(32) float t[8];
    _mm256_store_ps(t, v);
    return t[0] + t[1] + t[2] + t[3] + t[4] + t[5] + t[6] + t[7];
}
#else  // x86-64 baseline
using Vec = __m128;
constexpr int kLanes = 4;
constexpr const char* kInstructions = "SSE2 mul+add (128-bit)";
constexpr bool kFused = false;
inline Vec splat(float x) { return _mm_set1_ps(x); }
inline Vec madd(Vec a, Vec b, Vec c) { return _mm_add_ps(_mm_mul_ps(a, b), c); }
inline float total(Vec v) {
    alignas(16) float t[4];
    _mm_store_ps(t, v);
    return t[0] + t[1] + t[2] + t[3];
}
#endif

// `rounds` rounds of kChains multiply-adds; x -> 0.999 x + 0.001 stays near 1 (no denormals).
float run_chains(long long rounds, float seed) {
    Vec acc[kChains];
    for (int k = 0; k < kChains; ++k) acc[k] = splat(seed + 0.001f * static_cast<float>(k));
    const Vec a = splat(0.999f), b = splat(0.001f);
    for (long long r = 0; r < rounds; ++r)
        for (int k = 0; k < kChains; ++k) acc[k] = madd(acc[k], a, b);
    float sum = 0;
    for (int k = 0; k < kChains; ++k) sum += total(acc[k]);
    return sum;
}

}  // namespace

FmaPeak measure_fma_peak(int threads, double seconds) {
    using clock = std::chrono::steady_clock;
    if (threads < 1) threads = omp_get_max_threads();
    volatile float sink = 0;
    sink = sink + run_chains(20000, 1.0f);  // warm up the clocks
    // Calibrate rounds on one thread so that the parallel run takes about `seconds`.
    long long rounds = 100000;
    for (;;) {
        const auto t0 = clock::now();
        sink = sink + run_chains(rounds, 1.0f);
        const double dt = std::chrono::duration<double>(clock::now() - t0).count();
        if (dt > 0.02 || rounds > (1LL << 40)) {
            rounds = static_cast<long long>(static_cast<double>(rounds) * seconds / std::max(dt, 1e-9));
            break;
        }
        rounds *= 4;
    }
    rounds = std::max(rounds, 1000LL);
    double best = 0, best_cpu = 0;
    for (int trial = 0; trial < 3; ++trial) {  // the best of three: a shared machine only ever slows it
        const auto t0 = clock::now();
        const std::clock_t c0 = std::clock();  // CPU time of every thread of the process
        float partial = 0;
#pragma omp parallel num_threads(threads) reduction(+ : partial)
        partial += run_chains(rounds, 1.0f + 0.01f * static_cast<float>(omp_get_thread_num()));
        const double dt = std::chrono::duration<double>(clock::now() - t0).count();
        const double cpu = static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC;
        sink = sink + partial;
        const double flops = 2.0 * kLanes * kChains * static_cast<double>(rounds) * threads;
        best = std::max(best, flops / dt * 1e-9);
        if (cpu > 0) best_cpu = std::max(best_cpu, flops / cpu * 1e-9);
        rounds = std::max(1000LL, rounds / 3);  // later trials shorter: the total stays near 2 x seconds
    }
    FmaPeak peak;
    peak.gflops = best;
    // Per CPU-second of `threads` threads: comparable with the wall-time figure on an idle machine.
    peak.cpu_gflops = best_cpu * threads;
    peak.threads = threads;
    peak.instructions = kInstructions;
    peak.fused = kFused;
    return peak;
}

}  // namespace attnscope
