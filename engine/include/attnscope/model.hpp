#pragma once
// A GPT-2 model folder opened for tracing: weights and tokenizer, kept loaded between runs.
// Shape legend: n tokens, D = n_embd, H = n_head, d_head = D / H.
#include <functional>
#include <memory>
#include <string>

#include "attnscope/bpe.hpp"
#include "attnscope/gpt2.hpp"
#include "attnscope/inputs.hpp"
#include "attnscope/trace.hpp"

namespace attnscope {

struct LoadedModel {
    std::string dir;
    Gpt2Weights weights;
    BpeTokenizer tokenizer;
};

// Loads DIR (config.json, model.safetensors, tokenizer files), or returns the copy loaded before
// when none of those files changed since (same path, modification times and sizes): re-running
// on a new sentence never reloads the weights. One model is kept; thread-safe (a second caller
// waits for a load in progress). `progress` gets the fraction loaded (0..1). Throws Error.
std::shared_ptr<const LoadedModel> open_model(const std::string& dir, const std::function<void(float)>& progress = {});

// run() for inputs.model: tokenizes inputs.text with the model's tokenizer, runs the forward
// pass, and fills trace.layers (every layer and head), the aggregates and the next-token top 5;
// the single-layer fields show layer inputs.layer. Cross text, edits and variants are refused.
Trace run_model(const Inputs& inputs);

}  // namespace attnscope
