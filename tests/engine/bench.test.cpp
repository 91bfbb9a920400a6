// Tests engine/src/bench.cpp: the power-law fit against exact and noisy power laws, the length
// parser, the cost-model exponents the Scaling panel draws, and the sweep's callbacks, budget
// and cancelling on tiny cases.
#include "attnscope/bench.hpp"

#include <cmath>
#include <string>
#include <vector>

#include "../test_helpers.hpp"

namespace as = attnscope;
using as::BenchConfig;
using as::VariantKind;

namespace {

std::vector<double> powers_of_two(int from, int to) {
    std::vector<double> x;
    for (int e = from; e <= to; ++e) x.push_back(std::ldexp(1.0, e));
    return x;
}

}  // namespace

TEST_CASE("fit_power_law recovers the exponent and coefficient of exact power laws") {
    const std::vector<double> x = powers_of_two(8, 20);
    for (double exponent : {2.0, 1.0, 0.5, 1.5, 0.0, -1.0}) {
        std::vector<double> y;
        for (double v : x) y.push_back(3.0 * std::pow(v, exponent));
        const as::PowerLawFit fit = as::fit_power_law(x, y);
        INFO("y = 3 x^" << exponent);
        REQUIRE(fit.points == static_cast<int>(x.size()));
        REQUIRE(fit.exponent == Approx(exponent).margin(1e-9));
        REQUIRE(fit.coefficient == Approx(3.0).epsilon(1e-9));
    }
    // Two points: the slope through them.
    const as::PowerLawFit two = as::fit_power_law({10, 1000}, {5, 5e4});
    REQUIRE(two.exponent == Approx(2.0).margin(1e-12));
    REQUIRE(two.coefficient == Approx(0.05).epsilon(1e-12));
}

TEST_CASE("fit_power_law stays within tolerance on noisy data") {
    // Multiplicative noise up to +-10% (|log| <= 0.105) over eight doublings: least squares moves the
    // slope by at most sum |e_i| |x_i - mean| / sum (x_i - mean)^2 <= 0.105 * 20 / 60 (in units of ln 2:
    // x_i - mean = -4 .. 4 doublings, sum |.| = 20 ln 2, sum (.)^2 = 60 (ln 2)^2) = 0.035 / ln 2 = 0.051.
    const std::vector<double> x = powers_of_two(8, 16);
    const double noise[] = {0.1, -0.1, 0.05, -0.07, 0.1, 0.0, -0.1, 0.08, -0.02};
    for (double exponent : {1.0, 2.0}) {
        std::vector<double> y;
        for (std::size_t i = 0; i < x.size(); ++i) y.push_back(1e-9 * std::pow(x[i], exponent) * (1 + noise[i]));
        const as::PowerLawFit fit = as::fit_power_law(x, y);
        REQUIRE(std::abs(fit.exponent - exponent) <= 0.051);
        REQUIRE(std::abs(fit.exponent - exponent) > 0);  // the noise did move it: the fit uses every point
    }
}

TEST_CASE("fit_power_law needs two distinct x and positive values") {
    REQUIRE(std::isnan(as::fit_power_law({}, {}).exponent));
    REQUIRE(std::isnan(as::fit_power_law({64}, {1.0}).exponent));
    REQUIRE(std::isnan(as::fit_power_law({64, 64}, {1.0, 2.0}).exponent));
    REQUIRE_ERROR(as::fit_power_law({1, 2}, {1.0}), "as many y values");
    REQUIRE_ERROR(as::fit_power_law({1, 2}, {1.0, 0.0}), "positive, finite");
    REQUIRE_ERROR(as::fit_power_law({-1, 2}, {1.0, 1.0}), "positive, finite");
}

TEST_CASE("bench lengths: single, lists and power-of-two ranges") {
    REQUIRE(as::parse_bench_sizes("4096") == std::vector<int>{4096});
    REQUIRE(as::parse_bench_sizes("1024,256,1024") == std::vector<int>{256, 1024});
    REQUIRE(as::parse_bench_sizes("256..2048") == std::vector<int>{256, 512, 1024, 2048});
    REQUIRE_ERROR(as::parse_bench_sizes("300..1024"), "powers of two");
    REQUIRE_ERROR(as::parse_bench_sizes("abc"), "give a length");
    REQUIRE_ERROR(as::parse_bench_sizes("0"), "out of range");
}

TEST_CASE("the cost model scales as the theory says: dense n^2, Linformer and Performer n, local about n") {
    BenchConfig c;
    c.heads = 2, c.d_head = 64;
    c.params_of(VariantKind::Local).window = 16;
    c.params_of(VariantKind::Linformer).k = 32;
    c.params_of(VariantKind::Performer).features = 32;
    const std::vector<double> n = powers_of_two(10, 16);
    auto exponent = [&](VariantKind kind) {
        std::vector<double> flops;
        for (double v : n) flops.push_back(as::bench_flops(c, kind, static_cast<int>(v)));
        return as::fit_power_law(n, flops).exponent;
    };
    REQUIRE(exponent(VariantKind::Dense) == Approx(2.0).margin(1e-9));
    REQUIRE(exponent(VariantKind::Linformer) == Approx(1.0).margin(1e-9));
    REQUIRE(exponent(VariantKind::Performer) == Approx(1.0).margin(1e-9));
    // Band of 2 w + 1 keys, minus the corners: n (2w + 1) - w (w + 1) pairs, nearly linear.
    REQUIRE(exponent(VariantKind::Local) == Approx(1.0).margin(0.01));
}

TEST_CASE("run_sweep reports rows as they come, in order, with progress, and honours the budget and cancel") {
    BenchConfig c;
    c.variants = {VariantKind::Dense, VariantKind::Local};
    c.sizes = {32, 64, 128};
    c.heads = 1, c.d_head = 8, c.repeats = 2, c.threads = 1;
    c.params_of(VariantKind::Local).window = 4;
    const as::FmaPeak peak = as::measure_fma_peak(1, 0.005);
    std::vector<std::string> seen;
    std::vector<double> progress;
    as::SweepHooks hooks;
    hooks.on_row = [&](const as::BenchRow& r) { seen.push_back(r.variant + " " + std::to_string(r.n)); };
    hooks.on_progress = [&](double f) { progress.push_back(f); };
    const as::SweepResult all = as::run_sweep(c, peak, hooks);
    REQUIRE(seen == std::vector<std::string>{"dense 32", "dense 64", "dense 128", "local 32", "local 64", "local 128"});
    REQUIRE(all.rows.size() == 6);
    REQUIRE_FALSE(all.cancelled);
    REQUIRE(progress.back() == 1.0);
    for (std::size_t i = 1; i < progress.size(); ++i) REQUIRE(progress[i] >= progress[i - 1]);
    for (const as::BenchRow& r : all.rows) {
        REQUIRE(r.times.size() == 2);
        REQUIRE(r.seconds > 0);
        // Q, K, V and the output: 4 (n, 8) fp32 matrices.
        REQUIRE(r.io_bytes == 4LL * r.n * 8 * 4);
        REQUIRE(r.peak_bytes == r.io_bytes + r.scratch_bytes);
    }

    // A budget no run can meet: each variant is measured once at n = 32 (a real row), and the
    // note names the first length that was not run, never the one that was measured.
    BenchConfig tight = c;
    tight.budget = 1e-12;
    const as::SweepResult dropped = as::run_sweep(tight, peak);
    REQUIRE(dropped.rows.size() == 2);
    for (const as::BenchRow& r : dropped.rows) REQUIRE((r.n == 32 && r.over_budget));
    REQUIRE(dropped.notes.size() == 2);
    for (const as::BenchNote& n : dropped.notes) REQUIRE((n.dropped && n.n == 64 && n.seconds > 1e-12));
    for (const as::BenchNote& n : dropped.notes)
        for (const as::BenchRow& r : dropped.rows) REQUIRE((r.variant != n.variant || r.n != n.n));
    // Over the budget at the last length: nothing was dropped, so nothing is noted.
    BenchConfig last = tight;
    last.sizes = {32};
    REQUIRE(as::run_sweep(last, peak).notes.empty());

    // Cancelled after the first row: nothing more is measured.
    int rows = 0;
    as::SweepHooks cancel;
    cancel.on_row = [&](const as::BenchRow&) { ++rows; };
    cancel.cancelled = [&] { return rows >= 1; };
    const as::SweepResult stopped = as::run_sweep(c, peak, cancel);
    REQUIRE(stopped.cancelled);
    REQUIRE(stopped.rows.size() == 1);
}

TEST_CASE("run_sweep rejects configurations it cannot run") {
    const as::FmaPeak peak{};
    BenchConfig c;
    c.variants = {VariantKind::TopK};
    REQUIRE_ERROR(as::run_sweep(c, peak), "no fast kernel for topk");
    c = BenchConfig{};
    c.heads = 0;
    REQUIRE_ERROR(as::run_sweep(c, peak), "heads (0) must be at least 1");
    c = BenchConfig{};
    c.budget = 0;
    REQUIRE_ERROR(as::run_sweep(c, peak), "budget");
    c = BenchConfig{};
    c.variants.clear();
    REQUIRE_ERROR(as::run_sweep(c, peak), "no variant");
    c = BenchConfig{};
    c.sizes = {4096, 512};
    REQUIRE_ERROR(as::run_sweep(c, peak), "lengths must increase");
    // Hostile sizes are refused before anything is allocated or started (the memory guard's
    // arithmetic overflowed on these; 100,000 threads crashed the OpenMP runtime).
    c = BenchConfig{};
    c.heads = 1073741824, c.d_head = 1073741824;
    REQUIRE_ERROR(as::run_sweep(c, peak), "heads (1073741824) must be at most 4096");
    c = BenchConfig{};
    c.d_head = 100000;
    REQUIRE_ERROR(as::run_sweep(c, peak), "d_head (100000) must be at most 4096");
    c = BenchConfig{};
    c.threads = 100000;
    REQUIRE_ERROR(as::run_sweep(c, peak), "threads (100000) must be at most");
}

TEST_CASE("bench variant parameters come from the table: its bounds, the per-length auto value, the skips") {
    const as::FmaPeak peak{};
    BenchConfig c;
    c.params_of(VariantKind::Local).window = -1;
    REQUIRE_ERROR(as::run_sweep(c, peak), "local window (-1) must be at least 0");
    c = BenchConfig{};
    c.params_of(VariantKind::Performer).features = 5000;
    REQUIRE_ERROR(as::run_sweep(c, peak), "performer features (5000) must be between 1 and 4096: try --features");
    c = BenchConfig{};
    c.params_of(VariantKind::BigBird).block = 0;
    REQUIRE_ERROR(as::run_sweep(c, peak), "bigbird block (0) must be at least 1");
    // Strided's stride 0: the power of two nearest sqrt(n).
    c = BenchConfig{};
    REQUIRE(c.params_of(VariantKind::Strided).stride == 0);
    REQUIRE(as::bench_variant_params(c, VariantKind::Strided, 4096).stride == 64);
    REQUIRE(as::bench_variant_params(c, VariantKind::Strided, 1 << 20).stride == 1024);
    c.params_of(VariantKind::Strided).stride = 7;
    REQUIRE(as::bench_variant_params(c, VariantKind::Strided, 4096).stride == 7);
    // Each kind keeps its own sizes: local's window counts keys, bigbird's blocks.
    REQUIRE(as::bench_variant_params(c, VariantKind::Local, 4096).window == 256);
    REQUIRE(as::bench_variant_params(c, VariantKind::BigBird, 4096).window == 1);
    REQUIRE(as::bench_variant_params(c, VariantKind::BigBird, 4096).kind == VariantKind::BigBird);
    // Fewer tokens than nystrom's landmarks (a Tokens bound): that length is skipped, not run.
    c = BenchConfig{};
    c.variants = {VariantKind::Nystrom};
    c.sizes = {32, 64};
    c.heads = 1, c.d_head = 8, c.repeats = 1, c.threads = 1;
    c.params_of(VariantKind::Nystrom).landmarks = 48;
    const as::SweepResult r = as::run_sweep(c, as::measure_fma_peak(1, 0.005));
    REQUIRE(r.rows.size() == 1);
    REQUIRE(r.rows[0].n == 64);
    REQUIRE(r.notes.size() == 1);
    REQUIRE(r.notes[0].why == "fewer tokens than landmarks");
}
