#pragma once
// run(inputs, context) -> Trace: the only way to compute. The CLI, the GUI, lessons and
// experiments all call it. The context holds what outlives one run: the loaded models and the
// backend that computes the attention layer.
#include <string>

#include "attnscope/inputs.hpp"
#include "attnscope/stages.hpp"
#include "attnscope/trace.hpp"

namespace attnscope {

class ModelStore;

// A backend computes the synthetic engine's attention layer (projections through W_O) from a
// trace prepared up to its weights; the CPU is the default. ggml-style: a backend says which
// inputs it cannot run, and run() then falls back to the CPU and records why (Trace::backend_note).
class LayerBackend {
public:
    virtual ~LayerBackend() = default;
    virtual Backend kind() const = 0;
    // Empty when it can run these inputs; otherwise why not, in the GUI's words.
    virtual std::string unsupported(const Inputs& inputs) const = 0;
    // Fills layer 0's Q, K, V, heads, concat, output and exact_output (see run.cpp's cpu_layer).
    virtual void attend(Trace& trace) = 0;
};

struct RunContext {
    ModelStore* models = nullptr;     // where model folders are opened; null: a store for this run only
    LayerBackend* backend = nullptr;  // null: the CPU
    // A model trace keeps scores, scaled and logits for every head while layers x heads x n x n stays
    // within this many cells; past it, only attention (head_stages() recomputes the rest on demand).
    long long cell_budget = 16'777'216;
    // Which stages a model trace keeps (the CLI's --stages): heads' attention always; a stage left out
    // is not stored (a 1024-token GPT-2 small trace of attention alone fits in about 2 GB).
    StageSelection keep;
};

// Validates the inputs, computes and records every stage. Throws Error (with a fix-it message)
// for inputs it cannot run.
Trace run(const Inputs& inputs, const RunContext& context = {});

// The synthetic engine's exact trace with a variant in place of exact attention, equal to
// run(inputs with that variant) but computed from the exact heads (no second forward pass): the
// Compare panel's columns. Throws Error for a model trace or parameters the variant cannot take.
Trace vary(const Trace& exact, const VariantParams& variant);

// How many forward passes run() has completed in this process (a test counts them: choosing another
// layer or head to view must not add one).
long long forward_count();

// Head h of layer l with its scores, scaled and logits present: the stored head, or, for a model
// trace past its cell budget, one recomputed from its Q and K.
HeadTrace head_stages(const Trace& trace, int layer, int head);

}  // namespace attnscope
