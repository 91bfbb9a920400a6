#pragma once
// Shape legend used across the engine (row-vector convention):
//   n        query tokens          m        key/value tokens (m = n for self-attention)
//   d_model  model width           H        heads            d_head = d_model / H
// A sequence is an (n, d_model) matrix; Q = X * W_Q with W_Q (d_model, d_model);
// head h owns columns [h*d_head, (h+1)*d_head).
#include <Eigen/Dense>

namespace attnscope {

// Row-major so that rows are tokens in memory, as in JSON, CSV and textures.
using Matrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Vector = Eigen::VectorXd;

}  // namespace attnscope
