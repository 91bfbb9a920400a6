#pragma once
// The fused GPU kernel (shaders/flash_attention.comp) on the CPU kernels' problem (kernels.hpp):
// exact attention by FlashAttention's online softmax in shared-memory tiles, never forming (n, m),
// and the sparse patterns local, strided, fixed and bigbird, with the causal and padding masks.
// Stacked heads as in kernels.hpp: Q (H*n, d), K and V (H*m, d), out (H*n, d).
#include <cstdint>

#include "attnscope/gpu/device.hpp"
#include "attnscope/kernels.hpp"

namespace attnscope::gpu {

// Kinds the fused kernel runs: dense, local, strided, fixed, bigbird.
bool has_fused_kernel(VariantKind kind);

// The problem uploaded once, so that dispatch() can be timed alone.
class FusedAttention {
public:
    // BigBird's random blocks are drawn per head with head_seed(h, seed), as run() draws them.
    // Throws Error for a kind without a fused kernel, or a problem check_problem() rejects.
    FusedAttention(Device& dev, const AttentionProblem& p, const VariantParams& v, std::uint64_t seed);
    void dispatch();          // queues the kernel (Device::finish() waits for it)
    MatrixF result() const;   // (H*n, d)

private:
    Device& dev_;
    unsigned program_ = 0;
    int heads_, n_, m_, d_;
    Buffer Q_, K_, V_, out_, padding_, globals_, blocks_;
};

// out (H*n, d): one run, uploaded, computed and read back.
void fused_attention(Device& dev, MatrixF& out, const AttentionProblem& p, const VariantParams& v, std::uint64_t seed);

}  // namespace attnscope::gpu
