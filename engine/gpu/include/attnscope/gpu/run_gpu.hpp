#pragma once
// The traced forward pass on the GPU: run() with the projections, the split into heads, RoPE,
// scores, ALiBi/relative bias, scaling, masks, softmax, weighted values, concat and W_O computed
// by compute shaders; the sparse variants (local, strided, fixed, bigbird, topk) as GPU masks.
// Tokens, embeddings and the additive positional tables (lookups), the weights' seeded draws,
// the low-rank variants (linformer, nystrom, performer, svd: small factors and an SVD) and the
// variant comparisons run on the CPU. Same Trace as run(), within float32 rounding.
#include <string>

#include "attnscope/gpu/device.hpp"
#include "attnscope/inputs.hpp"
#include "attnscope/trace.hpp"

namespace attnscope::gpu {

// Needs dev's context current. Throws Error for inputs run() rejects, with the same message.
Trace run_gpu(const Inputs& inputs, Device& dev);

// Runs on inputs.backend. For gpu, `dev` is the device of the current context, or null when
// there is none (no OpenGL 4.3): the CPU runs instead, the trace says backend cpu, and `warning`
// says why (empty otherwise). A GPT-2 model (inputs.model) always runs on the CPU, with a warning.
Trace run_on_backend(const Inputs& inputs, Device* dev, std::string& warning);

}  // namespace attnscope::gpu
