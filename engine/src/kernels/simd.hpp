#pragma once
// Internal to engine/src/kernels: the hot vector code, compiled once per instruction set (see
// engine/CMakeLists.txt) into its own namespace, and the table the rest of the kernels call it
// through. Per-ISA code sees only raw pointers: no Eigen or std templates there, so that no inline
// function compiled with wider instructions can be linked into baseline code.
// Shapes: score tiles ST (count keys, lanes queries) and outputs OT (d, lanes), row-major with
// the given row strides; lanes a multiple of the table's `lanes`.

namespace attnscope::kernels {

struct SimdKernels {
    const char* isa;           // "sse2", "avx2", "avx512" or "native"
    const char* instructions;  // e.g. "AVX2 FMA (256-bit)"
    int lanes;                 // floats per vector
    bool fused;                // has FMA
    // C (rows, lanes) (+)= sum_k A(r, k) B(k, lanes), A(r, k) at A[r * a_row + k * a_k] (gemm.cpp).
    void (*tile_product)(float* C, long ldC, const float* A, long a_row, long a_k, const float* B, long ldB, int rows,
                         int lanes, int K, bool accumulate);
    // x[j] = exp(x[j] - shift), 0 below exp's normal range; returns the sum (softmax.cpp).
    float (*exp_shift_sum)(float* x, int count, float shift);
    // The online-softmax step on ST (count, lanes) in place: per lane the new running max, the
    // weights exp(S - max), the rescale exp(old max - new max) of sum (and, by the caller, of the
    // output), the sum += the weights. Returns true when some rescale differs from 1 (softmax.cpp).
    bool (*softmax_tile)(float* ST, long ldS, int count, int lanes, float* max, float* sum, float* rescale);
    // OT (d, lanes) *= rescale per lane (softmax.cpp).
    void (*rescale_columns)(float* OT, long ldO, int d, int lanes, const float* rescale);
    // `rounds` rounds of independent multiply-add chains on one thread; returns a checksum (chains.cpp).
    float (*run_chains)(long long rounds, float seed);
    double (*flops_per_round)();  // of run_chains
};

// The table in use (the widest supported, unless set_kernel_isa chose another).
const SimdKernels& simd();

}  // namespace attnscope::kernels

// One table per compiled instruction set, in namespaces attnscope::kernels::isa_<name> (table.cpp).
#define ATTNSCOPE_DECLARE_ISA(ns)               \
    namespace attnscope::kernels::ns {          \
    extern const SimdKernels table;             \
    }
