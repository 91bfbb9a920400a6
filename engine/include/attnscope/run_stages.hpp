#pragma once
// The stages of the synthetic engine's run() that every LayerBackend shares: run() calls
// prepare_run, then the backend's attend() (projections through W_O), then finish_run, so every
// backend fills a Trace the same way.
#include <string>
#include <vector>

#include "attnscope/inputs.hpp"
#include "attnscope/trace.hpp"

namespace attnscope {

// Validates the inputs and fills what precedes the first projection: tokens, embeddings,
// positional, input (both sides, with edits), position_similarity, rope_angles, the mask `allowed`,
// and layer 0's input, attention_input, key_input, W_Q, W_K, W_V, W_O (with edits), alibi_slopes
// and relative_table.
Trace prepare_run(const Inputs& inputs);

// With layer 0's heads, concat, output and exact_output filled: output_error, the cost models,
// mean_attention and rollout.
void finish_run(Trace& trace);

// Replaces the cells of `m` edited under `name`; throws Error for an edit outside m's shape.
void apply_edits(Matrix& m, const std::string& name, const std::vector<Edit>& edits);
bool has_edits(const std::vector<Edit>& edits, const std::string& name);

// From head h's exact stages: replaces its weights and output by the variant's (trace.inputs.variant),
// keeping the exact ones in head.variant, and compares the two.
void attend_variant(HeadTrace& head, const Trace& trace, int h);

}  // namespace attnscope
