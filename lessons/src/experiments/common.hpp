#pragma once
// Helpers the experiments share: number formatting for findings, row statistics, and inputs
// reduced or built for an experiment. Shapes: n queries, m keys, d = d_k = d_head.
#include <initializer_list>
#include <string>
#include <vector>

#include "attnscope/compare.hpp"
#include "attnscope/inputs.hpp"
#include "attnscope/lessons/experiments.hpp"
#include "attnscope/matrix.hpp"
#include "attnscope/trace.hpp"

namespace attnscope::lessons_detail {

// Whole numbers in full with thousands separators (FLOP counts), others to `significant` digits.
std::string num(double v, int significant = 3);
std::string fixed(double v, int decimals);
// "w0 w1 ... w{count-1}": a text of `count` distinct tokens.
std::string words(int count);

double mean_entropy(const Matrix& weights);
double mean_row_max(const Matrix& weights);
double stddev(const Matrix& m);
int row_argmax(const Matrix& m, int row);
// Least-squares slope of log y against log x: the exponent p in y ~ x^p.
double loglog_slope(const std::vector<double>& x, const std::vector<double>& y);

// The context's inputs reduced to plain self-attention: no second text, no variant.
Inputs self_attention(const Inputs& in);
void drop_edits(Inputs& in, std::initializer_list<const char*> matrices);
// Throws unless the context's head and query exist in `t`.
void check_head_query(const Trace& t, const ExperimentContext& c);
// n words, d_model 64, 4 heads, sinusoidal PE, with `variant` compared against exact attention.
Inputs long_inputs(int n, VariantParams variant);
double mean_over_heads(const Trace& t, double HeadComparison::*field);

}  // namespace attnscope::lessons_detail
