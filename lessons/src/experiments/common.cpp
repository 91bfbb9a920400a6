// The experiments' shared helpers (common.hpp) and the public measures of experiments.hpp:
// row_entropy, max_asymmetry and with_matrix_copied (lessons also use them: set_equal, entropy()).
#include "common.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "attnscope/error.hpp"
#include "attnscope/json_input.hpp"
#include "attnscope/run.hpp"

// Shapes: n queries, m keys, d = d_k = d_head.
namespace attnscope {
namespace lessons_detail {

std::string num(double v, int significant) {
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

void check_head_query(const Trace& t, const ExperimentContext& c) {
    if (c.head < 0 || c.head >= t.inputs.heads)
        throw Error("head " + std::to_string(c.head) + " does not exist: choose 0.." + std::to_string(t.inputs.heads - 1));
    if (c.query < 0 || c.query >= t.n())
        throw Error("query " + std::to_string(c.query) + " does not exist: choose 0.." + std::to_string(t.n() - 1));
}

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

namespace {

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

}  // namespace
}  // namespace lessons_detail

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
    const Matrix* source = lessons_detail::editable_matrix(t, from);
    const Matrix* target = lessons_detail::editable_matrix(t, to);
    if (!source || !target)
        throw Error("cannot copy " + quote_json(from) + " into " + quote_json(to) + ": both must be editable matrices of this trace "
                    "(W_Q, W_K, W_V, W_O, Q, K, V, embeddings, positional, input)");
    if (source->rows() != target->rows() || source->cols() != target->cols())
        throw Error("cannot copy " + quote_json(from) + " (" + std::to_string(source->rows()) + " x " +
                    std::to_string(source->cols()) + ") into " + quote_json(to) + " (" + std::to_string(target->rows()) + " x " +
                    std::to_string(target->cols()) + "): the shapes differ");
    Inputs out = inputs;
    std::erase_if(out.edits, [&](const Edit& e) { return e.matrix == to; });
    for (int i = 0; i < source->rows(); ++i)
        for (int j = 0; j < source->cols(); ++j) out.edits.push_back({to, i, j, (*source)(i, j)});
    return out;
}

}  // namespace attnscope
