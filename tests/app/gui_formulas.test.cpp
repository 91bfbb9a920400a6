// Tests app/gui/formulas.cpp: hover text shows the real numbers. Every expected number is
// recomputed here with plain loops from the trace's Q and K, not taken from the stage it explains.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <regex>
#include <string>
#include <vector>

#include "attnscope/run.hpp"
#include "gui/formulas.hpp"

using attnscope::Inputs;
using attnscope::Trace;
using attnscope::gui::CellStage;
using attnscope::gui::explain_cell;
using attnscope::gui::explain_numbers;

namespace {

std::string g4(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.4g", v);
    return buf;
}

double dot(const attnscope::Matrix& a, int i, const attnscope::Matrix& b, int j) {
    double s = 0.0;
    for (int k = 0; k < a.cols(); ++k) s += a(i, k) * b(j, k);
    return s;
}

Trace trace_of(const std::string& text, attnscope::Positional pe, attnscope::Mask mask, double temperature) {
    Inputs in;
    in.text = text;
    in.d_model = 32;
    in.heads = 2;
    in.pe = pe;
    in.mask = mask;
    in.temperature = temperature;
    return attnscope::run(in);
}

}  // namespace

TEST_CASE("a logit's hover text shows q.k, sqrt(d_head) and the logit as numbers", "[formulas]") {
    const Trace t = trace_of("the cat sat on the mat", attnscope::Positional::Sinusoidal, attnscope::Mask::None, 1.0);
    for (int h = 0; h < 2; ++h)
        for (auto [i, j] : {std::pair{0, 0}, {2, 1}, {5, 3}, {1, 5}}) {
            const auto& head = t.layers[0].heads[static_cast<size_t>(h)];
            const double score = dot(head.Q, i, head.K, j);
            const double logit = score / std::sqrt(static_cast<double>(t.d_head));
            const std::string text = explain_numbers(t, t.layers[0], CellStage::Logit, h, i, j);
            INFO(text);
            REQUIRE_THAT(text, Catch::Contains(g4(score) + " / " + g4(std::sqrt(16.0))));
            REQUIRE_THAT(text, Catch::Contains("= " + g4(logit)));
            REQUIRE_THAT(text, Catch::Contains("logit[" + std::to_string(i) + "," + std::to_string(j) + "]"));
            REQUIRE_THAT(text, Catch::Contains("'" + t.query.tokens[static_cast<size_t>(i)] + "'"));
        }
}

TEST_CASE("a score's hover text spells out the first products of the dot product", "[formulas]") {
    const Trace t = trace_of("the cat sat on the mat", attnscope::Positional::Rope, attnscope::Mask::None, 1.0);
    const auto& head = t.layers[0].heads[1];
    const std::string text = explain_numbers(t, t.layers[0], CellStage::Score, 1, 4, 2);
    INFO(text);
    REQUIRE_THAT(text, Catch::Contains(g4(head.Q(4, 0)) + "*" + g4(head.K(2, 0))));
    REQUIRE_THAT(text, Catch::Contains("(16 terms)"));
    REQUIRE_THAT(text, Catch::EndsWith("= " + g4(dot(head.Q, 4, head.K, 2))));
}

TEST_CASE("temperature and the ALiBi bias appear in the logit's formula", "[formulas]") {
    const Trace t = trace_of("the cat sat on the mat", attnscope::Positional::Alibi, attnscope::Mask::None, 2.0);
    const auto& head = t.layers[0].heads[0];
    const double bias = -t.layers[0].alibi_slopes[0] * 3.0;  // ALiBi: -slope * distance, here |4 - 1| = 3
    const double logit = (dot(head.Q, 4, head.K, 1) / 4.0 + bias) / 2.0;
    const std::string text = explain_numbers(t, t.layers[0], CellStage::Logit, 0, 4, 1);
    INFO(text);
    REQUIRE_THAT(text, Catch::Contains(" + " + g4(bias) + ")"));
    REQUIRE_THAT(text, Catch::Contains("/ T"));
    REQUIRE_THAT(text, Catch::Contains("/ 2"));
    REQUIRE_THAT(text, Catch::EndsWith("= " + g4(logit)));
}

TEST_CASE("a masked logit says why and its weight is zero", "[formulas]") {
    const Trace t = trace_of("the cat sat on the mat", attnscope::Positional::Sinusoidal, attnscope::Mask::Causal, 1.0);
    const std::string logit = explain_numbers(t, t.layers[0], CellStage::Logit, 1, 1, 4);
    INFO(logit);
    REQUIRE_THAT(logit, Catch::Contains("-inf"));
    REQUIRE_THAT(logit, Catch::Contains("future"));
    REQUIRE_THAT(explain_numbers(t, t.layers[0], CellStage::Weight, 1, 1, 4), Catch::Contains("= 0"));
}

TEST_CASE("a weight's hover text shows the softmax with its row max and sum", "[formulas]") {
    const Trace t = trace_of("the cat sat on the mat", attnscope::Positional::Sinusoidal, attnscope::Mask::Causal, 1.0);
    const auto& head = t.layers[0].heads[0];
    const int i = 4, j = 2;
    double logits[5], row_max = -INFINITY, sum = 0.0;
    for (int k = 0; k <= i; ++k) {  // causal: keys 0..i
        logits[k] = dot(head.Q, i, head.K, k) / 4.0;
        row_max = std::max(row_max, logits[k]);
    }
    for (int k = 0; k <= i; ++k) sum += std::exp(logits[k] - row_max);
    const std::string text = explain_numbers(t, t.layers[0], CellStage::Weight, 0, i, j);
    INFO(text);
    REQUIRE_THAT(text, Catch::Contains("exp(" + g4(logits[j]) + " - " + g4(row_max) + ") / " + g4(sum)));
    REQUIRE_THAT(text, Catch::EndsWith("= " + g4(std::exp(logits[j] - row_max) / sum)));
}

// ---- every hover's arithmetic, evaluated: the numbers it shows give the number it ends with ----

namespace {

double number(const std::string& s) { return s == "-inf" ? -INFINITY : s == "inf" ? INFINITY : std::stod(s); }

// |a - b| within what "%.4g" printing of the inputs and the result allows.
bool close(double a, double b) { return std::abs(a - b) <= 2e-3 * std::max({1.0, std::abs(a), std::abs(b)}); }

Trace configured(const char* text, attnscope::Positional pe, attnscope::Mask mask, double temperature,
                 attnscope::VariantKind variant) {
    Inputs in;
    in.text = text;
    in.d_model = 16;
    in.heads = 2;
    in.pe = pe, in.mask = mask, in.temperature = temperature;
    in.variant.kind = variant;
    return attnscope::run(in);
}

}  // namespace

TEST_CASE("every hover formula evaluates to the value it explains, under every kind of run", "[formulas]") {
    using attnscope::Mask;
    using attnscope::Positional;
    using attnscope::VariantKind;
    const std::string g = R"(-?[0-9.]+(?:e[-+][0-9]+)?|-?inf)";
    const std::regex scaled_re("= \\(?(" + g + ") / (" + g + ")(?: \\+ (" + g + ")\\))?(?: / (" + g + "))? = (" + g + ")$");
    const std::regex softmax_re("= exp\\((" + g + ") - (" + g + ")\\) / (" + g + ") = (" + g + ")$");
    const std::regex products_re("= ((?:(?:" + g + ")\\*(?:" + g + ")(?: \\+ )?)+) = (" + g + ")$");
    const std::regex product_re("(" + g + ")\\*(" + g + ")");
    const std::vector<Trace> traces = {
        configured("the cat sat", Positional::Sinusoidal, Mask::Causal, 1.0, VariantKind::Dense),
        configured("the cat sat on", Positional::Alibi, Mask::None, 0.7, VariantKind::Dense),
        configured("the cat sat on", Positional::Relative, Mask::Causal, 1.3, VariantKind::Dense),
        configured("the cat sat on", Positional::Rope, Mask::None, 1.0, VariantKind::Local),
        configured("the cat sat on", Positional::Sinusoidal, Mask::None, 1.0, VariantKind::Linformer),
    };
    int evaluated = 0;
    for (const Trace& t : traces)
        for (int h = 0; h < 2; ++h)
            for (int i = 0; i < t.n(); ++i)
                for (int j = 0; j < t.n(); ++j) {
                    const auto& head = t.layers[0].heads[h];
                    std::smatch m;
                    for (CellStage stage : {CellStage::Scaled, CellStage::Logit}) {
                        const std::string text = explain_numbers(t, t.layers[0], stage, h, i, j);
                        INFO(text);
                        if (text.find("-inf") != std::string::npos) {  // masked, or outside a sparse pattern: says why
                            CHECK((text.find("masked") != std::string::npos || text.find("pattern") != std::string::npos));
                            continue;
                        }
                        REQUIRE(std::regex_search(text, m, scaled_re));
                        double v = number(m[1]) / number(m[2]);
                        if (m[3].matched) v += number(m[3]);
                        if (m[4].matched) v /= number(m[4]);
                        CHECK(close(v, number(m[5])));
                        ++evaluated;
                    }
                    const std::string weight = explain_numbers(t, t.layers[0], CellStage::Weight, h, i, j);
                    INFO(weight);
                    if (t.inputs.variant.kind == VariantKind::Linformer) {
                        CHECK_THAT(weight, Catch::Contains("not a softmax") && !Catch::Contains("exp("));
                    } else if (std::regex_search(weight, m, softmax_re)) {
                        CHECK(close(std::exp(number(m[1]) - number(m[2])) / number(m[3]), number(m[4])));
                        CHECK(close(number(m[4]), head.attention(i, j)));
                        ++evaluated;
                    } else {
                        CHECK(head.attention(i, j) == 0.0);  // masked or outside the pattern, and it says so
                    }
                    const std::string out = explain_numbers(t, t.layers[0], CellStage::HeadOutput, h, i, j % 8);
                    INFO(out);
                    if (out.find("...") == std::string::npos) {  // every product spelled out: add them up
                        REQUIRE(std::regex_search(out, m, products_re));
                        const std::string terms = m[1];
                        double sum = 0;
                        for (std::sregex_iterator it(terms.begin(), terms.end(), product_re), end; it != end; ++it)
                            sum += number((*it)[1]) * number((*it)[2]);
                        CHECK(close(sum, number(m[2])));
                        ++evaluated;
                    }
                }
    CHECK(evaluated > 300);
}

TEST_CASE("the hover names the trace stage it shows, from the stage list", "[formulas]") {
    const Trace t = trace_of("the cat sat", attnscope::Positional::Sinusoidal, attnscope::Mask::Causal, 1.0);
    CHECK_THAT(explain_cell(t, t.layers[0], CellStage::Weight, 0, 1, 0),
               Catch::EndsWith("(trace stage 'attention': softmax(logits) row-wise: the weights applied to V)"));
    CHECK_THAT(explain_cell(t, t.layers[0], CellStage::Scaled, 0, 1, 0), Catch::Contains("trace stage 'scaled'"));
}
