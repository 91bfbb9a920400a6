#pragma once
// GPU figures for `attnscope bench --backend gpu`, beside the CPU sweep's rows: the fused kernel
// (fused.hpp) timed on the same case shapes, and the device's measured fp32 multiply-add peak.
#include "attnscope/bench.hpp"
#include "attnscope/gpu/device.hpp"

namespace attnscope::gpu {

// GFLOP/s of fma chains over many workgroups (shaders/fma_peak.comp), best of a few runs.
double measure_gpu_fma_peak(Device& dev);

// One row with kernel "gpu" for (kind, n) of config c: median seconds of c.repeats dispatches
// (after a warm-up, each waited for with glFinish; uploads not timed), bench_flops, fractions of
// `peak_gflops`, and `error` = normalized error against the CPU fast kernel when n <= c.reference_max_n
// (-1 otherwise). Throws Error for a kind without a fused kernel (has_fused_kernel).
BenchRow bench_gpu_row(Device& dev, const BenchConfig& c, VariantKind kind, int n, double peak_gflops);

}  // namespace attnscope::gpu
