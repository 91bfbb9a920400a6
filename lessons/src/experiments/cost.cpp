// What attention costs: dense attention timed against n, Linformer's cost and error against k, and
// every efficient variant's cost and error.
#include "common.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "attnscope/attention.hpp"
#include "attnscope/compare.hpp"
#include "attnscope/random.hpp"
#include "attnscope/error.hpp"
#include "attnscope/run.hpp"

// Shapes: n queries, m keys, d = d_k = d_head; random queries and keys are (n, d).
namespace attnscope {

using namespace lessons_detail;

namespace {

// One head of dense attention, materializing (n, n) as the traced engine does.
double dense_attention_once(const Matrix& Q, const Matrix& K, const Matrix& V, bool scaled) {
    Matrix S = Q * K.transpose();                            // (n, n)
    if (scaled) S *= 1.0 / std::sqrt(double(Q.cols()));
    const Matrix O = softmax_rows(S) * V;                    // (n, d)
    return O.sum();                                          // used, so the work cannot be skipped
}

// The fastest of up to `repeats` runs (at least 2, fewer past a time budget): the least disturbed
// by whatever else the machine is doing.
double fastest_seconds(const Matrix& Q, const Matrix& K, const Matrix& V, bool scaled, int repeats, double& sink) {
    double best = INFINITY, total = 0;
    for (int i = 0; i < repeats && (i < 2 || total < 0.1); ++i) {
        const auto start = std::chrono::steady_clock::now();
        sink += dense_attention_once(Q, K, V, scaled);
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        best = std::min(best, s), total += s;
    }
    return best;
}

}  // namespace

ExperimentResult cost_vs_n(const std::vector<int>& ns, int d, int repeats) {
    ExperimentResult r;
    r.name = "cost_vs_n";
    r.title = "Dense attention, one head of d = " + std::to_string(d) + ", timed on this CPU (fastest of up to " +
              std::to_string(repeats) + " runs)";
    r.columns = {"n", "ms, scaled", "ms, unscaled", "unscaled / scaled", "FLOPs, scaled", "FLOPs, unscaled",
                 "n x n matrix (MB)"};
    r.x_label = "n (tokens)", r.y_label = "milliseconds", r.log_x = true, r.log_y = true;
    ExperimentSeries scaled{"with 1/sqrt(d)", {}, {}}, unscaled{"without scaling", {}, {}}, square{"n² (through the last point)", {}, {}};
    std::vector<double> x, times, flops;
    double sink = 0;
    for (int n : ns) {
        const Matrix Q = random_normal(n, d, 1.0, 3, "cost/Q"), K = random_normal(n, d, 1.0, 3, "cost/K"),
                     V = random_normal(n, d, 1.0, 3, "cost/V");
        const double t_scaled = fastest_seconds(Q, K, V, true, repeats, sink);
        const double t_unscaled = fastest_seconds(Q, K, V, false, repeats, sink);
        const double f = attention_cost(VariantParams{}, n, n, d, 1).flops;
        r.rows.push_back({double(n), 1e3 * t_scaled, 1e3 * t_unscaled, t_unscaled / t_scaled, f, f - double(n) * n,
                          8.0 * n * n / 1e6});
        scaled.x.push_back(n), scaled.y.push_back(1e3 * t_scaled);
        unscaled.x.push_back(n), unscaled.y.push_back(1e3 * t_unscaled);
        x.push_back(n), times.push_back(t_scaled), flops.push_back(f);
    }
    for (int n : ns) square.x.push_back(n), square.y.push_back(r.rows.back()[1] * std::pow(double(n) / ns.back(), 2.0));
    r.series = {scaled, unscaled, square};
    double ratio = 0;
    for (const auto& row : r.rows) ratio += row[3] / r.rows.size();
    const auto& prev = r.rows[r.rows.size() >= 2 ? r.rows.size() - 2 : 0];
    const auto& last = r.rows.back();
    r.values = {{"time_exponent", loglog_slope(x, times)}, {"flops_exponent", loglog_slope(x, flops)},
                {"mean_unscaled_over_scaled", ratio}, {"last_ms", last[1]}, {"checksum", sink}};
    r.finding = "Going from n = " + num(prev[0]) + " to " + num(last[0]) + " multiplied the time by " +
                num(last[1] / prev[1]) + " and the n x n matrix from " + num(prev[6]) + " to " + num(last[6]) +
                " MB. Fitted over all sizes: time ~ n^" + fixed(r.values["time_exponent"], 2) + ", FLOPs ~ n^" +
                fixed(r.values["flops_exponent"], 2) +
                (r.values["time_exponent"] > 2.2 ? " (time grows faster than the FLOPs once the n x n matrix outgrows the "
                                                   "CPU's caches)" : "") +
                ". Without the 1/sqrt(d) scaling the time is " + fixed(ratio, 2) +
                " times the scaled time on average: the scaling is n² multiplications beside 4 n² d, it changes "
                "the numbers, not the cost.";
    return r;
}

ExperimentResult low_rank_cost(const std::vector<int>& ks, int n) {
    ExperimentResult r;
    r.name = "low_rank_cost";
    r.title = "Linformer (keys and values projected to k rows) at n = " + std::to_string(n) + ", 4 heads of 16";
    r.columns = {"k", "FLOPs", "dense FLOPs", "attention error", "best possible at rank k", "FLOPs at n = 1000",
                 "dense FLOPs at n = 1000", "pairs scored at n = 1000 (n k)"};
    r.x_label = "k", r.y_label = "", r.log_x = true, r.log_y = true;
    ExperimentSeries error{"attention error", {}, {}}, ratio{"FLOPs / dense FLOPs", {}, {}};
    std::vector<double> x, flops;
    for (int k : ks) {
        VariantParams v;
        v.kind = VariantKind::Linformer, v.k = k;
        const Trace t = run(long_inputs(n, v));
        const double err = mean_over_heads(t, &HeadComparison::attention_error);
        const double f1000 = attention_cost(v, 1000, 1000, t.d_head, 4).flops;
        const double d1000 = attention_cost(VariantParams{}, 1000, 1000, t.d_head, 4).flops;
        r.rows.push_back({double(k), t.layers[0].cost.flops, t.layers[0].dense_cost.flops, err,
                          mean_over_heads(t, &HeadComparison::best_rank_error), f1000, d1000, 1000.0 * k});
        error.x.push_back(k), error.y.push_back(err);
        ratio.x.push_back(k), ratio.y.push_back(t.layers[0].cost.flops / t.layers[0].dense_cost.flops);
        x.push_back(k), flops.push_back(t.layers[0].cost.flops);
    }
    r.series = {error, ratio};
    const auto& first = r.rows.front();
    const auto& last = r.rows.back();
    r.values = {{"flops_exponent_in_k", loglog_slope(x, flops)}, {"error_first", first[3]}, {"error_last", last[3]},
                {"flops_1000_last", last[5]}, {"dense_1000", last[6]}};
    r.finding = "Myth. The cost is O(n k d), linear in k: at n = 1000 with k = " + num(last[0]) + " Linformer needs " +
                num(last[5]) + " FLOPs against " + num(last[6]) + " for exact attention, and it scores n k = " +
                num(last[7]) + " pairs, not sqrt(1000)² = 1000. The saving is paid in accuracy: the attention error is " +
                num(first[3]) + " at k = " + num(first[0]) + " and " + num(last[3]) + " at k = " + num(last[0]) +
                " (no rank-k matrix can beat " + num(last[4]) + "; E and F are random here, as before training).";
    return r;
}

ExperimentResult variant_tradeoffs(int n) {
    ExperimentResult r;
    r.name = "variant_tradeoffs";
    r.title = "Efficient variants with their default parameters at n = " + std::to_string(n) + ", against exact attention";
    r.columns = {"variant", "FLOPs / dense", "attention error", "exact weight kept"};
    double best_cost = INFINITY, best_error = INFINITY;
    std::string cheapest, closest;
    for (VariantKind kind : kAllVariants) {
        if (kind == VariantKind::Dense || kind == VariantKind::Svd) continue;  // the SVD is a baseline, not a method
        VariantParams v;
        v.kind = kind;
        const Trace t = run(long_inputs(n, v));
        const double ratio = t.layers[0].cost.flops / t.layers[0].dense_cost.flops, err = mean_over_heads(t, &HeadComparison::attention_error);
        r.row_labels.push_back(name(kind));
        r.rows.push_back({ratio, err, mean_over_heads(t, &HeadComparison::mass_kept)});
        if (ratio < best_cost) best_cost = ratio, cheapest = name(kind);
        if (err < best_error) best_error = err, closest = name(kind);
    }
    r.values = {{"best_cost", best_cost}, {"best_error", best_error}};
    r.finding = "Every variant buys its saving with error: the cheapest here, " + cheapest + ", costs " +
                num(100 * best_cost, 2) + "% of exact attention; the closest, " + closest + ", still misses by " +
                num(best_error) + ". Sparse variants drop keys (the weight they would have had is lost); low-rank ones "
                "blur the whole matrix.";
    return r;
}

}  // namespace attnscope
