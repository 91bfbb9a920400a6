// The machine's fp32 multiply-add peak for the kernels' instruction set: every thread runs
// independent accumulator chains on its vectors (chains.cpp, see kernels.hpp).
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <ctime>

#include "attnscope/kernels.hpp"
#include "simd.hpp"

namespace attnscope {
namespace {

float run_chains(long long rounds, float seed) { return kernels::simd().run_chains(rounds, seed); }

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
        const double flops = kernels::simd().flops_per_round() * static_cast<double>(rounds) * threads;
        best = std::max(best, flops / dt * 1e-9);
        if (cpu > 0) best_cpu = std::max(best_cpu, flops / cpu * 1e-9);
        rounds = std::max(1000LL, rounds / 3);  // later trials shorter: the total stays near 2 x seconds
    }
    FmaPeak peak;
    peak.gflops = best;
    // Per CPU-second of `threads` threads: comparable with the wall-time figure on an idle machine.
    peak.cpu_gflops = best_cpu * threads;
    peak.threads = threads;
    peak.instructions = kernels::simd().instructions;
    peak.fused = kernels::simd().fused;
    return peak;
}

}  // namespace attnscope
