#include "attnscope/attention.hpp"

#include <cmath>

namespace attnscope {

MaskMatrix attention_mask(int n, int m, bool causal, const std::vector<bool>& key_is_padding) {
    MaskMatrix allowed(n, m);  // (n, m)
    for (int i = 0; i < n; ++i)
        for (int j = 0; j < m; ++j)
            allowed(i, j) = !(causal && j > i) && !(j < static_cast<int>(key_is_padding.size()) && key_is_padding[j]);
    return allowed;
}

Matrix scale_scores(const Matrix& scores, int d_head, const Matrix& bias, double temperature) {
    Matrix scaled = scores / std::sqrt(static_cast<double>(d_head));  // (n, m)
    if (bias.size() > 0) scaled += bias;
    return scaled / temperature;
}

Matrix apply_mask(const Matrix& scaled, const MaskMatrix& allowed) {
    Matrix logits = scaled;  // (n, m)
    for (int i = 0; i < logits.rows(); ++i)
        for (int j = 0; j < logits.cols(); ++j)
            if (!allowed(i, j)) logits(i, j) = kMasked;
    return logits;
}

Matrix softmax_rows(const Matrix& logits) {
    Matrix weights = Matrix::Zero(logits.rows(), logits.cols());  // (n, m)
    for (int i = 0; i < logits.rows(); ++i) {
        const double row_max = logits.row(i).maxCoeff();
        if (row_max == kMasked) continue;  // every key masked: zero weights, not NaN
        double sum = 0.0;
        for (int j = 0; j < logits.cols(); ++j) sum += weights(i, j) = std::exp(logits(i, j) - row_max);
        weights.row(i) /= sum;
    }
    return weights;
}

}  // namespace attnscope
