#pragma once
// Measured experiments for the lessons: each runs the engine (or a dense attention computation)
// and returns a small table of the numbers it measured, series to plot, and its finding in words.
// They are pure functions of their arguments, except cost_vs_n, which reads the clock.
// lessons/src/experiments/: one file per group, registry.cpp lists them all once.
//
// Shapes: n queries, m keys, d_k = d_head.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "attnscope/inputs.hpp"
#include "attnscope/matrix.hpp"

namespace attnscope {

struct ExperimentSeries {
    std::string name;
    std::vector<double> x, y;
};

struct ExperimentResult {
    std::string name;                        // e.g. "entropy_vs_dk"
    std::string title;                       // what was measured
    std::vector<std::string> columns;        // headers; with row_labels, columns[0] heads the labels
    std::vector<std::string> row_labels;     // empty: every column is numeric
    std::vector<std::vector<double>> rows;   // the numbers, one vector per row
    std::string x_label, y_label;            // the plot's axes (no series: no plot)
    bool log_x = false, log_y = false;
    std::vector<ExperimentSeries> series;
    std::string finding;                     // the measured answer, with its numbers
    std::map<std::string, double> values;    // the key numbers by name (tests, lessons)
};

// What an experiment may read of the student's current state.
struct ExperimentContext {
    Inputs inputs;
    int head = 0;
    int query = 0;
};

struct ExperimentInfo {
    const char* name;
    const char* description;
    ExperimentResult (*run)(const ExperimentContext&);  // with its default sizes where it takes any
};
const std::vector<ExperimentInfo>& experiments();
bool is_experiment(std::string_view name);
// Runs one by name. Throws Error for an unknown name (listing the known ones) or inputs it cannot use.
ExperimentResult run_experiment(std::string_view name, const ExperimentContext& context);

// Entropy in nats of row `row` of attention weights (cells <= 0 add nothing).
double row_entropy(const Matrix& weights, int row);
// max |M - M^T| over the cells where both are finite; M square.
double max_asymmetry(const Matrix& m);
// `inputs` plus an edit for every cell of the editable matrix `to`, setting it equal to `from`
// as run(inputs) computes it (e.g. W_K := W_Q). Edits of `to` already there are replaced.
Inputs with_matrix_copied(const Inputs& inputs, const std::string& to, const std::string& from);

// Mean attention entropy of random N(0, 1) queries and keys (n of each) for each d_k,
// with logits q.k / sqrt(d_k) and with plain q.k.
ExperimentResult entropy_vs_dk(const std::vector<int>& d_ks = {4, 16, 64, 256, 1024}, int n = 64,
                               std::uint64_t seed = 1);
// The same random queries and keys (d_k fixed) as n grows: logits divided by sqrt(d_k) or by n.
ExperimentResult scale_by_n(const std::vector<int>& ns = {4, 16, 64, 256, 1024}, int d_k = 64, std::uint64_t seed = 2);
// One head's row (context.head, context.query) as the temperature changes.
ExperimentResult temperature_sweep(const ExperimentContext& context,
                                   const std::vector<double>& temperatures = {0.05, 0.1, 0.25, 0.5, 1, 2, 4, 10});
// Dense single-head attention (S = Q K^T, optional 1/sqrt(d) scaling, softmax, A V) timed for each n:
// the fastest of up to `repeats` runs, with and without the scaling, beside the cost model's FLOPs.
ExperimentResult cost_vs_n(const std::vector<int>& ns = {64, 128, 256, 512, 1024}, int d = 64, int repeats = 5);
// The context's inputs (self-attention) as they are, and with W_K := W_Q: max |S - S^T| per head.
ExperimentResult shared_qk(const ExperimentContext& context);
// The context's inputs with no positional encoding and with an additive one (sinusoidal unless
// the context's is learned): where the difference appears, and how far output is from out_nope + PE.
ExperimentResult where_pe_enters(const ExperimentContext& context);
// The context's inputs with a causal mask (a decoder such as GPT) and with none (an encoder).
ExperimentResult gpt_causal(const ExperimentContext& context);
// Shuffled tokens (embedding rows permuted) under each positional encoding: max |out(P x) - P out(x)|.
ExperimentResult permutation_equivariance(const ExperimentContext& context);
// Per head of the context's trace: entropy, how often each query attends most to itself, the previous
// token, the first token, and the mean distance to its top key.
ExperimentResult head_profiles(const ExperimentContext& context);
// Linformer at n tokens for each k: the cost model's FLOPs against dense, the attention error
// measured by run(), and the cost at n = 1000.
ExperimentResult low_rank_cost(const std::vector<int>& ks = {2, 4, 8, 16, 32}, int n = 64);
// Every efficient variant with its default parameters at n tokens: cost against dense, error, kept mass.
ExperimentResult variant_tradeoffs(int n = 64);

}  // namespace attnscope
