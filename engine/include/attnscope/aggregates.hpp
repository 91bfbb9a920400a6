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

// One query's attention row summarized over the keys it may see (allowed(i, j)):
// entropy H = -sum p log2 p in bits (0 when one key takes all, log2(unmasked) when uniform).
struct RowStats {
    int unmasked = 0;         // keys the query may attend to
    int argmax = -1;          // the heaviest key; -1 when every key is masked
    double max_weight = 0.0;
    double min_weight = 0.0;  // over the unmasked keys
    double sum = 0.0;         // of the unmasked weights
    // The weights form a distribution (finite, none below 0, summing to 1 within 1e-6): a softmax
    // row does; a low-rank variant's effective row need not. Entropy is defined only then (else NaN).
    bool distribution = false;
    double entropy_bits = 0.0;
};
RowStats row_stats(const Matrix& attention, const MaskMatrix& allowed, int row);

// The softmax of one logits row as its terms: weight[j] = exp(logit[j] - row_max) / sum.
struct SoftmaxTerms {
    double row_max = 0.0;     // over the allowed keys
    double sum = 0.0;         // of exp(logit - row_max) over the allowed keys
};
SoftmaxTerms softmax_terms(const Matrix& logits, const MaskMatrix& allowed, int row);

}  // namespace attnscope
