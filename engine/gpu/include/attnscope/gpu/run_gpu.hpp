#pragma once
// The synthetic engine's attention layer on the GPU: run() with the projections, the split into heads, RoPE,
// scores, ALiBi/relative bias, scaling, masks, softmax, weighted values, concat and W_O computed
// by compute shaders; the sparse variants (local, strided, fixed, bigbird, topk) as GPU masks.
// Tokens, embeddings and the additive positional tables (lookups), the weights' seeded draws,
// the low-rank variants (linformer, nystrom, performer, svd: small factors and an SVD) and the
// variant comparisons run on the CPU. Same Trace as run(), within float32 rounding.
#include <string>

#include "attnscope/gpu/device.hpp"
#include "attnscope/inputs.hpp"
#include "attnscope/run.hpp"
#include "attnscope/trace.hpp"

namespace attnscope::gpu {

// The GPU as run()'s LayerBackend: pass it in RunContext::backend. Needs the device's context
// current on the thread that calls run().
class DeviceBackend final : public LayerBackend {
public:
    explicit DeviceBackend(Device& device) : device_(device) {}
    Backend kind() const override { return Backend::Gpu; }
    std::string unsupported(const Inputs&) const override { return {}; }
    void attend(Trace& trace) override;

private:
    Device& device_;
};

}  // namespace attnscope::gpu
