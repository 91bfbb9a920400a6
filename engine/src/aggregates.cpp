// Shape legend: n tokens; attention matrices (n, n), rows queries, columns keys.
#include "attnscope/aggregates.hpp"

#include "attnscope/error.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace attnscope {

Matrix mean_over_heads(const std::vector<HeadTrace>& heads) {
    if (heads.empty()) throw Error("mean_over_heads needs at least one head");
    Matrix mean = heads[0].attention;  // (n, n)
    for (std::size_t h = 1; h < heads.size(); ++h) mean += heads[h].attention;
    return mean / static_cast<double>(heads.size());
}

std::vector<Matrix> attention_rollout(const std::vector<Matrix>& layer_attention) {
    std::vector<Matrix> rollout;
    for (const Matrix& A : layer_attention) {
        if (A.rows() != A.cols() || (!rollout.empty() && A.rows() != rollout.back().rows()))
            throw Error("attention rollout needs square (n, n) matrices of one size for every layer");
        Matrix mixed = 0.5 * A + 0.5 * Matrix::Identity(A.rows(), A.cols());  // (n, n)
        // A fully masked row of A sums to 0; dividing by its (nonzero) sum still gives a distribution.
        const Vector sums = mixed.rowwise().sum();
        for (Eigen::Index i = 0; i < mixed.rows(); ++i) mixed.row(i) /= sums(i);
        rollout.push_back(rollout.empty() ? mixed : Matrix(mixed * rollout.back()));
    }
    return rollout;
}

RowStats row_stats(const Matrix& attention, const MaskMatrix& allowed, int row) {
    RowStats st;
    bool finite = true;
    for (Eigen::Index j = 0; j < attention.cols(); ++j) {
        if (!allowed(row, j)) continue;
        const double p = attention(row, j);
        if (st.argmax < 0 || p > st.max_weight) st.argmax = static_cast<int>(j), st.max_weight = p;
        if (st.unmasked == 0 || p < st.min_weight) st.min_weight = p;
        ++st.unmasked;
        st.sum += p;
        finite = finite && std::isfinite(p);
        if (p > 0.0) st.entropy_bits -= p * std::log2(p);
    }
    st.distribution = st.unmasked > 0 && finite && st.min_weight >= 0.0 && std::abs(st.sum - 1.0) <= 1e-6;
    if (!st.distribution) st.entropy_bits = std::numeric_limits<double>::quiet_NaN();
    return st;
}

SoftmaxTerms softmax_terms(const Matrix& logits, const MaskMatrix& allowed, int row) {
    SoftmaxTerms s;
    s.row_max = -std::numeric_limits<double>::infinity();
    for (Eigen::Index j = 0; j < logits.cols(); ++j)
        if (allowed(row, j)) s.row_max = std::max(s.row_max, logits(row, j));
    for (Eigen::Index j = 0; j < logits.cols(); ++j)
        if (allowed(row, j)) s.sum += std::exp(logits(row, j) - s.row_max);
    return s;
}

}  // namespace attnscope
