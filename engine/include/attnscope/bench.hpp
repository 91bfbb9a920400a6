#pragma once
// The complexity-scaling sweep behind `attnscope bench` and the GUI's Scaling panel: times the
// fast kernels (kernels.hpp) over sequence lengths n, one row per (variant, n), and fits how the
// time grows with n. Callers see rows as they arrive and may cancel between runs.
//
// Shapes per case: H = heads, n queries = n keys, d = d_head; Q, K, V and the output are
// (H*n, d) fp32, filled with seeded uniform values (values do not affect timing).
#include <array>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "attnscope/kernels.hpp"
#include "attnscope/variants.hpp"

namespace attnscope {

// VariantParams{} per kind, with the sizes that make sense at n in the thousands (local window
// 256, bigbird blocks of 64, linformer k 256, nystrom 64 landmarks, performer 256 features, and
// strided's stride 0: the power of two nearest sqrt(n)).
std::array<VariantParams, std::size(kAllVariants)> bench_default_params();

struct BenchConfig {
    std::vector<VariantKind> variants = {VariantKind::Dense};
    std::vector<int> sizes = {4096};  // n, increasing
    int heads = 8;
    int d_head = 64;
    bool causal = false;
    // Each variant's parameters (the rows of variant_param_table() it reads), indexed by kind,
    // sized for long sequences (the traced engine's defaults are tiny). A row with auto_value
    // (strided's stride) may be 0: the value is then chosen per length n.
    std::array<VariantParams, std::size(kAllVariants)> params = bench_default_params();
    VariantParams& params_of(VariantKind kind) { return params[static_cast<std::size_t>(kind)]; }
    const VariantParams& params_of(VariantKind kind) const { return params[static_cast<std::size_t>(kind)]; }
    int repeats = 3;        // runs per length; the median is reported
    double budget = 30;     // seconds: a variant is dropped after one run takes longer
    int threads = 0;        // 0: all cores
    bool reference = false; // also time the plain reference, for n <= reference_max_n
    int reference_max_n = 4096;
    std::uint64_t seed = 7;
};

// Throws Error naming the option and the fix for any value out of range, or a variant without a
// fast kernel. Variant parameters are checked against their table row's lower bound and fixed or
// parameter-relative upper bound; bounds relative to n are the sweep's (a length the variant cannot
// run at, such as fewer tokens than landmarks, is skipped with a note).
void check_bench_config(const BenchConfig& c);
// "4096", "256,1024,4096" or "256..1048576" (every power of two from A to B), sorted, unique.
// Throws Error with the accepted forms, naming the spec as `option`.
std::vector<int> parse_bench_sizes(const std::string& spec, const std::string& option = "--n");

// The parameters a variant runs with at length n (a row's 0 replaced by its auto_value(n): strided's
// stride follows sqrt(n) unless fixed).
VariantParams bench_variant_params(const BenchConfig& c, VariantKind kind, int n);
// The variant's cost-model flops (attention_cost) at length n, all heads. Causal dense counts
// only the kept pairs (its kernel skips the hidden tiles).
double bench_flops(const BenchConfig& c, VariantKind kind, int n);
// Bytes of Q, K, V, the output and any projection or feature matrices at length n.
long long bench_io_bytes(const BenchConfig& c, VariantKind kind, int n);

struct BenchRow {
    std::string variant;  // name(kind)
    std::string kernel;   // "fast" or "reference"
    int n = 0, heads = 0, d_head = 0;
    VariantParams params;
    std::vector<double> times, cpu_times;  // wall and process CPU seconds of each timed run
    double seconds = 0, cpu_seconds = 0;   // medians
    double flops = 0;
    double gflops = 0, fraction_of_peak = 0;
    double cpu_gflops = 0, cpu_fraction_of_peak = 0;  // per CPU-second x threads (see FmaPeak)
    long long io_bytes = 0, scratch_bytes = 0, peak_bytes = 0;  // peak = io + scratch (kernel_scratch_bytes)
    long long rss_delta_bytes = -1;  // measured peak RSS growth during the first run; -1 where unknown
    double error = -1;               // reference rows: normalized error of the fast kernel against it
    bool over_budget = false;
};

// A length that was not measured: skipped (too little memory, too short for the variant) or
// dropped (the variant went over the budget, or was predicted to).
struct BenchNote {
    std::string variant;
    int n = 0;
    bool dropped = false;  // else skipped
    std::string why;
    double seconds = std::numeric_limits<double>::quiet_NaN();  // dropped: the run's (or predicted) seconds
    bool predicted = false;
};

struct SweepHooks {
    std::function<void(const BenchRow&)> on_row;    // each row as soon as it is measured
    std::function<void(const BenchNote&)> on_note;  // each skipped or dropped length
    std::function<void(double)> on_progress;        // fraction of (variant, n) points done, 0..1
    std::function<bool()> cancelled;                // checked before each run; true stops the sweep
};

struct SweepResult {
    std::vector<BenchRow> rows;
    std::vector<BenchNote> notes;
    bool cancelled = false;
};

// Runs the sweep: for each variant, each n in order; a variant stops at the first length whose
// run exceeds the budget, or which is predicted (from the previous length's flop rate) to take
// over 8 x the budget, or whose inputs would need over 80% of the available memory. Rows get
// fractions of `peak`. Sets the kernel threads to c.threads on the calling thread.
SweepResult run_sweep(const BenchConfig& c, const FmaPeak& peak, const SweepHooks& hooks = {});

// Least squares fit of log y = exponent * log x + log coefficient. Exponent and coefficient are
// NaN with fewer than two distinct x. Throws Error on a non-positive or non-finite value or on
// x and y of different lengths.
struct PowerLawFit {
    double exponent = std::numeric_limits<double>::quiet_NaN();
    double coefficient = std::numeric_limits<double>::quiet_NaN();
    int points = 0;
};
PowerLawFit fit_power_law(const std::vector<double>& x, const std::vector<double>& y);
// The fit of seconds against n over the fast-kernel rows of one variant.
PowerLawFit fit_time_exponent(const std::vector<BenchRow>& rows, const std::string& variant);

}  // namespace attnscope
