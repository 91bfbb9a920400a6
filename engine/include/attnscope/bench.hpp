#pragma once
// The complexity-scaling sweep behind `attnscope bench` and the GUI's Scaling panel: times the
// fast kernels (kernels.hpp) over sequence lengths n, one row per (variant, n), and fits how the
// time grows with n. Callers see rows as they arrive and may cancel between runs.
//
// Shapes per case: H = heads, n queries = n keys, d = d_head; Q, K, V and the output are
// (H*n, d) fp32, filled with seeded uniform values (values do not affect timing).
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "attnscope/kernels.hpp"
#include "attnscope/variants.hpp"

namespace attnscope {

struct BenchConfig {
    std::vector<VariantKind> variants = {VariantKind::Dense};
    std::vector<int> sizes = {4096};  // n, increasing
    int heads = 8;
    int d_head = 64;
    bool causal = false;
    // Variant parameters, sized for long sequences (the traced engine's defaults are tiny).
    int window = 256;       // local: keys on each side
    int dilation = 1;       // local
    int stride = 0;         // strided: 0 means the power of two nearest sqrt(n)
    int block = 64;         // bigbird: block size
    int blocks_window = 1;  // bigbird: window blocks on each side
    int globals = 64;       // bigbird: global tokens
    int random_blocks = 1;  // bigbird
    int k = 256;            // linformer
    int landmarks = 64;     // nystrom
    int features = 256;     // performer
    int repeats = 3;        // runs per length; the median is reported
    double budget = 30;     // seconds: a variant is dropped after one run takes longer
    int threads = 0;        // 0: all cores
    bool reference = false; // also time the plain reference, for n <= reference_max_n
    int reference_max_n = 4096;
    std::uint64_t seed = 7;
};

// Throws Error naming the option and the fix for any value out of range, or a variant without a
// fast kernel.
void check_bench_config(const BenchConfig& c);
// "4096", "256,1024,4096" or "256..1048576" (every power of two from A to B), sorted, unique.
// Throws Error with the accepted forms, naming the spec as `option`.
std::vector<int> parse_bench_sizes(const std::string& spec, const std::string& option = "--n");

// The parameters a variant runs with at length n (strided's stride follows sqrt(n) unless fixed).
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
