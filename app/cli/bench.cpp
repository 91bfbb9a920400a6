// attnscope bench: times the fast CPU kernels over sequence lengths and writes JSON rows
// (schema attnscope.bench/1), through the engine's sweep (bench.hpp). Every figure is also given as a fraction of
// the kernels' multiply-add peak, measured first by a short microbenchmark on the same threads and instructions.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <iomanip>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "attnscope/bench.hpp"
#include "attnscope/compare.hpp"
#include "attnscope/error.hpp"
#include "attnscope/gpu/bench_gpu.hpp"
#include "attnscope/gpu/fused.hpp"
#include "attnscope/gpu/headless.hpp"
#include "attnscope/kernels.hpp"
#include "cli/common.hpp"
#include "cli/subcommands.hpp"

namespace attnscope::cli {
namespace {

struct BenchOptions {
    std::vector<std::string> variants;
    std::string sizes = "4096";
    BenchConfig config;
    std::string isa;  // empty: the widest this CPU supports
    std::string backend = "cpu";  // gpu: also time the fused GPU kernel beside each CPU row
    std::string out;
};

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

void print_row(std::ostream& os, const BenchRow& r) {
    std::ostringstream s;
    s << std::fixed;
    const std::string label = r.variant + (r.kernel == "reference" ? " (ref)" : r.kernel == "gpu" ? " (gpu)" : "");
    s << std::left << std::setw(20) << label << std::right << std::setw(9) << r.n << std::setw(6) << r.heads
      << std::setw(7) << r.d_head << std::setw(11) << std::setprecision(4) << r.seconds << std::setw(10)
      << std::setprecision(1) << r.gflops << std::setw(8) << std::setprecision(1) << 100 * r.fraction_of_peak
      << std::setw(9) << 100 * r.cpu_fraction_of_peak << std::setw(10) << megabytes(r.peak_bytes) << std::setw(11)
      << megabytes(r.scratch_bytes) << std::setw(9) << megabytes(r.rss_delta_bytes);
    if (r.error >= 0) s << "   error vs fast " << std::scientific << std::setprecision(1) << r.error;
    if (r.over_budget) s << "   over budget: longer lengths not run";
    os << s.str() << "\n" << std::flush;
}

// The parameters the variant read (its rows of variant_param_table()).
nlohmann::json params_json(const VariantParams& v) {
    nlohmann::json j = nlohmann::json::object();
    for (const VariantParamInfo* p : variant_params_of(v.kind))
        if (p->field) j[p->name] = v.*p->field;  // the list row (global tokens) is not swept
    return j;
}

nlohmann::json row_json(const BenchRow& r) {
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

nlohmann::json note_json(const BenchNote& n) {
    nlohmann::json j = {{"variant", n.variant}, {"n", n.n}, {"why", n.why}};
    if (n.dropped) j[n.predicted ? "predicted_seconds" : "seconds"] = n.seconds;
    return j;
}

void run_bench(BenchOptions o) {
    BenchConfig& c = o.config;
    if (o.variants.empty()) o.variants = {"dense"};
    c.variants.clear();
    for (const std::string& v : o.variants) c.variants.push_back(parse_variant(v));
    c.sizes = parse_bench_sizes(o.sizes);
    check_bench_config(c);
    if (!o.isa.empty()) set_kernel_isa(o.isa);
    set_kernel_threads(c.threads);

    const FmaPeak peak = measure_fma_peak(kernel_threads());
    std::ostringstream peak_line;
    peak_line << "peak = " << std::fixed << std::setprecision(1) << peak.gflops << " GFLOP/s on " << peak.threads
              << " threads (" << peak.instructions << "); kernels: " << kernel_isa_description();
    std::ostream& log = o.out == "-" ? std::cerr : std::cout;  // the table; JSON may take stdout
    log << peak_line.str() << "\n"
        << "% peak: GFLOP/s over that peak, both per wall second; % cpu pk: the same per CPU second of the process "
           "(peak "
        << std::fixed << std::setprecision(1) << peak.cpu_gflops << "), which a shared machine disturbs less\n"
        << "peak MB: inputs + output + the kernel's scratch counted from its tile sizes; RSS+ MB: the process's "
           "peak RSS growth during the first run, beyond the allocated inputs and output\n\n";
    print_header(log);

    // --backend gpu: a "gpu" row after each CPU row, the fused kernel on the same shapes.
    std::unique_ptr<gpu::HeadlessGpu> device;
    double gpu_peak = 0;
    std::vector<BenchRow> gpu_rows;
    if (parse_backend(o.backend) == Backend::Gpu) {
        std::string why;
        device = gpu::open_headless_gpu(why);
        if (!device) std::cerr << "attnscope: warning: " << why << ": timing the CPU only\n";
        if (device) {
            gpu_peak = gpu::measure_gpu_fma_peak(device->device);
            log << "gpu: " << device->device.renderer() << " via " << device->context.how() << "; fp32 fma peak = "
                << std::fixed << std::setprecision(1) << gpu_peak
                << " GFLOP/s (measured); (gpu) rows: the fused kernel, % peak of that, error vs the CPU kernel\n\n";
        }
    }
    SweepHooks hooks;
    hooks.on_row = [&](const BenchRow& r) {
        print_row(log, r);
        if (!device || r.kernel != "fast" || !gpu::has_fused_kernel(parse_variant(r.variant))) return;
        gpu_rows.push_back(gpu::bench_gpu_row(device->device, c, parse_variant(r.variant), r.n, gpu_peak));
        print_row(log, gpu_rows.back());
    };
    hooks.on_note = [&](const BenchNote& n) {
        log << n.variant << " n " << n.n << ": " << (n.dropped ? "dropped, " : "skipped, ") << n.why;
        if (n.dropped && n.predicted) log << " (" << std::setprecision(3) << n.seconds << " s)";
        log << "\n";
    };
    const SweepResult result = run_sweep(c, peak, hooks);

    const FmaPeak peak_end = measure_fma_peak(kernel_threads());
    log << "\npeak measured again at the end: " << std::fixed << std::setprecision(1) << peak_end.gflops
        << " GFLOP/s (cpu " << peak_end.cpu_gflops << "); fractions use the first\n";
    log << "\nfitted exponent (least squares of log seconds on log n):\n";
    nlohmann::json fits = nlohmann::json::array();
    for (VariantKind kind : c.variants) {
        const std::string variant = name(kind);
        const PowerLawFit fit = fit_time_exponent(result.rows, variant);
        log << "  " << std::left << std::setw(10) << variant << " ";
        if (std::isnan(fit.exponent)) {
            log << "needs two or more lengths\n";
        } else {
            int lo = 0, hi = 0;
            for (const BenchRow& r : result.rows)
                if (r.variant == variant && r.kernel == "fast") lo = lo ? std::min(lo, r.n) : r.n, hi = std::max(hi, r.n);
            log << std::fixed << std::setprecision(3) << fit.exponent << " over n = " << lo << ".." << hi << " ("
                << fit.points << " lengths)\n";
        }
        fits.push_back({{"variant", variant},
                        {"exponent", std::isnan(fit.exponent) ? nlohmann::json() : nlohmann::json(fit.exponent)},
                        {"lengths", fit.points}});
    }

    if (!o.out.empty()) {
        nlohmann::json json_rows = nlohmann::json::array(), dropped = nlohmann::json::array(),
                       skipped = nlohmann::json::array();
        for (const BenchRow& r : result.rows) json_rows.push_back(row_json(r));
        for (const BenchRow& r : gpu_rows) json_rows.push_back(row_json(r));
        for (const BenchNote& n : result.notes) (n.dropped ? dropped : skipped).push_back(note_json(n));
        const nlohmann::json doc = {
            {"schema", "attnscope.bench/1"},
            {"machine",
             {{"threads", kernel_threads()},
              {"isa", kernel_isa()},
              {"peak_gflops", peak.gflops},
              {"peak_cpu_gflops", peak.cpu_gflops},
              {"peak_gflops_at_end", peak_end.gflops},
              {"peak_cpu_gflops_at_end", peak_end.cpu_gflops},
              {"peak_instructions", peak.instructions},
              {"peak_fused", peak.fused},
              {"peak_note", peak_line.str()},
              {"gpu", device ? nlohmann::json{{"renderer", device->device.renderer()},
                                              {"context", device->context.how()},
                                              {"peak_gflops", gpu_peak}}
                             : nlohmann::json()}}},
            {"config",
             {{"variants", o.variants},
              {"n", c.sizes},
              {"heads", c.heads},
              {"d_head", c.d_head},
              {"causal", c.causal},
              {"repeats", c.repeats},
              {"budget_seconds", c.budget},
              {"seed", c.seed},
              {"dtype", "float32"}}},
            {"memory_note",
             "peak_bytes = io_bytes (Q, K, V, the output and any projection or feature matrices) + scratch_bytes (what "
             "the kernel allocates, counted from its tile sizes and thread count); rss_delta_bytes = measured growth "
             "of the process's peak RSS (VmHWM after resetting it through /proc/self/clear_refs) during the first "
             "run, with inputs and output already allocated and touched"},
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

// One option per table row, bound to the first timed variant that reads it (--window: local); each
// further timed reader gets its own, named for it (--bigbird-window), since the sizes differ.
void add_variant_param_options(CLI::App& cmd, BenchConfig& c) {
    const char* group = "Variant parameters";
    for (const VariantParamInfo& p : variant_param_table()) {
        if (!p.field) continue;  // the list row (global tokens) is not swept
        bool first = true;
        for (VariantKind kind : p.kinds) {
            if (!has_fast_kernel(kind)) continue;
            const std::string option = first ? p.option() : "--" + std::string(name(kind)) + "-" + p.option().substr(2);
            std::string help = std::string(name(kind)) + ": " + p.help_for(kind);
            if (p.auto_value) help += " (0: " + std::string(p.auto_help) + ")";
            cmd.add_option(option, c.params_of(kind).*p.field, help)->capture_default_str()->group(group);
            first = false;
        }
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
    cmd->add_option("--heads", o->config.heads, "Heads")->capture_default_str();
    cmd->add_option("--d-head", o->config.d_head, "Width of each head")->capture_default_str();
    cmd->add_flag("--causal", o->config.causal, "Causal mask (dense, local, strided, bigbird, performer)");
    add_variant_param_options(*cmd, o->config);
    cmd->add_option("--repeats", o->config.repeats, "Runs per length; the median is reported")->capture_default_str();
    cmd->add_option("--budget", o->config.budget, "Seconds: a variant is dropped after a run takes longer")
        ->capture_default_str();
    cmd->add_option("--threads", o->config.threads, "Threads (0: all cores)")->capture_default_str();
    cmd->add_flag("--reference", o->config.reference, "Also time the plain reference (n up to --reference-max-n)");
    cmd->add_option("--reference-max-n", o->config.reference_max_n, "Longest n for --reference")->capture_default_str();
    cmd->add_option("--seed", o->config.seed, "Seed for the data and the variants' random draws")->capture_default_str();
    cmd->add_option("--isa", o->isa, "Kernel instruction set: sse2, avx2 or avx512 (default: the widest this CPU runs)");
    cmd->add_option("--backend", o->backend,
                    "cpu|gpu: gpu also times the fused OpenGL compute kernel (dense, local, strided, bigbird) "
                    "beside each CPU row")
        ->capture_default_str();
    cmd->add_option("--out", o->out, "Write the rows as JSON to this file (- for stdout)");
    cmd->callback([o] { run_bench(*o); });
}

}  // namespace attnscope::cli
