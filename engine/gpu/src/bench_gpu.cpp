#include "attnscope/gpu/bench_gpu.hpp"

#include <epoxy/gl.h>

#include <algorithm>
#include <chrono>

#include "attnscope/gpu/fused.hpp"

// Shapes: H heads, n queries = n keys, d = d_head; Q, K, V, out stacked (H*n, d).
namespace attnscope::gpu {
namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

}  // namespace

double measure_gpu_fma_peak(Device& dev) {
    constexpr int kSteps = 4096, kGroups = 1024;  // llvmpipe ends loops after 65535 trips
    const GLuint program = dev.program("fma_peak.comp");
    glProgramUniform1i(program, glGetUniformLocation(program, "steps"), kSteps);
    glProgramUniform1f(program, glGetUniformLocation(program, "a"), 0.999f);
    glProgramUniform1f(program, glGetUniformLocation(program, "b"), 0.001f);
    const Buffer sink(static_cast<std::size_t>(kGroups) * 256 * sizeof(float));
    glBindBufferBase(GL_SHADER_STORAGE_BUFFER, 0, sink.id());
    glUseProgram(program);
    double best = 0;
    for (int run = 0; run < 4; ++run) {  // the first also compiles and warms up
        const auto t0 = std::chrono::steady_clock::now();
        glDispatchCompute(kGroups, 1, 1);
        glFinish();
        const double flops = 2.0 * 8 * kSteps * 256.0 * kGroups;
        if (run > 0) best = std::max(best, flops / seconds_since(t0) * 1e-9);
    }
    return best;
}

BenchRow bench_gpu_row(Device& dev, const BenchConfig& c, VariantKind kind, int n, double peak_gflops) {
    BenchRow row;
    row.variant = name(kind);
    row.kernel = "gpu";
    row.n = n, row.heads = c.heads, row.d_head = c.d_head;
    row.params = bench_variant_params(c, kind, n);
    row.flops = bench_flops(c, kind, n);
    row.io_bytes = bench_io_bytes(c, kind, n);
    row.peak_bytes = row.io_bytes;  // the fused kernel allocates nothing beyond its inputs and output
    AttentionProblem p;
    p.heads = c.heads;
    p.mask.causal = c.causal;
    const long long rows = static_cast<long long>(c.heads) * n;
    p.Q = MatrixF::Random(rows, c.d_head), p.K = MatrixF::Random(rows, c.d_head), p.V = MatrixF::Random(rows, c.d_head);
    FusedAttention fused(dev, p, row.params, c.seed);
    fused.dispatch();  // warm-up: compiles the program for this d_head
    dev.finish();
    for (int r = 0; r < c.repeats && !row.over_budget; ++r) {
        const auto t0 = std::chrono::steady_clock::now();
        fused.dispatch();
        dev.finish();
        row.times.push_back(seconds_since(t0));
        row.over_budget = row.times.back() > c.budget;
    }
    row.seconds = median(row.times);
    row.gflops = row.flops / row.seconds * 1e-9;
    row.fraction_of_peak = peak_gflops > 0 ? row.gflops / peak_gflops : 0;
    if (n <= c.reference_max_n) {
        MatrixF cpu;
        attention_fast(cpu, p, row.params, {}, c.seed);
        const MatrixF gpu_out = fused.result();
        const double norm = cpu.cast<double>().norm();
        row.error = (gpu_out.cast<double>() - cpu.cast<double>()).norm() / (norm > 0 ? norm : 1.0);
    }
    return row;
}

}  // namespace attnscope::gpu
