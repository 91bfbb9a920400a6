#include "attnscope/experiments.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <numeric>

#include "attnscope/attention.hpp"
#include "attnscope/compare.hpp"
#include "attnscope/error.hpp"
#include "attnscope/random.hpp"
#include "attnscope/run.hpp"

// Shapes: n queries, m keys, d = d_k = d_head; random queries and keys are (n, d).
namespace attnscope {
namespace {

// Whole numbers in full with thousands separators (FLOP counts), others to `significant` digits.
std::string num(double v, int significant = 3) {
    char buf[48];
    const double a = std::abs(v);
    if (v == std::round(v) && a < 1e15) {
        const std::string digits = std::to_string(static_cast<long long>(a));
        std::string out = v < 0 ? "-" : "";
        for (size_t i = 0; i < digits.size(); ++i) {
            if (i > 0 && a >= 1e4 && (digits.size() - i) % 3 == 0) out += ',';
            out += digits[i];
        }
        return out;
    }
    if (a >= 1e-3 && a < 1e6)
        std::snprintf(buf, sizeof buf, "%.*g", significant, v);
    else
        std::snprintf(buf, sizeof buf, "%.*e", std::max(significant - 1, 0), v);
    return buf;
}

std::string fixed(double v, int decimals) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

std::string words(int count) {
    std::string text;
    for (int i = 0; i < count; ++i) text.append(i ? " w" : "w").append(std::to_string(i));
    return text;
}

double mean_entropy(const Matrix& weights) {
    double sum = 0;
    for (int i = 0; i < weights.rows(); ++i) sum += row_entropy(weights, i);
    return weights.rows() > 0 ? sum / weights.rows() : 0.0;
}

double mean_row_max(const Matrix& weights) { return weights.rowwise().maxCoeff().mean(); }

double stddev(const Matrix& m) {
    const double mean = m.mean();
    return std::sqrt((m.array() - mean).square().mean());
}

int row_argmax(const Matrix& m, int row) {
    int best = 0;
    for (int j = 1; j < m.cols(); ++j)
        if (m(row, j) > m(row, best)) best = j;
    return best;
}

// Least-squares slope of log y against log x: the exponent p in y ~ x^p.
double loglog_slope(const std::vector<double>& x, const std::vector<double>& y) {
    const int n = static_cast<int>(x.size());
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (int i = 0; i < n; ++i) {
        const double lx = std::log(x[i]), ly = std::log(y[i]);
        sx += lx, sy += ly, sxx += lx * lx, sxy += lx * ly;
    }
    const double denom = n * sxx - sx * sx;
    return denom != 0 ? (n * sxy - sx * sy) / denom : 0.0;
}

// The context's inputs reduced to plain self-attention: no second text, no variant.
Inputs self_attention(const Inputs& in) {
    Inputs out = in;
    out.cross_text.clear();
    out.variant = VariantParams{};
    std::erase_if(out.edits, [](const Edit& e) { return e.matrix.rfind("cross_", 0) == 0; });
    return out;
}

void drop_edits(Inputs& in, std::initializer_list<const char*> matrices) {
    std::erase_if(in.edits, [&](const Edit& e) {
        return std::any_of(matrices.begin(), matrices.end(), [&](const char* m) { return e.matrix == m; });
    });
}

const Matrix* editable_matrix(const Trace& t, const std::string& name) {
    if (name == "embeddings") return &t.query.embeddings;
    if (name == "positional") return &t.query.positional;
    if (name == "input") return &t.query.input;
    if (name == "cross_embeddings") return t.cross ? &t.keys.embeddings : nullptr;
    if (name == "cross_positional") return t.cross ? &t.keys.positional : nullptr;
    if (name == "cross_input") return t.cross ? &t.keys.input : nullptr;
    if (name == "W_Q") return &t.layers[0].W_Q;
    if (name == "W_K") return &t.layers[0].W_K;
    if (name == "W_V") return &t.layers[0].W_V;
    if (name == "W_O") return &t.layers[0].W_O;
    if (name == "Q") return &t.layers[0].Q;
    if (name == "K") return &t.layers[0].K;
    if (name == "V") return &t.layers[0].V;
    return nullptr;
}

void check_head_query(const Trace& t, const ExperimentContext& c) {
    if (c.head < 0 || c.head >= t.inputs.heads)
        throw Error("head " + std::to_string(c.head) + " does not exist: choose 0.." + std::to_string(t.inputs.heads - 1));
    if (c.query < 0 || c.query >= t.n())
        throw Error("query " + std::to_string(c.query) + " does not exist: choose 0.." + std::to_string(t.n() - 1));
}

}  // namespace

double row_entropy(const Matrix& weights, int row) {
    double h = 0;
    for (int j = 0; j < weights.cols(); ++j)
        if (const double p = weights(row, j); p > 0) h -= p * std::log(p);
    return h;
}

double max_asymmetry(const Matrix& m) {
    double worst = 0;
    for (int i = 0; i < m.rows(); ++i)
        for (int j = i + 1; j < m.cols(); ++j)
            if (std::isfinite(m(i, j)) && std::isfinite(m(j, i))) worst = std::max(worst, std::abs(m(i, j) - m(j, i)));
    return worst;
}

Inputs with_matrix_copied(const Inputs& inputs, const std::string& to, const std::string& from) {
    const Trace t = run(inputs);
    const Matrix* source = editable_matrix(t, from);
    const Matrix* target = editable_matrix(t, to);
    if (!source || !target)
        throw Error("cannot copy " + from + " into " + to + ": both must be editable matrices of this trace "
                    "(W_Q, W_K, W_V, W_O, Q, K, V, embeddings, positional, input)");
    if (source->rows() != target->rows() || source->cols() != target->cols())
        throw Error("cannot copy " + from + " (" + std::to_string(source->rows()) + " x " +
                    std::to_string(source->cols()) + ") into " + to + " (" + std::to_string(target->rows()) + " x " +
                    std::to_string(target->cols()) + "): the shapes differ");
    Inputs out = inputs;
    std::erase_if(out.edits, [&](const Edit& e) { return e.matrix == to; });
    for (int i = 0; i < source->rows(); ++i)
        for (int j = 0; j < source->cols(); ++j) out.edits.push_back({to, i, j, (*source)(i, j)});
    return out;
}

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

ExperimentResult shared_qk(const ExperimentContext& context) {
    Inputs in = self_attention(context.inputs);
    drop_edits(in, {"W_K", "Q", "K"});
    const Trace normal = run(in);
    const Trace shared = run(with_matrix_copied(in, "W_K", "W_Q"));
    ExperimentResult r;
    r.name = "shared_qk";
    r.title = "max |S - S^T| per head: separate W_Q and W_K, and W_K := W_Q";
    r.columns = {"head", "max |S - S^T|, separate", "max |S - S^T|, W_K = W_Q", "rows scoring self highest, separate",
                 "rows scoring self highest, W_K = W_Q"};
    double asym_normal = 0, asym_shared = 0, self_normal = 0, self_shared = 0;
    for (int h = 0; h < in.heads; ++h) {
        const Matrix& a = normal.layers[0].heads[h].scores;
        const Matrix& b = shared.layers[0].heads[h].scores;
        double self_a = 0, self_b = 0;
        for (int i = 0; i < a.rows(); ++i) self_a += row_argmax(a, i) == i, self_b += row_argmax(b, i) == i;
        self_a /= a.rows(), self_b /= b.rows();
        r.rows.push_back({double(h), max_asymmetry(a), max_asymmetry(b), self_a, self_b});
        asym_normal = std::max(asym_normal, max_asymmetry(a)), asym_shared = std::max(asym_shared, max_asymmetry(b));
        self_normal += self_a / in.heads, self_shared += self_b / in.heads;
    }
    r.values = {{"max_asymmetry_separate", asym_normal}, {"max_asymmetry_shared", asym_shared},
                {"self_top_separate", self_normal}, {"self_top_shared", self_shared}};
    r.finding = "Myth. With W_K = W_Q every head's score matrix is symmetric: max |S - S^T| = " + num(asym_shared) +
                " (separate weights: " + num(asym_normal) + "). S = X W W^T X^T, so 'how much i looks for j' equals "
                "'how much j looks for i', and a token tends to match itself best (" + num(100 * self_shared, 2) +
                "% of rows, against " + num(100 * self_normal, 2) + "% with separate weights). Transformers learn three "
                "different matrices W_Q, W_K, W_V.";
    return r;
}

ExperimentResult where_pe_enters(const ExperimentContext& context) {
    Inputs in = self_attention(context.inputs);
    drop_edits(in, {"positional", "input"});
    const Positional additive = in.pe == Positional::Learned ? Positional::Learned : Positional::Sinusoidal;
    Inputs none = in, with = in;
    none.pe = Positional::None, with.pe = additive;
    const Trace a = run(none), b = run(with);
    const Matrix& PE = b.query.positional;  // (n, d_model)
    const double input_gap = (b.query.input - a.query.input - PE).norm();
    const double output_change = (b.layers[0].output - a.layers[0].output).norm();
    const double claim_gap = (b.layers[0].output - (a.layers[0].output + PE)).norm();
    ExperimentResult r;
    r.name = "where_pe_enters";
    r.title = std::string("The same text without a positional encoding and with '") + name(additive) + "'";
    r.columns = {"quantity", "Frobenius norm"};
    r.row_labels = {"PE", "input(pe) - input(none) - PE", "output(pe) - output(none)",
                    "output(pe) - (output(none) + PE)"};
    r.rows = {{PE.norm()}, {input_gap}, {output_change}, {claim_gap}};
    r.values = {{"pe_norm", PE.norm()}, {"input_gap", input_gap}, {"output_change", output_change}, {"claim_gap", claim_gap}};
    r.finding = "Myth. PE is added once, to the input: input(pe) - input(none) - PE = " + num(input_gap) +
                ". From there it flows through W_Q, W_K, W_V, the softmax and W_O, so the output is not the weighted "
                "sum plus PE: output(pe) misses output(none) + PE by " + num(claim_gap) + " (||PE|| = " + num(PE.norm()) +
                "). In a full transformer block the residual connection adds the whole input (embedding + PE) back, "
                "not PE alone; RoPE, ALiBi and relative biases enter even later, inside the scores.";
    return r;
}

namespace {

double upper_weight(const Matrix& A) {
    double s = 0;
    for (int i = 0; i < A.rows(); ++i)
        for (int j = i + 1; j < A.cols(); ++j) s += A(i, j);
    return s;
}

}  // namespace

ExperimentResult gpt_causal(const ExperimentContext& context) {
    Inputs causal = self_attention(context.inputs), encoder = causal;
    causal.mask = Mask::Causal, encoder.mask = Mask::None;
    const Trace c = run(causal), e = run(encoder);
    const int n = c.n();
    ExperimentResult r;
    r.name = "gpt_causal";
    r.title = "Weight on later tokens (above the diagonal): causal mask (decoder, as GPT) and no mask (encoder)";
    r.columns = {"head", "weight above diagonal, causal", "weight above diagonal, no mask", "token 0 on itself, causal"};
    double max_causal = 0, min_encoder = INFINITY, share_encoder = 0;
    for (int h = 0; h < causal.heads; ++h) {
        const double uc = upper_weight(c.layers[0].heads[h].attention), ue = upper_weight(e.layers[0].heads[h].attention);
        r.rows.push_back({double(h), uc, ue, c.layers[0].heads[h].attention(0, 0)});
        max_causal = std::max(max_causal, uc), min_encoder = std::min(min_encoder, ue);
        share_encoder += ue / n / causal.heads;
    }
    r.values = {{"max_upper_causal", max_causal}, {"min_upper_encoder", min_encoder},
                {"row0_self", c.layers[0].heads[0].attention(0, 0)}, {"hidden_cells", double(n) * (n - 1) / 2}};
    r.finding = "Myth. GPT is decoder-only: one stack of causal self-attention over its own text, with no encoder and "
                "no cross-attention. With the causal mask the " + num(double(n) * (n - 1) / 2) +
                " cells above the diagonal get weight " + num(max_causal) + " in every head, and token 0 can only attend "
                "to itself (weight " + num(c.layers[0].heads[0].attention(0, 0)) + "). Without the mask, as in an encoder, "
                + num(100 * share_encoder, 2) + "% of each row's weight goes to later tokens.";
    return r;
}

ExperimentResult permutation_equivariance(const ExperimentContext& context) {
    Inputs in = self_attention(context.inputs);
    in.edits.clear();  // edits are tied to positions; the shuffle is done with edits of its own
    in.mask = Mask::None;
    const int n = run(in).n();
    if (n < 2) throw Error("shuffling needs at least 2 tokens: type a longer sentence");
    std::vector<int> perm(n);
    std::iota(perm.begin(), perm.end(), 0);
    Rng rng(11);
    while (std::is_sorted(perm.begin(), perm.end()))
        for (int i = n - 1; i > 0; --i) std::swap(perm[i], perm[static_cast<int>(rng.uniform() * (i + 1))]);
    ExperimentResult r;
    r.name = "permutation_equivariance";
    r.title = "Tokens shuffled (row i takes token " + std::to_string(perm[0]) + ", " + std::to_string(perm[1]) +
              ", ...): max |out(shuffled) - shuffled(out)|";
    r.columns = {"positional encoding", "max |out(P x) - P out(x)|", "max |out|"};
    for (Positional pe : kAllPositional) {
        in.pe = pe;
        const Trace base = run(in);
        Inputs shuffled = in;
        for (int i = 0; i < n; ++i)
            for (int c = 0; c < in.d_model; ++c) shuffled.edits.push_back({"embeddings", i, c, base.query.embeddings(perm[i], c)});
        const Trace s = run(shuffled);
        double gap = 0;
        for (int i = 0; i < n; ++i) gap = std::max(gap, (s.layers[0].output.row(i) - base.layers[0].output.row(perm[i])).cwiseAbs().maxCoeff());
        r.row_labels.push_back(name(pe));
        r.rows.push_back({gap, base.layers[0].output.cwiseAbs().maxCoeff()});
        r.values[std::string(name(pe)) + "_gap"] = gap;
    }
    std::string others;
    for (size_t k = 1; k < r.rows.size(); ++k) others += (k > 1 ? ", " : "") + r.row_labels[k] + " " + num(r.rows[k][0]);
    r.finding = "Without a positional encoding, shuffling the tokens shuffles the outputs the same way (largest gap " +
                num(r.rows[0][0]) + ", rounding): attention sees a bag of tokens, not a sequence. Every encoding breaks "
                "this symmetry: " + others + ".";
    return r;
}

ExperimentResult head_profiles(const ExperimentContext& context) {
    const Trace t = run(context.inputs);
    ExperimentResult r;
    r.name = "head_profiles";
    r.title = "What each head's top key is, over all " + std::to_string(t.n()) + " queries";
    r.columns = {"head", "mean entropy", "self", "previous token", "first token", "mean distance to top key"};
    int best_prev = 0, best_self = 0, best_first = 0;
    for (int h = 0; h < t.inputs.heads; ++h) {
        const Matrix& A = t.layers[0].heads[h].attention;
        double entropy = 0, self = 0, prev = 0, first = 0, distance = 0;
        for (int i = 0; i < A.rows(); ++i) {
            const int j = row_argmax(A, i);
            entropy += row_entropy(A, i), self += j == i, prev += i > 0 && j == i - 1, first += j == 0, distance += std::abs(i - j);
        }
        const double n = A.rows();
        r.row_labels.push_back("head " + std::to_string(h));
        r.rows.push_back({entropy / n, self / n, prev / n, first / n, distance / n});
        if (r.rows[h][2] > r.rows[best_prev][2]) best_prev = h;
        if (r.rows[h][1] > r.rows[best_self][1]) best_self = h;
        if (r.rows[h][3] > r.rows[best_first][3]) best_first = h;
    }
    r.values = {{"heads", double(t.inputs.heads)}};
    auto pct = [&](int h, int col) { return num(100 * r.rows[h][col], 2) + "%"; };
    r.finding = "Head " + std::to_string(best_self) + " looks most at the token itself (" + pct(best_self, 1) +
                " of rows), head " + std::to_string(best_prev) + " at the previous token (" + pct(best_prev, 2) +
                "), head " + std::to_string(best_first) + " at the first token (" + pct(best_first, 3) +
                "). These weights are random, so the heads differ by chance; in trained models heads specialize far "
                "more sharply (previous-token heads, induction heads, heads that track syntax).";
    return r;
}

namespace {

Inputs long_inputs(int n, VariantParams variant) {
    Inputs in;
    in.text = words(n);
    in.d_model = 64;
    in.heads = 4;
    in.pe = Positional::Sinusoidal;
    in.variant = variant;
    return in;
}

double mean_over_heads(const Trace& t, double HeadComparison::*field) {
    double s = 0;
    for (const HeadTrace& h : t.layers[0].heads) s += h.variant->comparison.*field / t.layers[0].heads.size();
    return s;
}

}  // namespace

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

namespace {

const std::vector<ExperimentInfo> kExperiments = {
    {"entropy_vs_dk", "attention entropy against d_k, with and without 1/sqrt(d_k)"},
    {"scale_by_n", "what scaling the logits by 1/n would do as the text grows"},
    {"temperature_sweep", "the selected row's entropy and top weight as T changes"},
    {"cost_vs_n", "timed dense attention for n = 64 .. 1024, with and without scaling"},
    {"shared_qk", "the score matrix with W_K := W_Q"},
    {"where_pe_enters", "outputs with and without an additive positional encoding"},
    {"gpt_causal", "weights above the diagonal under a causal mask and without"},
    {"permutation_equivariance", "shuffled tokens under every positional encoding"},
    {"head_profiles", "where each head's top key lies"},
    {"low_rank_cost", "Linformer's FLOPs and error against k"},
    {"variant_tradeoffs", "every efficient variant's cost and error"},
};

}  // namespace

const std::vector<ExperimentInfo>& experiments() { return kExperiments; }

bool is_experiment(std::string_view name) {
    return std::any_of(kExperiments.begin(), kExperiments.end(), [&](const ExperimentInfo& e) { return name == e.name; });
}

ExperimentResult run_experiment(std::string_view name, const ExperimentContext& c) {
    if (name == "entropy_vs_dk") return entropy_vs_dk();
    if (name == "scale_by_n") return scale_by_n();
    if (name == "temperature_sweep") return temperature_sweep(c);
    if (name == "cost_vs_n") return cost_vs_n();
    if (name == "shared_qk") return shared_qk(c);
    if (name == "where_pe_enters") return where_pe_enters(c);
    if (name == "gpt_causal") return gpt_causal(c);
    if (name == "permutation_equivariance") return permutation_equivariance(c);
    if (name == "head_profiles") return head_profiles(c);
    if (name == "low_rank_cost") return low_rank_cost();
    if (name == "variant_tradeoffs") return variant_tradeoffs();
    std::string names;
    for (const ExperimentInfo& e : kExperiments) names += (names.empty() ? "" : ", ") + std::string(e.name);
    throw Error("unknown experiment '" + std::string(name) + "': choose one of " + names);
}

}  // namespace attnscope
