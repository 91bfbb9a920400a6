// How sharp the softmax is: entropy against d_k with and without 1/sqrt(d_k), scaling by n instead,
// and the temperature.
#include "common.hpp"

#include <algorithm>
#include <cmath>

#include "attnscope/attention.hpp"
#include "attnscope/random.hpp"
#include "attnscope/error.hpp"
#include "attnscope/run.hpp"

// Shapes: n queries, m keys, d = d_k = d_head; random queries and keys are (n, d).
namespace attnscope {

using namespace lessons_detail;

ExperimentResult entropy_vs_dk(const std::vector<int>& d_ks, int n, std::uint64_t seed) {
    ExperimentResult r;
    r.name = "entropy_vs_dk";
    r.title = "Mean attention entropy of random queries and keys (" + std::to_string(n) + " keys) against d_k";
    r.columns = {"d_k", "entropy, q.k / sqrt(d_k)", "entropy, q.k", "logit spread, scaled", "logit spread, unscaled",
                 "top weight, unscaled"};
    r.x_label = "d_k", r.y_label = "mean entropy (nats)", r.log_x = true;
    ExperimentSeries scaled{"divided by sqrt(d_k)", {}, {}}, unscaled{"not scaled", {}, {}}, uniform{"uniform: ln n", {}, {}};
    for (int d : d_ks) {
        const Matrix Q = random_normal(n, d, 1.0, seed, "entropy_vs_dk/Q" + std::to_string(d));  // (n, d)
        const Matrix K = random_normal(n, d, 1.0, seed, "entropy_vs_dk/K" + std::to_string(d));  // (n, d)
        const Matrix S = Q * K.transpose();                                                      // (n, n)
        const Matrix A_unscaled = softmax_rows(S);
        const double h_scaled = mean_entropy(softmax_rows(S / std::sqrt(double(d))));
        const double h_unscaled = mean_entropy(A_unscaled);
        r.rows.push_back({double(d), h_scaled, h_unscaled, stddev(S) / std::sqrt(double(d)), stddev(S),
                          mean_row_max(A_unscaled)});
        scaled.x.push_back(d), scaled.y.push_back(h_scaled);
        unscaled.x.push_back(d), unscaled.y.push_back(h_unscaled);
        uniform.x.push_back(d), uniform.y.push_back(std::log(double(n)));
    }
    r.series = {scaled, unscaled, uniform};
    const auto& first = r.rows.front();
    const auto& last = r.rows.back();
    r.values = {{"scaled_first", first[1]}, {"scaled_last", last[1]}, {"unscaled_first", first[2]},
                {"unscaled_last", last[2]}, {"top_weight_unscaled_last", last[5]}, {"uniform", std::log(double(n))}};
    r.finding = "Unscaled, the logits' spread grows like sqrt(d_k) (" + num(first[4]) + " at d_k = " + num(first[0]) +
                ", " + num(last[4]) + " at d_k = " + num(last[0]) + ") and the softmax saturates: the mean entropy falls from " +
                num(first[2]) + " to " + num(last[2]) + " nats and the top key takes " + num(last[5]) +
                " of the weight, nearly one-hot, where gradients vanish. Divided by sqrt(d_k) the spread stays near 1 and "
                "the entropy stays between " + num(std::min(first[1], last[1])) + " and " + num(std::max(first[1], last[1])) +
                " nats (uniform: " + num(std::log(double(n))) + ").";
    return r;
}

ExperimentResult scale_by_n(const std::vector<int>& ns, int d_k, std::uint64_t seed) {
    ExperimentResult r;
    r.name = "scale_by_n";
    r.title = "Random queries and keys (d_k = " + std::to_string(d_k) + ") as the text grows: logits / sqrt(d_k) or / n";
    r.columns = {"n", "logit spread, / sqrt(d_k)", "logit spread, / n", "top key vs uniform, / sqrt(d_k)",
                 "top key vs uniform, / n", "entropy / ln n, / sqrt(d_k)", "entropy / ln n, / n"};
    r.x_label = "n (tokens)", r.y_label = "top key's weight / (1/n)", r.log_x = true, r.log_y = true;
    ExperimentSeries by_sqrt{"divided by sqrt(d_k)", {}, {}}, by_n{"divided by n", {}, {}};
    for (int n : ns) {
        const Matrix Q = random_normal(n, d_k, 1.0, seed, "scale_by_n/Q" + std::to_string(n));
        const Matrix K = random_normal(n, d_k, 1.0, seed, "scale_by_n/K" + std::to_string(n));
        const Matrix S = Q * K.transpose();  // (n, n)
        const Matrix L_sqrt = S / std::sqrt(double(d_k)), L_n = S / double(n);
        const Matrix A_sqrt = softmax_rows(L_sqrt), A_n = softmax_rows(L_n);
        const double ln_n = std::log(double(n));
        r.rows.push_back({double(n), stddev(L_sqrt), stddev(L_n), mean_row_max(A_sqrt) * n, mean_row_max(A_n) * n,
                          mean_entropy(A_sqrt) / ln_n, mean_entropy(A_n) / ln_n});
        by_sqrt.x.push_back(n), by_sqrt.y.push_back(r.rows.back()[3]);
        by_n.x.push_back(n), by_n.y.push_back(r.rows.back()[4]);
    }
    r.series = {by_sqrt, by_n};
    const auto& first = r.rows.front();
    const auto& last = r.rows.back();
    r.values = {{"focus_sqrt_last", last[3]}, {"focus_n_first", first[4]}, {"focus_n_last", last[4]},
                {"spread_n_first", first[2]}, {"spread_n_last", last[2]}, {"spread_sqrt_last", last[1]}};
    r.finding = "Myth. Dividing by n shrinks the logits' spread from " + num(first[2]) + " at n = " + num(first[0]) +
                " to " + num(last[2]) + " at n = " + num(last[0]) + ", so the weights flatten to uniform: the top key gets " +
                num(last[4]) + " times the uniform weight, no focus at all. Dividing by sqrt(d_k) keeps the spread at " +
                num(last[1]) + " whatever n is, and the top key still stands out (" + num(last[3]) +
                " times uniform). The scale is 1 / sqrt(d_k): it depends on the head width, never on the text's length.";
    return r;
}

ExperimentResult temperature_sweep(const ExperimentContext& context, const std::vector<double>& temperatures) {
    ExperimentResult r;
    r.name = "temperature_sweep";
    r.columns = {"T", "entropy (nats)", "top weight", "top key"};
    r.x_label = "temperature T", r.y_label = "", r.log_x = true;
    ExperimentSeries entropy{"entropy (nats)", {}, {}}, top{"top weight", {}, {}};
    std::string token, first_token;
    double keys = 0;  // visible to the query
    for (double T : temperatures) {
        Inputs in = context.inputs;
        in.temperature = T;
        const Trace t = run(in);
        check_head_query(t, context);
        const Matrix& A = t.layers[0].heads[context.head].attention;
        const int best = row_argmax(A, context.query);
        r.rows.push_back({T, row_entropy(A, context.query), A(context.query, best), double(best)});
        entropy.x.push_back(T), entropy.y.push_back(r.rows.back()[1]);
        top.x.push_back(T), top.y.push_back(r.rows.back()[2]);
        token = t.query.tokens[context.query];
        keys = t.allowed.row(context.query).count();
        if (first_token.empty()) first_token = t.keys.tokens[best];
    }
    r.title = "Head " + std::to_string(context.head) + ", query " + std::to_string(context.query) + " ('" + token +
              "') as the temperature changes";
    r.series = {entropy, top};
    const auto& first = r.rows.front();
    const auto& last = r.rows.back();
    r.values = {{"entropy_first", first[1]}, {"entropy_last", last[1]}, {"top_first", first[2]}, {"top_last", last[2]}};
    r.finding = "At T = " + num(first[0]) + " the top key ('" + first_token + "') takes " + num(100 * first[2]) +
                "% of the weight (entropy " + num(first[1]) + " nats); at T = " + num(last[0]) + " it takes " +
                num(100 * last[2]) + "% (entropy " + num(last[1]) + " nats; a flat row over " + num(keys) + " keys has ln " +
                num(keys) + " = " + num(std::log(keys)) + "). T divides every logit: it changes how sharp the softmax "
                "is, not the order of the keys.";
    return r;
}

}  // namespace attnscope
