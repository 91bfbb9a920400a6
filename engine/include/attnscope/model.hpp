#pragma once
// A GPT-2 model folder opened for tracing: weights and tokenizer, kept loaded between runs.
// Shape legend: n tokens, D = n_embd, H = n_head, d_head = D / H.
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "attnscope/bpe.hpp"
#include "attnscope/gpt2.hpp"
#include "attnscope/inputs.hpp"
#include "attnscope/run.hpp"
#include "attnscope/trace.hpp"

namespace attnscope {

struct LoadedModel {
    std::string dir;
    Gpt2Weights weights;
    BpeTokenizer tokenizer;
};

// The model folders a program has open, owned by whoever runs them (the app, a CLI command, a test):
// opening DIR again returns the copy loaded before when none of its files changed since (same path,
// inodes, modification times and sizes), so re-running on a new sentence never reloads the weights.
// One model is kept at a time. Thread-safe: a second caller waits for a load in progress.
class ModelStore {
public:
    // `progress` gets the fraction loaded (0..1). Throws Error.
    std::shared_ptr<const LoadedModel> open(const std::string& dir, const std::function<void(float)>& progress = {});

private:
    std::mutex mutex_;
    std::string key_;
    std::shared_ptr<const LoadedModel> model_;
};

// run() for inputs.model: tokenizes inputs.text with the model's tokenizer, runs the forward pass
// once, and records every layer and head (their attention straight from the forward pass), the
// aggregates and the next-token top 5: the stages context.keep names. Scores, scaled and logits are
// kept while layers x heads x n x n <= context.cell_budget. Cross text, edits and variants are refused.
Trace run_model(const Inputs& inputs, ModelStore& store, const RunContext& context);

}  // namespace attnscope
