#pragma once
// Views of attention across heads and layers of a model.
// Shape legend: n tokens; every attention matrix is (n, n), rows queries, columns keys.
#include <vector>

#include "attnscope/matrix.hpp"
#include "attnscope/trace.hpp"

namespace attnscope {

// The heads' attention averaged, entry by entry. (n, n); throws Error for no heads.
Matrix mean_over_heads(const std::vector<HeadTrace>& heads);

// Attention rollout (Abnar & Zuidema, 2020): the residual connection is modelled as half the
// mixing, A~_l = rows_normalized(0.5 A_l + 0.5 I), and layers compose as R_0 = A~_0,
// R_l = A~_l R_{l-1}. R_l[i, j] is how much of input token j reaches token i after layer l.
// Returns R_0 .. R_{L-1} for the layers' (n, n) mean attention.
std::vector<Matrix> attention_rollout(const std::vector<Matrix>& layer_attention);

}  // namespace attnscope
