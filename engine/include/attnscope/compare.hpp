#pragma once
// How far a variant's attention is from exact attention, and what each costs.
// Shapes per head: exact and variant weights (n, m).
#include <vector>

#include "attnscope/attention.hpp"
#include "attnscope/matrix.hpp"
#include "attnscope/variants.hpp"

namespace attnscope {

struct HeadComparison {
    // Per query row. KL(variant || exact) in nats: finite even where a sparse pattern drops keys
    // (the other direction is infinite there); NaN when the variant's row is not a distribution
    // (Linformer, Nystrom and SVD rows need not be non-negative or sum to 1).
    std::vector<double> kl;
    std::vector<double> tv;        // total variation 0.5 * sum_j |variant - exact|
    double mean_kl = 0, mean_tv = 0, max_tv = 0;
    double mass_kept = 1;          // sparse: mean share of each exact row's weight on kept keys; else 1
    double attention_error = 0;    // ||A_variant - A||_F / ||A||_F
    Vector spectrum;               // singular values of the exact weights, descending
    int rank = 0;                  // low-rank: the rank the variant is allowed (k, landmarks, features, r)
    double best_rank_error = 0;    // Eckart-Young: the least possible attention_error at that rank
};

// `pattern` is the variant's kept keys for sparse variants, nullptr otherwise.
HeadComparison compare_head(const Matrix& exact, const Matrix& variant, const MaskMatrix* pattern, int rank);

// Frobenius relative error ||a - b||_F / ||b||_F (0 when both are zero).
double relative_error(const Matrix& a, const Matrix& b);

// FLOPs and bytes moved for one attention layer (all heads), by the variant's own algorithm
// at fp32: the cost model the GUI and the lessons quote. `kept` is the number of kept
// (query, key) pairs for sparse variants (per head), ignored otherwise.
struct Cost {
    double flops = 0;
    double bytes = 0;
};
Cost attention_cost(const VariantParams& variant, long long n, long long m, long long d_head, long long heads,
                    long long kept = 0);

}  // namespace attnscope
