#pragma once
// A cell's value written as its formula with the real numbers substituted, e.g.
//   logit[2,1] = (q2 . k1) / sqrt(16) = 3.21 / 4 = 0.80
// One place for every panel's hover text.
#include <string>

#include "attnscope/trace.hpp"

namespace attnscope::gui {

enum class CellStage { Score, Scaled, Logit, Weight, HeadOutput };

// The hover text: the tokens, the formula with the numbers that produced the value, and the trace
// stage it is (its name and description from the stage list, as in the trace's JSON).
std::string explain_cell(const Trace& trace, const LayerTrace& layer, CellStage stage, int head, int row, int col);
// The same without the stage line: what the hover's arithmetic is, for tests that evaluate it.
std::string explain_numbers(const Trace& trace, const LayerTrace& layer, CellStage stage, int head, int row, int col);

// "q2 . k1 = 0.31*0.12 + -1.20*0.44 + ... = 3.21" with at most `terms` products spelled out.
std::string dot_product_terms(const Matrix& a, int row_a, const Matrix& b, int row_b, int terms = 3);

}  // namespace attnscope::gui
