// Tests app/gui/formulas.cpp: hover text shows the real numbers. Every expected number is
// recomputed here with plain loops from the trace's Q and K, not taken from the stage it explains.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <string>

#include "attnscope/run.hpp"
#include "gui/formulas.hpp"

using attnscope::Inputs;
using attnscope::Trace;
using attnscope::gui::CellStage;
using attnscope::gui::explain_cell;

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
            const std::string text = explain_cell(t, t.layers[0], CellStage::Logit, h, i, j);
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
    const std::string text = explain_cell(t, t.layers[0], CellStage::Score, 1, 4, 2);
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
    const std::string text = explain_cell(t, t.layers[0], CellStage::Logit, 0, 4, 1);
    INFO(text);
    REQUIRE_THAT(text, Catch::Contains(" + " + g4(bias) + ")"));
    REQUIRE_THAT(text, Catch::Contains("/ T"));
    REQUIRE_THAT(text, Catch::Contains("/ 2"));
    REQUIRE_THAT(text, Catch::EndsWith("= " + g4(logit)));
}

TEST_CASE("a masked logit says why and its weight is zero", "[formulas]") {
    const Trace t = trace_of("the cat sat on the mat", attnscope::Positional::Sinusoidal, attnscope::Mask::Causal, 1.0);
    const std::string logit = explain_cell(t, t.layers[0], CellStage::Logit, 1, 1, 4);
    INFO(logit);
    REQUIRE_THAT(logit, Catch::Contains("-inf"));
    REQUIRE_THAT(logit, Catch::Contains("future"));
    REQUIRE_THAT(explain_cell(t, t.layers[0], CellStage::Weight, 1, 1, 4), Catch::Contains("= 0"));
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
    const std::string text = explain_cell(t, t.layers[0], CellStage::Weight, 0, i, j);
    INFO(text);
    REQUIRE_THAT(text, Catch::Contains("exp(" + g4(logits[j]) + " - " + g4(row_max) + ") / " + g4(sum)));
    REQUIRE_THAT(text, Catch::EndsWith("= " + g4(std::exp(logits[j] - row_max) / sum)));
}
