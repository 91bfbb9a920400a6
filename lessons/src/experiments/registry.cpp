// Every experiment, listed once: its name (what lesson files write), what it shows, and how it runs
// from a lesson's context (with its default sizes where it takes any).
#include <algorithm>
#include <string>
#include <vector>

#include "attnscope/error.hpp"
#include "attnscope/json_input.hpp"
#include "attnscope/lessons/experiments.hpp"

namespace attnscope {
namespace {

using Context = ExperimentContext;

const std::vector<ExperimentInfo> kExperiments = {
    {"entropy_vs_dk", "attention entropy against d_k, with and without 1/sqrt(d_k)",
     [](const Context&) { return entropy_vs_dk(); }},
    {"scale_by_n", "what scaling the logits by 1/n would do as the text grows",
     [](const Context&) { return scale_by_n(); }},
    {"temperature_sweep", "the selected row's entropy and top weight as T changes",
     [](const Context& c) { return temperature_sweep(c); }},
    {"cost_vs_n", "timed dense attention for n = 64 .. 1024, with and without scaling",
     [](const Context&) { return cost_vs_n(); }},
    {"shared_qk", "the score matrix with W_K := W_Q", [](const Context& c) { return shared_qk(c); }},
    {"where_pe_enters", "outputs with and without an additive positional encoding",
     [](const Context& c) { return where_pe_enters(c); }},
    {"gpt_causal", "weights above the diagonal under a causal mask and without",
     [](const Context& c) { return gpt_causal(c); }},
    {"permutation_equivariance", "shuffled tokens under every positional encoding",
     [](const Context& c) { return permutation_equivariance(c); }},
    {"head_profiles", "where each head's top key lies", [](const Context& c) { return head_profiles(c); }},
    {"low_rank_cost", "Linformer's FLOPs and error against k", [](const Context&) { return low_rank_cost(); }},
    {"variant_tradeoffs", "every efficient variant's cost and error", [](const Context&) { return variant_tradeoffs(); }},
};

const ExperimentInfo* find_experiment(std::string_view name) {
    const auto it = std::find_if(kExperiments.begin(), kExperiments.end(),
                                 [&](const ExperimentInfo& e) { return name == e.name; });
    return it == kExperiments.end() ? nullptr : &*it;
}

}  // namespace

const std::vector<ExperimentInfo>& experiments() { return kExperiments; }

bool is_experiment(std::string_view name) { return find_experiment(name) != nullptr; }

ExperimentResult run_experiment(std::string_view name, const ExperimentContext& c) {
    if (const ExperimentInfo* e = find_experiment(name)) return e->run(c);
    std::string names;
    for (const ExperimentInfo& e : kExperiments) names += (names.empty() ? "" : ", ") + std::string(e.name);
    throw Error("unknown experiment " + quote_json(std::string(name)) + ": choose one of " + names);
}

}  // namespace attnscope
