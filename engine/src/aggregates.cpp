// Shape legend: n tokens; attention matrices (n, n), rows queries, columns keys.
#include "attnscope/aggregates.hpp"

#include "attnscope/error.hpp"

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

}  // namespace attnscope
