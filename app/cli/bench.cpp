// attnscope bench: times the fast CPU kernels over sequence lengths and writes JSON rows
// (schema attnscope.bench/1). Every figure is also given as a fraction of this build's
// multiply-add peak, measured first by a short microbenchmark on the same threads.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <ctime>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "attnscope/compare.hpp"
#include "attnscope/error.hpp"
#include "attnscope/kernels.hpp"
#include "cli/common.hpp"
#include "cli/subcommands.hpp"

namespace attnscope::cli {
namespace {

struct BenchOptions {
    std::vector<std::string> variants;
    std::string sizes = "4096";
    int heads = 8;
    int d_head = 64;
    bool causal = false;
    // Variant parameters, defaults sized for long sequences (the GUI's defaults are tiny).
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
    int repeats = 3;
    double budget = 30;
    int threads = 0;
    bool reference = false;
    int reference_max_n = 4096;
    std::uint64_t seed = 7;
    std::string out;
};

// "4096", "256,1024,4096" or "256..1048576" (every power of two from A to B).
std::vector<int> parse_sizes(const std::string& spec) {
    const std::string fix =
        "bad --n '" + spec + "': give a length (4096), a list (256,1024) or powers of two A..B (256..65536)";
    auto number = [&](const std::string& s) {
        if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos) throw Error(fix);
        const long long v = std::stoll(s.size() > 12 ? std::string("999999999999") : s);
        if (v < 1 || v > (1LL << 30)) throw Error("--n " + s + " is out of range: lengths go from 1 to 1073741824");
        return static_cast<int>(v);
    };
    std::vector<int> sizes;
    if (const std::size_t dots = spec.find(".."); dots != std::string::npos) {
        const int a = number(spec.substr(0, dots)), b = number(spec.substr(dots + 2));
        if ((a & (a - 1)) != 0 || (b & (b - 1)) != 0 || a > b)
            throw Error("--n " + spec + ": a range runs over powers of two from A up to B, e.g. 256..1048576");
        for (long long v = a; v <= b; v *= 2) sizes.push_back(static_cast<int>(v));
    } else {
        std::stringstream ss(spec);
        std::string item;
        while (std::getline(ss, item, ',')) sizes.push_back(number(item));
        if (sizes.empty()) throw Error(fix);
    }
    std::sort(sizes.begin(), sizes.end());
    sizes.erase(std::unique(sizes.begin(), sizes.end()), sizes.end());
    return sizes;
}

void check_options(const BenchOptions& o) {
    auto at_least = [](const char* what, long long v, long long min) {
        if (v < min)
            throw Error(std::string(what) + " (" + std::to_string(v) + ") must be at least " + std::to_string(min));
    };
    at_least("--heads", o.heads, 1);
    at_least("--d-head", o.d_head, 1);
    at_least("--window", o.window, 0);
    at_least("--dilation", o.dilation, 1);
    at_least("--stride", o.stride, 0);
    at_least("--block", o.block, 1);
    at_least("--bigbird-window", o.blocks_window, 0);
    at_least("--globals", o.globals, 0);
    at_least("--random-blocks", o.random_blocks, 0);
    at_least("--k", o.k, 1);
    at_least("--landmarks", o.landmarks, 1);
    at_least("--features", o.features, 1);
    at_least("--repeats", o.repeats, 1);
    at_least("--threads", o.threads, 0);
    at_least("--reference-max-n", o.reference_max_n, 1);
    if (!(o.budget > 0)) throw Error("--budget must be a positive number of seconds");
    for (const std::string& v : o.variants)
        if (!has_fast_kernel(parse_variant(v)))
            throw Error("no fast kernel for " + v +
                        ": choose dense, local, strided, bigbird, linformer, nystrom or performer");
}

VariantParams variant_params(const BenchOptions& o, VariantKind kind, int n) {
    VariantParams v;
    v.kind = kind;
    v.window = kind == VariantKind::BigBird ? o.blocks_window : o.window;
    v.dilation = o.dilation;
    v.stride =
        o.stride > 0 ? o.stride : 1 << static_cast<int>(std::lround(std::log2(std::sqrt(static_cast<double>(n)))));
    v.block = o.block;
    v.globals = o.globals;
    v.random_blocks = o.random_blocks;
    v.k = o.k;
    v.landmarks = o.landmarks;
    v.features = o.features;
    return v;
}

// Benchmark data: uniform in [-scale, scale), xorshift per row (the values do not affect timing).
void fill_uniform(MatrixF& x, std::uint64_t seed, float scale) {
    for (Eigen::Index i = 0; i < x.rows(); ++i) {
        std::uint64_t s = (seed + 1) * 0x9E3779B97F4A7C15ULL ^ (static_cast<std::uint64_t>(i) * 0xBF58476D1CE4E5B9ULL);
        float* row = &x(i, 0);
        for (Eigen::Index c = 0; c < x.cols(); ++c) {
            s ^= s << 13, s ^= s >> 7, s ^= s << 17;
            row[c] = scale * (static_cast<float>(s >> 40) * 0x1.0p-23f - 1.0f);
        }
    }
}

// --- memory, from /proc (Linux) ---

long long proc_status_kb(const char* key) {
    std::ifstream status("/proc/self/status");
    std::string line;
    const std::string prefix = std::string(key) + ":";
    while (std::getline(status, line))
        if (line.rfind(prefix, 0) == 0) return std::stoll(line.substr(prefix.size()));
    return -1;
}

long long mem_available_bytes() {
    std::ifstream meminfo("/proc/meminfo");
    std::string line;
    while (std::getline(meminfo, line))
        if (line.rfind("MemAvailable:", 0) == 0) return std::stoll(line.substr(13)) * 1024;
    return -1;
}

// Resets the peak RSS to the current RSS ("5" to clear_refs, Linux 4.0+); false where refused.
bool reset_peak_rss() {
    std::ofstream clear("/proc/self/clear_refs");
    clear << "5";
    clear.flush();
    return static_cast<bool>(clear);
}

// --- one measurement ---

struct Row {
    std::string variant;
    std::string kernel;  // "fast" or "reference"
    int n = 0, heads = 0, d_head = 0;
    VariantParams params;
    std::vector<double> times, cpu_times;  // wall and process CPU seconds of each run
    double seconds = 0, cpu_seconds = 0;   // medians
    double flops = 0;
    double gflops = 0, fraction_of_peak = 0;
    double cpu_gflops = 0, cpu_fraction_of_peak = 0;  // per CPU-second x threads (see FmaPeak)
    long long io_bytes = 0, scratch_bytes = 0, peak_bytes = 0;
    long long rss_delta_bytes = -1;
    double error = -1;  // reference rows: normalized error of the fast kernel against it
    bool over_budget = false;
};

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const std::size_t k = v.size() / 2;
    return v.size() % 2 ? v[k] : 0.5 * (v[k - 1] + v[k]);
}

// Times one run: wall seconds into `wall`, CPU seconds of the whole process into `cpu`.
template <class F>
void time_run(F&& f, std::vector<double>& wall, std::vector<double>& cpu) {
    const auto t0 = std::chrono::steady_clock::now();
    const std::clock_t c0 = std::clock();
    f();
    cpu.push_back(static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC);
    wall.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
}

struct Case {
    AttentionProblem problem;
    VariantParams v;
    VariantWeights weights;
    long long io_bytes = 0;
};

Case make_case(const BenchOptions& o, VariantKind kind, int n) {
    Case c;
    c.v = variant_params(o, kind, n);
    const long long rows = static_cast<long long>(o.heads) * n;
    c.problem.heads = o.heads;
    c.problem.mask.causal = o.causal;
    c.problem.Q.resize(rows, o.d_head);
    c.problem.K.resize(rows, o.d_head);
    c.problem.V.resize(rows, o.d_head);
    fill_uniform(c.problem.Q, o.seed, 1.0f);
    fill_uniform(c.problem.K, o.seed + 1, 1.0f);
    fill_uniform(c.problem.V, o.seed + 2, 1.0f);
    if (kind == VariantKind::Linformer) {  // N(0, 1/k)-sized entries; drawing run()'s exact normals would dominate
        c.weights.E.resize(static_cast<long long>(o.heads) * o.k, n);
        c.weights.F.resize(static_cast<long long>(o.heads) * o.k, n);
        const float scale = static_cast<float>(std::sqrt(3.0 / o.k));
        fill_uniform(c.weights.E, o.seed + 3, scale);
        fill_uniform(c.weights.F, o.seed + 4, scale);
    }
    if (kind == VariantKind::Performer) c.weights.W = performer_feature_maps(o.heads, o.features, o.d_head, o.seed);
    c.io_bytes = static_cast<long long>(sizeof(float)) *
                 (4 * rows * o.d_head + c.weights.E.size() + c.weights.F.size() + c.weights.W.size());
    return c;
}

long long estimated_case_bytes(const BenchOptions& o, VariantKind kind, int n) {
    long long b = 4LL * sizeof(float) * o.heads * n * o.d_head;
    if (kind == VariantKind::Linformer) b += 2LL * sizeof(float) * o.heads * o.k * n;
    return b;
}

// The variant's cost-model flops; causal dense counts only the kept pairs (its kernel skips the
// hidden tiles), costed like a sparse pattern.
double case_flops(const BenchOptions& o, const VariantParams& v, int n) {
    if (v.kind == VariantKind::Dense && o.causal) {
        VariantParams as_sparse = v;
        as_sparse.kind = VariantKind::Local;
        return attention_cost(as_sparse, n, n, o.d_head, o.heads, kept_pairs(v, o.heads, n, n, true, 0)).flops;
    }
    const long long kept = is_sparse(v.kind) ? kept_pairs(v, o.heads, n, n, o.causal, o.seed) : 0;
    return attention_cost(v, n, n, o.d_head, o.heads, kept).flops;
}

Row measure(const BenchOptions& o, Case& c, int n, bool reference, const FmaPeak& peak) {
    Row row;
    row.variant = name(c.v.kind);
    row.kernel = reference ? "reference" : "fast";
    row.n = n, row.heads = o.heads, row.d_head = o.d_head, row.params = c.v;
    row.flops = case_flops(o, c.v, n);
    row.io_bytes = c.io_bytes;
    row.scratch_bytes =
        reference ? 0 : static_cast<long long>(kernel_scratch_bytes(c.v, o.heads, n, n, o.d_head, kernel_threads()));
    row.peak_bytes = row.io_bytes + row.scratch_bytes;

    // Allocated and touched first (ones, not zeros: malloc + zero fill may become calloc, which
    // leaves fresh pages untouched until the kernel writes them).
    MatrixF out = MatrixF::Constant(static_cast<long long>(o.heads) * n, o.d_head, 1.0f);
    auto run = [&] {
        if (reference && c.v.kind == VariantKind::Dense)
            dense_attention_reference(out, c.problem);
        else if (reference)
            attention_reference(out, c.problem, c.v, c.weights, o.seed);
        else
            attention_fast(out, c.problem, c.v, c.weights, o.seed);
    };
    const bool reset = reset_peak_rss();
    const long long rss_before = proc_status_kb(reset ? "VmRSS" : "VmHWM");
    time_run(run, row.times, row.cpu_times);
    const long long hwm_after = proc_status_kb("VmHWM");
    if (rss_before >= 0 && hwm_after >= 0) row.rss_delta_bytes = std::max(0LL, hwm_after - rss_before) * 1024;
    row.over_budget = row.times.back() > o.budget;
    if (row.times.back() < 1.0) {  // a short first run only warms up (caches, pages, thread pool)
        row.times.clear();
        row.cpu_times.clear();
        time_run(run, row.times, row.cpu_times);
    }
    for (int r = 1; r < o.repeats && !row.over_budget; ++r) {
        time_run(run, row.times, row.cpu_times);
        row.over_budget = row.times.back() > o.budget;
    }
    row.seconds = median(row.times);
    row.cpu_seconds = median(row.cpu_times);
    row.gflops = row.flops / row.seconds * 1e-9;
    row.fraction_of_peak = row.gflops / peak.gflops;
    // The single-threaded reference is costed on one thread's share.
    const int threads = reference ? 1 : kernel_threads();
    row.cpu_gflops = row.cpu_seconds > 0 ? row.flops / row.cpu_seconds * 1e-9 * threads : 0;
    row.cpu_fraction_of_peak = row.cpu_gflops / (peak.cpu_gflops * threads / peak.threads);
    if (reference) {
        MatrixF fast;
        attention_fast(fast, c.problem, c.v, c.weights, o.seed);
        const double norm = out.cast<double>().norm();
        row.error = (fast.cast<double>() - out.cast<double>()).norm() / (norm > 0 ? norm : 1.0);
    }
    return row;
}

// --- output ---

std::string megabytes(long long bytes) {
    if (bytes < 0) return "?";
    std::ostringstream s;
    s << std::fixed << std::setprecision(bytes < 10'000'000 ? 2 : 0) << bytes / 1048576.0;
    return s.str();
}

void print_header(std::ostream& os) {
    os << std::left << std::setw(20) << "variant" << std::right << std::setw(9) << "n" << std::setw(6) << "heads"
       << std::setw(7) << "d_head" << std::setw(11) << "seconds" << std::setw(10) << "GFLOP/s" << std::setw(8)
       << "% peak" << std::setw(9) << "% cpu pk" << std::setw(10) << "peak MB" << std::setw(11) << "scratch MB"
       << std::setw(9) << "RSS+ MB"
       << "\n";
}

void print_row(std::ostream& os, const Row& r) {
    std::ostringstream s;
    s << std::fixed;
    const std::string label = r.variant + (r.kernel == "reference" ? " (ref)" : "");
    s << std::left << std::setw(20) << label << std::right << std::setw(9) << r.n << std::setw(6) << r.heads
      << std::setw(7) << r.d_head << std::setw(11) << std::setprecision(4) << r.seconds << std::setw(10)
      << std::setprecision(1) << r.gflops << std::setw(8) << std::setprecision(1) << 100 * r.fraction_of_peak
      << std::setw(9) << 100 * r.cpu_fraction_of_peak << std::setw(10) << megabytes(r.peak_bytes) << std::setw(11)
      << megabytes(r.scratch_bytes) << std::setw(9) << megabytes(r.rss_delta_bytes);
    if (r.error >= 0) s << "   error vs fast " << std::scientific << std::setprecision(1) << r.error;
    if (r.over_budget) s << "   over budget: dropped";
    os << s.str() << "\n" << std::flush;
}

nlohmann::json params_json(const VariantParams& v) {
    switch (v.kind) {
        case VariantKind::Local:
            return {{"window", v.window}, {"dilation", v.dilation}};
        case VariantKind::Strided:
            return {{"stride", v.stride}};
        case VariantKind::BigBird:
            return {
                {"block", v.block}, {"window", v.window}, {"globals", v.globals}, {"random_blocks", v.random_blocks}};
        case VariantKind::Linformer:
            return {{"k", v.k}};
        case VariantKind::Nystrom:
            return {{"landmarks", v.landmarks}, {"pinv_iterations", v.pinv_iterations}};
        case VariantKind::Performer:
            return {{"features", v.features}};
        default:
            return nlohmann::json::object();
    }
}

nlohmann::json row_json(const Row& r) {
    nlohmann::json j = {
        {"variant", r.variant},
        {"kernel", r.kernel},
        {"n", r.n},
        {"heads", r.heads},
        {"d_head", r.d_head},
        {"params", params_json(r.params)},
        {"seconds", r.seconds},
        {"times", r.times},
        {"flops", r.flops},
        {"gflops", r.gflops},
        {"fraction_of_peak", r.fraction_of_peak},
        {"cpu_seconds", r.cpu_seconds},
        {"cpu_times", r.cpu_times},
        {"cpu_gflops", r.cpu_gflops},
        {"cpu_fraction_of_peak", r.cpu_fraction_of_peak},
        {"peak_bytes", r.peak_bytes},
        {"io_bytes", r.io_bytes},
        {"scratch_bytes", r.scratch_bytes},
        {"rss_delta_bytes", r.rss_delta_bytes >= 0 ? nlohmann::json(r.rss_delta_bytes) : nlohmann::json()},
        {"over_budget", r.over_budget}};
    if (r.error >= 0) j["error_vs_fast"] = r.error;
    return j;
}

// Least squares slope of log(seconds) on log(n); NaN with fewer than two lengths.
double fitted_exponent(const std::vector<Row>& rows) {
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    const double k = static_cast<double>(rows.size());
    for (const Row& r : rows) {
        const double x = std::log(static_cast<double>(r.n)), y = std::log(r.seconds);
        sx += x, sy += y, sxx += x * x, sxy += x * y;
    }
    const double denom = k * sxx - sx * sx;
    return rows.size() >= 2 && denom > 0 ? (k * sxy - sx * sy) / denom : std::nan("");
}

void run_bench(BenchOptions o) {
    if (o.variants.empty()) o.variants = {"dense"};
    check_options(o);
    const std::vector<int> sizes = parse_sizes(o.sizes);
    set_kernel_threads(o.threads);

    const FmaPeak peak = measure_fma_peak(kernel_threads());
    std::ostringstream peak_line;
    peak_line << "peak = " << std::fixed << std::setprecision(1) << peak.gflops << " GFLOP/s on " << peak.threads
              << " threads (" << peak.instructions;
#if defined(__AVX512F__) || defined(__AVX2__)
    peak_line << ", -march=native build)";
#else
    peak_line << ", default x86-64 build; build with -DATTNSCOPE_NATIVE=ON for AVX2/FMA)";
#endif
    std::ostream& log = o.out == "-" ? std::cerr : std::cout;  // the table; JSON may take stdout
    log << peak_line.str() << "\n"
        << "% peak: GFLOP/s over that peak, both per wall second; % cpu pk: the same per CPU second of the process "
           "(peak "
        << std::fixed << std::setprecision(1) << peak.cpu_gflops << "), which a shared machine disturbs less\n"
        << "peak MB: inputs + output + the kernel's scratch counted from its tile sizes; RSS+ MB: the process's "
           "peak RSS growth during the first run, beyond the allocated inputs and output\n\n";
    print_header(log);

    std::vector<Row> rows;
    nlohmann::json dropped = nlohmann::json::array(), skipped = nlohmann::json::array();
    for (const std::string& variant : o.variants) {
        const VariantKind kind = parse_variant(variant);
        double last_seconds = 0, last_flops = 0;
        for (int n : sizes) {
            if (kind == VariantKind::Nystrom && o.landmarks > n) {
                skipped.push_back({{"variant", variant}, {"n", n}, {"why", "fewer tokens than landmarks"}});
                continue;
            }
            const long long need = estimated_case_bytes(o, kind, n), have = mem_available_bytes();
            if (have > 0 && need > have * 8 / 10) {
                skipped.push_back(
                    {{"variant", variant},
                     {"n", n},
                     {"why", "inputs need " + megabytes(need) + " MB, more than 80% of the available memory"}});
                log << variant << " n " << n << ": skipped, inputs need " << megabytes(need) << " MB\n";
                break;
            }
            Case c = make_case(o, kind, n);
            if (last_seconds > 0) {  // a run far past the budget is not started at all
                const double predicted = last_seconds * case_flops(o, c.v, n) / last_flops;
                if (predicted > 8 * o.budget) {
                    dropped.push_back({{"variant", variant}, {"n", n}, {"predicted_seconds", predicted}});
                    log << variant << " n " << n << ": dropped, predicted " << std::setprecision(3) << predicted
                        << " s is over 8 x the budget\n";
                    break;
                }
            }
            Row row = measure(o, c, n, false, peak);
            print_row(log, row);
            rows.push_back(row);
            last_seconds = row.seconds, last_flops = row.flops;
            if (o.reference && n <= o.reference_max_n) {
                Row ref = measure(o, c, n, true, peak);
                print_row(log, ref);
                rows.push_back(ref);
            }
            if (row.over_budget) {
                dropped.push_back({{"variant", variant}, {"n", n}, {"seconds", row.times.back()}});
                break;
            }
        }
    }

    const FmaPeak peak_end = measure_fma_peak(kernel_threads());
    log << "\npeak measured again at the end: " << std::fixed << std::setprecision(1) << peak_end.gflops
        << " GFLOP/s (cpu " << peak_end.cpu_gflops << "); fractions use the first\n";
    log << "\nfitted exponent (least squares of log seconds on log n):\n";
    nlohmann::json fits = nlohmann::json::array();
    for (const std::string& variant : o.variants) {
        std::vector<Row> mine;
        for (const Row& r : rows)
            if (r.variant == variant && r.kernel == "fast") mine.push_back(r);
        const double e = fitted_exponent(mine);
        log << "  " << std::left << std::setw(10) << variant << " ";
        if (std::isnan(e))
            log << "needs two or more lengths\n";
        else
            log << std::fixed << std::setprecision(3) << e << " over n = " << mine.front().n << ".." << mine.back().n
                << " (" << mine.size() << " lengths)\n";
        fits.push_back({{"variant", variant},
                        {"exponent", std::isnan(e) ? nlohmann::json() : nlohmann::json(e)},
                        {"lengths", mine.size()}});
    }

    if (!o.out.empty()) {
        nlohmann::json json_rows = nlohmann::json::array();
        for (const Row& r : rows) json_rows.push_back(row_json(r));
        const nlohmann::json doc = {
            {"schema", "attnscope.bench/1"},
            {"machine",
             {{"threads", kernel_threads()},
              {"peak_gflops", peak.gflops},
              {"peak_cpu_gflops", peak.cpu_gflops},
              {"peak_gflops_at_end", peak_end.gflops},
              {"peak_cpu_gflops_at_end", peak_end.cpu_gflops},
              {"peak_instructions", peak.instructions},
              {"peak_fused", peak.fused},
              {"peak_note", peak_line.str()}}},
            {"config",
             {{"variants", o.variants},
              {"n", sizes},
              {"heads", o.heads},
              {"d_head", o.d_head},
              {"causal", o.causal},
              {"repeats", o.repeats},
              {"budget_seconds", o.budget},
              {"seed", o.seed},
              {"dtype", "float32"}}},
            {"memory_note",
             "peak_bytes = io_bytes (Q, K, V, the output and any projection or feature matrices) + scratch_bytes (what "
             "the kernel allocates, counted from its tile sizes and thread count); rss_delta_bytes = measured growth "
             "of "
             "the process's peak RSS (VmHWM after resetting it through /proc/self/clear_refs) during the first run, "
             "with "
             "inputs and output already allocated and touched"},
            {"seconds_note",
             "seconds: median wall time of the repeats (a first run under 1 s is a discarded warm-up); gflops = "
             "the variant's cost-model flops (attention_cost) / seconds; fraction_of_peak = gflops / peak_gflops; "
             "cpu_*: the same per CPU second of the process times the threads (the reference runs on one thread), "
             "against peak_cpu_gflops"},
            {"rows", json_rows},
            {"fits", fits},
            {"dropped", dropped},
            {"skipped", skipped}};
        write_output(o.out, doc.dump(2) + "\n");
    }
}

}  // namespace

void add_bench_command(CLI::App& app) {
    auto o = std::make_shared<BenchOptions>();
    CLI::App* cmd = app.add_subcommand("bench", "Time the fast CPU attention kernels over sequence lengths");
    cmd->add_option("--variant", o->variants,
                    "dense|local|strided|bigbird|linformer|nystrom|performer (repeatable; default dense)");
    cmd->add_option("--n", o->sizes, "Sequence lengths: 4096, a list 256,1024, or powers of two 256..1048576")
        ->capture_default_str();
    cmd->add_option("--heads", o->heads, "Heads")->capture_default_str();
    cmd->add_option("--d-head", o->d_head, "Width of each head")->capture_default_str();
    cmd->add_flag("--causal", o->causal, "Causal mask (dense, local, strided, bigbird, performer)");
    const char* group = "Variant parameters";
    cmd->add_option("--window", o->window, "local: keys on each side")->capture_default_str()->group(group);
    cmd->add_option("--dilation", o->dilation, "local: keep every n-th key")->capture_default_str()->group(group);
    cmd->add_option("--stride", o->stride, "strided: stride (0: the power of two nearest sqrt(n))")
        ->capture_default_str()
        ->group(group);
    cmd->add_option("--block", o->block, "bigbird: block size")->capture_default_str()->group(group);
    cmd->add_option("--bigbird-window", o->blocks_window, "bigbird: window blocks on each side")
        ->capture_default_str()
        ->group(group);
    cmd->add_option("--globals", o->globals, "bigbird: global tokens")->capture_default_str()->group(group);
    cmd->add_option("--random-blocks", o->random_blocks, "bigbird: random key blocks per query block")
        ->capture_default_str()
        ->group(group);
    cmd->add_option("--k", o->k, "linformer: projected length")->capture_default_str()->group(group);
    cmd->add_option("--landmarks", o->landmarks, "nystrom: landmarks")->capture_default_str()->group(group);
    cmd->add_option("--features", o->features, "performer: random features")->capture_default_str()->group(group);
    cmd->add_option("--repeats", o->repeats, "Runs per length; the median is reported")->capture_default_str();
    cmd->add_option("--budget", o->budget, "Seconds: a variant is dropped after a run takes longer")
        ->capture_default_str();
    cmd->add_option("--threads", o->threads, "Threads (0: all cores)")->capture_default_str();
    cmd->add_flag("--reference", o->reference, "Also time the plain reference (n up to --reference-max-n)");
    cmd->add_option("--reference-max-n", o->reference_max_n, "Longest n for --reference")->capture_default_str();
    cmd->add_option("--seed", o->seed, "Seed for the data and the variants' random draws")->capture_default_str();
    cmd->add_option("--out", o->out, "Write the rows as JSON to this file (- for stdout)");
    cmd->callback([o] { run_bench(*o); });
}

}  // namespace attnscope::cli
