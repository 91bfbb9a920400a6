#include "gui/formulas.hpp"

#include "attnscope/aggregates.hpp"
#include "attnscope/stages.hpp"

#include <cmath>
#include <cstdio>
#include <sstream>

namespace attnscope::gui {
namespace {

std::string num(double v) {
    if (std::isinf(v)) return v < 0 ? "-inf" : "inf";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.4g", v);
    return buf;
}

std::string cell(const char* name, int i, int j) { return std::string(name) + "[" + std::to_string(i) + "," + std::to_string(j) + "]"; }

}  // namespace

std::string dot_product_terms(const Matrix& a, int row_a, const Matrix& b, int row_b, int terms) {
    std::string s;
    const int d = static_cast<int>(a.cols());
    for (int k = 0; k < std::min(d, terms); ++k) s += (k ? " + " : "") + num(a(row_a, k)) + "*" + num(b(row_b, k));
    if (d > terms) s += " + ... (" + std::to_string(d) + " terms)";
    return s;
}

namespace {

// The stage a cell belongs to, as the trace (and its JSON) names and describes it.
std::string registry_line(CellStage stage) {
    const char* names[] = {"scores", "scaled", "logits", "attention", "output"};
    const char* name = names[static_cast<int>(stage)];
    for (const StageInfo& st : head_stages_list())
        if (std::string(st.name) == name) return std::string("\n(trace stage '") + st.name + "': " + st.what + ")";
    return {};
}

}  // namespace

std::string explain_cell(const Trace& t, const LayerTrace& layer, CellStage stage, int h, int i, int j) {
    return explain_numbers(t, layer, stage, h, i, j) + registry_line(stage);
}

std::string explain_numbers(const Trace& t, const LayerTrace& layer, CellStage stage, int h, int i, int j) {
    const HeadTrace& head = layer.heads[h];
    const double temperature = t.inputs.temperature;
    // Streams, not "literal" + std::to_string(...): GCC 12 warns falsely (-Wrestrict, PR105651) on those.
    auto text = [](auto&&... parts) {
        std::ostringstream s;
        (s << ... << parts);
        return s.str();
    };
    const std::string qi = text("q", i), kj = text("k", j), sqrt_d = text("sqrt(", t.d_head, ")");
    const std::string tokens = text("query '", t.query.tokens[i], "' -> key '", t.keys.tokens[j], "'\n");
    const bool has_bias = head.bias.size() > 0;
    auto scaled_formula = [&] {  // "(q2 . k1) / sqrt(16) = 3.21 / 4", with bias and T when present
        std::ostringstream symbols, numbers;
        symbols << (has_bias ? "((" : "(") << qi << " . " << kj << ") / " << sqrt_d;
        numbers << (has_bias ? "(" : "") << num(head.scores(i, j)) << " / " << num(std::sqrt(double(t.d_head)));
        if (has_bias) symbols << " + bias)", numbers << " + " << num(head.bias(i, j)) << ")";
        if (temperature != 1.0) symbols << " / T", numbers << " / " << num(temperature);
        return symbols.str() + " = " + numbers.str();
    };
    switch (stage) {
        case CellStage::Score:
            return tokens + cell("score", i, j) + " = " + qi + " . " + kj + " = " +
                   dot_product_terms(head.Q, i, head.K, j) + " = " + num(head.scores(i, j));
        case CellStage::Scaled:
            return tokens + cell("scaled", i, j) + " = " + scaled_formula() + " = " + num(head.scaled(i, j));
        case CellStage::Logit:
            if (!t.allowed(i, j))
                return tokens + cell("logit", i, j) + " = -inf: masked (" +
                       (j > i && is_causal(t.inputs.mask) ? "key is in the future" : "key is padding") + ")";
            if (std::isinf(head.logits(i, j)) && head.variant)
                return tokens + cell("logit", i, j) + " = -inf: outside " + name(t.inputs.variant.kind) +
                       "'s pattern (exact attention's logit here: " + num(head.scaled(i, j)) + ")";
            return tokens + cell("logit", i, j) + " = " + scaled_formula() + " = " + num(head.logits(i, j));
        case CellStage::Weight: {
            if (const char* formula = effective_weights_formula(t.inputs.variant.kind); *formula)
                return tokens + cell("weight", i, j) + " = " + num(head.attention(i, j)) + ": " +
                       name(t.inputs.variant.kind) + "'s effective weight, not a softmax: " + formula +
                       "\n(exact attention's weight here: " + num(head.variant->exact_attention(i, j)) + ")";
            if (!t.allowed(i, j)) return tokens + cell("weight", i, j) + " = 0: masked, exp(-inf) = 0";
            if (std::isinf(head.logits(i, j)) && head.variant)
                return tokens + cell("weight", i, j) + " = 0: outside " + name(t.inputs.variant.kind) +
                       "'s pattern (logit -inf), exp(-inf) = 0";
            const SoftmaxTerms s = softmax_terms(head.logits, t.allowed, i);
            return tokens + cell("weight", i, j) + " = exp(logit - row max) / sum = exp(" + num(head.logits(i, j)) +
                   " - " + num(s.row_max) + ") / " + num(s.sum) + " = " + num(head.attention(i, j));
        }
        case CellStage::HeadOutput: {
            const Matrix values_t = head.V.transpose();  // column j of V as a row, for the products
            return text("out", i, "[", j, "] = sum_k A[", i, ",k] V[k,", j, "] = ") +
                   dot_product_terms(head.attention, i, values_t, j, 4) + " = " + num(head.output(i, j));
        }
    }
    return {};
}

}  // namespace attnscope::gui
