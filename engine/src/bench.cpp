// The scaling sweep shared by `attnscope bench` and the Scaling panel (see bench.hpp).
// Shapes per case: Q, K, V, out (H*n, d); linformer E, F (H*k, n); performer W (H*r, d).
#include "attnscope/bench.hpp"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <fstream>
#include <sstream>

#include "attnscope/compare.hpp"
#include "attnscope/error.hpp"

namespace attnscope {
namespace {

// Uniform in [-scale, scale), xorshift per row: cheap to fill at n = 2^20.
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

// --- memory, from /proc (Linux; -1 elsewhere) ---

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

std::string megabytes(long long bytes) {
    std::ostringstream s;
    s.setf(std::ios::fixed);
    s.precision(0);
    s << static_cast<double>(bytes) / 1048576.0;
    return s.str();
}

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
};

Case make_case(const BenchConfig& o, VariantKind kind, int n) {
    Case c;
    c.v = bench_variant_params(o, kind, n);
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
        c.weights.E.resize(static_cast<long long>(o.heads) * c.v.k, n);
        c.weights.F.resize(static_cast<long long>(o.heads) * c.v.k, n);
        const float scale = static_cast<float>(std::sqrt(3.0 / c.v.k));
        fill_uniform(c.weights.E, o.seed + 3, scale);
        fill_uniform(c.weights.F, o.seed + 4, scale);
    }
    if (kind == VariantKind::Performer) c.weights.W = performer_feature_maps(o.heads, c.v.features, o.d_head, o.seed);
    return c;
}

// Runs until the repeats are done, the budget is exceeded or the sweep is cancelled; no times
// when cancelled before the first timed run.
BenchRow measure(const BenchConfig& o, Case& c, int n, bool reference, const FmaPeak& peak,
                 const std::function<bool()>& cancelled) {
    BenchRow row;
    row.variant = name(c.v.kind);
    row.kernel = reference ? "reference" : "fast";
    row.n = n, row.heads = o.heads, row.d_head = o.d_head, row.params = c.v;
    row.flops = bench_flops(o, c.v.kind, n);
    row.io_bytes = bench_io_bytes(o, c.v.kind, n);
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
    auto stop = [&] { return cancelled && cancelled(); };
    const bool reset = reset_peak_rss();
    const long long rss_before = proc_status_kb(reset ? "VmRSS" : "VmHWM");
    time_run(run, row.times, row.cpu_times);
    const long long hwm_after = proc_status_kb("VmHWM");
    if (rss_before >= 0 && hwm_after >= 0) row.rss_delta_bytes = std::max(0LL, hwm_after - rss_before) * 1024;
    row.over_budget = row.times.back() > o.budget;
    if (row.times.back() < 1.0) {  // a short first run only warms up (caches, pages, thread pool)
        row.times.clear();
        row.cpu_times.clear();
        if (stop()) return row;
        time_run(run, row.times, row.cpu_times);
    }
    for (int r = 1; r < o.repeats && !row.over_budget && !stop(); ++r) {
        time_run(run, row.times, row.cpu_times);
        row.over_budget = row.times.back() > o.budget;
    }
    row.seconds = median(row.times);
    row.cpu_seconds = median(row.cpu_times);
    row.gflops = row.flops / row.seconds * 1e-9;
    row.fraction_of_peak = peak.gflops > 0 ? row.gflops / peak.gflops : 0;
    // The single-threaded reference is costed on one thread's share.
    const int threads = reference ? 1 : kernel_threads();
    row.cpu_gflops = row.cpu_seconds > 0 ? row.flops / row.cpu_seconds * 1e-9 * threads : 0;
    row.cpu_fraction_of_peak =
        peak.cpu_gflops > 0 ? row.cpu_gflops / (peak.cpu_gflops * threads / std::max(peak.threads, 1)) : 0;
    if (reference) {
        MatrixF fast;
        attention_fast(fast, c.problem, c.v, c.weights, o.seed);
        const double norm = out.cast<double>().norm();
        row.error = (fast.cast<double>() - out.cast<double>()).norm() / (norm > 0 ? norm : 1.0);
    }
    return row;
}

}  // namespace

void check_bench_config(const BenchConfig& o) {
    auto at_least = [](const char* what, long long v, long long min) {
        if (v < min)
            throw Error(std::string(what) + " (" + std::to_string(v) + ") must be at least " + std::to_string(min));
    };
    auto at_most = [](const char* what, long long v, long long max, const std::string& why) {
        if (v > max)
            throw Error(std::string(what) + " (" + std::to_string(v) + ") must be at most " + std::to_string(max) + why);
    };
    at_least("heads", o.heads, 1);
    at_least("d_head", o.d_head, 1);
    at_most("heads", o.heads, 4096, ": no model has more");
    at_most("d_head", o.d_head, 4096, ": no model has wider heads");
    // More threads than cores only add switching: past 4 x the cores it is a typo, not a measurement.
    const int cores = std::max(1, omp_get_num_procs());
    at_most("threads", o.threads, 4LL * cores, " (4 x the " + std::to_string(cores) + " cores); 0 uses every core");
    for (VariantKind kind : kAllVariants) {  // every kind that could be timed, chosen or not
        if (!has_fast_kernel(kind)) continue;
        const VariantParams& v = o.params_of(kind);
        for (const VariantParamInfo* p : variant_params_of(kind)) {
            if (!p->field) continue;  // the list row (global tokens) is not swept
            const std::string what = std::string(name(kind)) + " " + p->label;
            const int value = v.*p->field;
            at_least(what.c_str(), value, p->auto_value ? 0 : p->lo);
            const bool fixed_top = p->hi == UpperBound::Fixed || p->hi == UpperBound::Param;
            if (fixed_top && value > p->upper(v, 0, 0))
                throw Error(what + " (" + std::to_string(value) + ") must be between " + std::to_string(p->lo) +
                            " and " + std::to_string(p->upper(v, 0, 0)) + ": try " + p->example);
        }
    }
    at_least("repeats", o.repeats, 1);
    at_least("threads", o.threads, 0);
    at_least("reference max n", o.reference_max_n, 1);
    if (!(o.budget > 0)) throw Error("the budget must be a positive number of seconds");
    if (o.variants.empty()) throw Error("no variant to time: choose one or more of " + std::string(
                                            "dense, local, strided, bigbird, linformer, nystrom, performer"));
    if (o.sizes.empty()) throw Error("no length to time: give n, e.g. 4096 or 256..65536");
    for (int n : o.sizes) at_least("n", n, 1);
    for (std::size_t i = 1; i < o.sizes.size(); ++i)
        if (o.sizes[i] <= o.sizes[i - 1])
            throw Error("lengths must increase: " + std::to_string(o.sizes[i - 1]) + " comes before " +
                        std::to_string(o.sizes[i]) + " (parse_bench_sizes sorts them)");
    for (VariantKind v : o.variants)
        if (!has_fast_kernel(v))
            throw Error(std::string("no fast kernel for ") + name(v) +
                        ": choose dense, local, strided, bigbird, linformer, nystrom or performer");
}

std::vector<int> parse_bench_sizes(const std::string& spec, const std::string& option) {
    const std::string fix =
        "bad " + option + " '" + spec + "': give a length (4096), a list (256,1024) or powers of two A..B (256..65536)";
    auto number = [&](const std::string& s) {
        if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos) throw Error(fix);
        const long long v = std::stoll(s.size() > 12 ? std::string("999999999999") : s);
        if (v < 1 || v > (1LL << 30)) throw Error(option + " " + s + " is out of range: lengths go from 1 to 1073741824");
        return static_cast<int>(v);
    };
    std::vector<int> sizes;
    if (const std::size_t dots = spec.find(".."); dots != std::string::npos) {
        const int a = number(spec.substr(0, dots)), b = number(spec.substr(dots + 2));
        if ((a & (a - 1)) != 0 || (b & (b - 1)) != 0 || a > b)
            throw Error(option + " " + spec + ": a range runs over powers of two from A up to B, e.g. 256..1048576");
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

std::array<VariantParams, std::size(kAllVariants)> bench_default_params() {
    std::array<VariantParams, std::size(kAllVariants)> params;
    for (VariantKind kind : kAllVariants) params[static_cast<std::size_t>(kind)].kind = kind;
    auto of = [&](VariantKind kind) -> VariantParams& { return params[static_cast<std::size_t>(kind)]; };
    of(VariantKind::Local).window = 256;
    of(VariantKind::Strided).stride = 0;  // sqrt(n)
    of(VariantKind::BigBird).block = 64;
    of(VariantKind::BigBird).window = 1;
    of(VariantKind::BigBird).globals = 64;
    of(VariantKind::Linformer).k = 256;
    of(VariantKind::Nystrom).landmarks = 64;
    of(VariantKind::Performer).features = 256;
    return params;
}

VariantParams bench_variant_params(const BenchConfig& o, VariantKind kind, int n) {
    VariantParams v = o.params_of(kind);
    v.kind = kind;
    for (const VariantParamInfo* p : variant_params_of(kind))
        if (p->field && p->auto_value && v.*p->field == 0) v.*p->field = p->auto_value(n);
    return v;
}

double bench_flops(const BenchConfig& o, VariantKind kind, int n) {
    const VariantParams v = bench_variant_params(o, kind, n);
    if (v.kind == VariantKind::Dense && o.causal) {
        VariantParams as_sparse = v;
        as_sparse.kind = VariantKind::Local;
        return attention_cost(as_sparse, n, n, o.d_head, o.heads, kept_pairs(v, o.heads, n, n, true, 0)).flops;
    }
    const long long kept = is_sparse(v.kind) ? kept_pairs(v, o.heads, n, n, o.causal, o.seed) : 0;
    return attention_cost(v, n, n, o.d_head, o.heads, kept).flops;
}

long long bench_io_bytes(const BenchConfig& o, VariantKind kind, int n) {
    const long long rows = static_cast<long long>(o.heads) * n;
    long long floats = 4 * rows * o.d_head;  // Q, K, V, out
    const VariantParams& v = o.params_of(kind);
    if (kind == VariantKind::Linformer) floats += 2LL * o.heads * v.k * n;
    if (kind == VariantKind::Performer) floats += static_cast<long long>(o.heads) * v.features * o.d_head;
    return floats * static_cast<long long>(sizeof(float));
}

SweepResult run_sweep(const BenchConfig& o, const FmaPeak& peak, const SweepHooks& hooks) {
    check_bench_config(o);
    set_kernel_threads(o.threads);
    SweepResult result;
    const double total = static_cast<double>(o.variants.size() * o.sizes.size());
    int done = 0;
    auto progress = [&] {
        if (hooks.on_progress) hooks.on_progress(std::min(1.0, done / total));
    };
    auto note = [&](BenchNote n) {
        if (hooks.on_note) hooks.on_note(n);
        result.notes.push_back(std::move(n));
    };
    auto row_done = [&](const BenchRow& r) {
        if (hooks.on_row) hooks.on_row(r);
        result.rows.push_back(r);
    };
    auto stop = [&] { return hooks.cancelled && hooks.cancelled(); };
    for (std::size_t vi = 0; vi < o.variants.size(); ++vi) {
        const VariantKind kind = o.variants[vi];
        const std::string variant = name(kind);
        double last_seconds = 0, last_flops = 0;
        for (std::size_t ni = 0; ni < o.sizes.size(); ++ni) {
            const int n = o.sizes[ni];
            if (stop()) {
                result.cancelled = true;
                return result;
            }
            auto give_up_variant = [&] { done = static_cast<int>((vi + 1) * o.sizes.size()), progress(); };
            // A parameter the computation needs within the tokens (nystrom's landmarks) skips shorter n.
            std::string too_short;
            const VariantParams v = bench_variant_params(o, kind, n);
            for (const VariantParamInfo* p : variant_params_of(kind))
                if (p->field && p->hi == UpperBound::Tokens && v.*p->field > p->upper(v, n, n))
                    too_short = "fewer tokens than " + std::string(p->label);
            if (!too_short.empty()) {
                note({variant, n, false, too_short});
                ++done, progress();
                continue;
            }
            const long long need = bench_io_bytes(o, kind, n), have = mem_available_bytes();
            if (have > 0 && need > have * 8 / 10) {
                note({variant, n, false,
                      "inputs need " + megabytes(need) + " MB, more than 80% of the available memory"});
                give_up_variant();
                break;
            }
            const double flops = bench_flops(o, kind, n);
            if (last_seconds > 0) {  // a run far past the budget is not started at all
                const double predicted = last_seconds * flops / last_flops;
                if (predicted > 8 * o.budget) {
                    note({variant, n, true, "predicted to take over 8 x the budget", predicted, true});
                    give_up_variant();
                    break;
                }
            }
            Case c = make_case(o, kind, n);
            BenchRow row = measure(o, c, n, false, peak, hooks.cancelled);
            if (row.times.empty()) {
                result.cancelled = true;
                return result;
            }
            row_done(row);
            last_seconds = row.seconds, last_flops = row.flops;
            if (o.reference && n <= o.reference_max_n && !stop()) {
                BenchRow ref = measure(o, c, n, true, peak, hooks.cancelled);
                if (!ref.times.empty()) row_done(ref);
            }
            ++done, progress();
            if (row.over_budget) {
                // n itself was measured (and is plotted); the lengths after it are the ones dropped.
                if (ni + 1 < o.sizes.size())
                    note({variant, o.sizes[ni + 1], true,
                          "n = " + std::to_string(n) + " took longer than the budget, so longer lengths were not run",
                          row.times.back(), false});
                give_up_variant();
                break;
            }
        }
    }
    result.cancelled = stop();
    return result;
}

PowerLawFit fit_power_law(const std::vector<double>& x, const std::vector<double>& y) {
    if (x.size() != y.size())
        throw Error("a power-law fit needs as many y values (" + std::to_string(y.size()) + ") as x values (" +
                    std::to_string(x.size()) + ")");
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
        if (!(x[i] > 0) || !(y[i] > 0) || !std::isfinite(x[i]) || !std::isfinite(y[i]))
            throw Error("a power-law fit needs positive, finite values: point " + std::to_string(i) + " is (" +
                        std::to_string(x[i]) + ", " + std::to_string(y[i]) + ")");
        const double lx = std::log(x[i]), ly = std::log(y[i]);
        sx += lx, sy += ly, sxx += lx * lx, sxy += lx * ly;
    }
    PowerLawFit fit;
    fit.points = static_cast<int>(x.size());
    const double k = static_cast<double>(x.size());
    // Centred: k sxx - sx^2 is the spread of log x times k^2, zero (to rounding) for one distinct x.
    const double denom = k * sxx - sx * sx;
    if (x.size() < 2 || !(denom > 1e-12 * k * k)) return fit;
    fit.exponent = (k * sxy - sx * sy) / denom;
    fit.coefficient = std::exp((sy - fit.exponent * sx) / k);
    return fit;
}

PowerLawFit fit_time_exponent(const std::vector<BenchRow>& rows, const std::string& variant) {
    std::vector<double> n, t;
    for (const BenchRow& r : rows)
        if (r.variant == variant && r.kernel == "fast") n.push_back(r.n), t.push_back(r.seconds);
    return fit_power_law(n, t);
}

}  // namespace attnscope
