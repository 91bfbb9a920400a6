#pragma once
// Scaled dot-product attention for one head, stage by stage.
//   scores  = Q K^T                                            (n, m)
//   logits  = (scores / sqrt(d_head) + bias) / T, -inf where masked   (n, m)
//   weights = softmax over each row                            (n, m)
//   output  = weights V                                        (n, d_head)
#include <limits>
#include <vector>

#include "attnscope/matrix.hpp"

namespace attnscope {

inline constexpr double kMasked = -std::numeric_limits<double>::infinity();

// (n, m): true where query i may attend to key j.
using MaskMatrix = Eigen::Matrix<bool, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Causal hides keys j > i; padding hides every key marked in key_is_padding (size m).
MaskMatrix attention_mask(int n, int m, bool causal, const std::vector<bool>& key_is_padding);

// (n, m): (scores / sqrt(d_head) + bias) / T. `bias` is (n, m) or empty (0 x 0).
Matrix scale_scores(const Matrix& scores, int d_head, const Matrix& bias, double temperature);

// (n, m): the scaled scores with -inf wherever `allowed` is false.
Matrix apply_mask(const Matrix& scaled, const MaskMatrix& allowed);

// Row-wise softmax that subtracts each row's max; a row that is all -inf gives zeros.
Matrix softmax_rows(const Matrix& logits);

}  // namespace attnscope
