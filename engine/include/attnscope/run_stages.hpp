#pragma once
// The stages of run() that every backend shares. run() is prepare_run, then the projections
// and heads on the CPU, then finish_run; the GPU backend (engine/gpu) computes the middle with
// compute shaders and calls the same two ends, so both backends fill a Trace the same way.
#include <string>
#include <vector>

#include "attnscope/inputs.hpp"
#include "attnscope/trace.hpp"

namespace attnscope {

// Validates the inputs and fills what precedes the first projection: tokens, embeddings,
// positional, input (both sides, with edits), W_Q, W_K, W_V, W_O (with edits), position_similarity,
// rope_angles, alibi_slopes, relative_table and the mask `allowed`.
Trace prepare_run(const Inputs& inputs);

// With heads, concat, output and exact_output filled: output_error and the cost models.
void finish_run(Trace& trace);

// Replaces the cells of `m` edited under `name`; throws Error for an edit outside m's shape.
void apply_edits(Matrix& m, const std::string& name, const std::vector<Edit>& edits);
bool has_edits(const std::vector<Edit>& edits, const std::string& name);

// From head h's exact stages: replaces its weights and output by the variant's (trace.inputs.variant),
// keeping the exact ones beside them, and compares the two.
void attend_variant(HeadTrace& head, const Trace& trace, int h);

}  // namespace attnscope
