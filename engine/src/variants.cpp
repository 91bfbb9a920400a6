#include "attnscope/variants.hpp"

#include "attnscope/patterns.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "attnscope/error.hpp"
#include "attnscope/random.hpp"

// Shapes: n queries, m keys, d = d_head; see variants.hpp for each definition.
namespace attnscope {

const char* name(VariantKind v) {
    switch (v) {
        case VariantKind::Dense: return "dense";
        case VariantKind::Local: return "local";
        case VariantKind::Strided: return "strided";
        case VariantKind::Fixed: return "fixed";
        case VariantKind::BigBird: return "bigbird";
        case VariantKind::TopK: return "topk";
        case VariantKind::Linformer: return "linformer";
        case VariantKind::Nystrom: return "nystrom";
        case VariantKind::Performer: return "performer";
        case VariantKind::Svd: return "svd";
    }
    return "?";
}

VariantKind parse_variant(std::string_view s) {
    std::string valid;
    for (VariantKind v : kAllVariants) {
        if (s == name(v)) return v;
        valid += (valid.empty() ? "" : ", ") + std::string(name(v));
    }
    throw Error("unknown variant '" + std::string(s) + "': choose one of " + valid);
}

bool is_sparse(VariantKind v) {
    return v == VariantKind::Local || v == VariantKind::Strided || v == VariantKind::Fixed ||
           v == VariantKind::BigBird || v == VariantKind::TopK;
}

bool is_low_rank(VariantKind v) {
    return v == VariantKind::Linformer || v == VariantKind::Nystrom || v == VariantKind::Performer ||
           v == VariantKind::Svd;
}

// --- sparse patterns ---

MaskMatrix local_pattern(int n, int m, int window, int dilation, const std::vector<int>& global_tokens) {
    MaskMatrix keep(n, m);
    for (int i = 0; i < n; ++i)
        for (int j = 0; j < m; ++j) {
            keep(i, j) = patterns::local_keeps(i, j, window, dilation);
        }
    for (int g : global_tokens) {
        if (g < n) keep.row(g).setConstant(true);
        if (g < m) keep.col(g).setConstant(true);
    }
    return keep;
}

MaskMatrix strided_pattern(int n, int m, int stride) {
    MaskMatrix keep(n, m);
    for (int i = 0; i < n; ++i)
        for (int j = 0; j < m; ++j) keep(i, j) = patterns::strided_keeps(i, j, stride);
    return keep;
}

MaskMatrix fixed_pattern(int n, int m, int block, int summary) {
    MaskMatrix keep(n, m);
    for (int i = 0; i < n; ++i)
        for (int j = 0; j < m; ++j) keep(i, j) = patterns::fixed_keeps(i, j, block, summary);
    return keep;
}

MaskMatrix bigbird_blocks(int query_blocks, int key_blocks, int window, int random_blocks, std::uint64_t seed) {
    MaskMatrix blocks(query_blocks, key_blocks);
    blocks.setConstant(false);
    Rng rng(hash64("bigbird", seed));
    for (int qb = 0; qb < query_blocks; ++qb) {
        for (int kb = std::max(0, qb - window); kb <= std::min(key_blocks - 1, qb + window); ++kb) blocks(qb, kb) = true;
        std::vector<int> others;  // random blocks come from those the window did not take
        for (int kb = 0; kb < key_blocks; ++kb)
            if (!blocks(qb, kb)) others.push_back(kb);
        for (int r = 0; r < random_blocks && !others.empty(); ++r) {
            const size_t pick = static_cast<size_t>(rng.uniform() * static_cast<double>(others.size()));
            blocks(qb, others[pick]) = true;
            others.erase(others.begin() + static_cast<std::ptrdiff_t>(pick));
        }
    }
    return blocks;
}

MaskMatrix bigbird_pattern(int n, int m, int block, int window, int globals, int random_blocks, std::uint64_t seed) {
    const MaskMatrix blocks =
        bigbird_blocks((n + block - 1) / block, (m + block - 1) / block, window, random_blocks, seed);
    MaskMatrix keep(n, m);
    for (int i = 0; i < n; ++i)
        for (int j = 0; j < m; ++j) keep(i, j) = blocks(i / block, j / block) || i < globals || j < globals;
    return keep;
}

MaskMatrix topk_pattern(const Matrix& logits, int k) {
    MaskMatrix keep = MaskMatrix::Constant(logits.rows(), logits.cols(), false);
    std::vector<int> order(logits.cols());
    for (int i = 0; i < logits.rows(); ++i) {
        std::iota(order.begin(), order.end(), 0);
        std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return logits(i, a) > logits(i, b); });
        for (int r = 0; r < std::min<int>(k, static_cast<int>(order.size())); ++r)
            if (std::isfinite(logits(i, order[r]))) keep(i, order[r]) = true;
    }
    return keep;
}

// --- low rank ---

Matrix linformer_projection(int k, int m, std::uint64_t seed, std::string_view name) {
    return random_normal(k, m, 1.0 / std::sqrt(static_cast<double>(k)), seed, name);
}

Matrix linformer_effective(const Matrix& Q, const Matrix& K, const Matrix& E, const Matrix& F, double temperature) {
    const double c = 1.0 / (std::sqrt(static_cast<double>(Q.cols())) * temperature);
    const Matrix projected_keys = E * K;                                   // (k, d)
    const Matrix P = softmax_rows(c * Q * projected_keys.transpose());    // (n, k)
    return P * F;                                                          // (n, m)
}

Matrix segment_means(const Matrix& x, int segments) {
    const int n = static_cast<int>(x.rows());
    Matrix means(segments, x.cols());  // (segments, d)
    for (int s = 0; s < segments; ++s) {
        const int begin = static_cast<int>(static_cast<long long>(s) * n / segments);
        const int end = static_cast<int>(static_cast<long long>(s + 1) * n / segments);
        means.row(s) = x.middleRows(begin, end - begin).colwise().mean();
    }
    return means;
}

Matrix iterative_pinv(const Matrix& a, int iterations) {
    const int size = static_cast<int>(a.rows());
    const Matrix I = Matrix::Identity(size, size);
    const double norm1 = a.cwiseAbs().colwise().sum().maxCoeff(), norm_inf = a.cwiseAbs().rowwise().sum().maxCoeff();
    Matrix z = a.transpose() / (norm1 * norm_inf);  // (size, size)
    for (int it = 0; it < iterations; ++it) {
        const Matrix az = a * z;
        z = 0.25 * z * (13.0 * I - az * (15.0 * I - az * (7.0 * I - az)));
    }
    return z;
}

Matrix nystrom_effective(const Matrix& Q, const Matrix& K, const Matrix& Q_landmarks, const Matrix& K_landmarks,
                         double temperature, int pinv_iterations) {
    const double c = 1.0 / (std::sqrt(static_cast<double>(Q.cols())) * temperature);
    const Matrix left = softmax_rows(c * Q * K_landmarks.transpose());             // (n, l)
    const Matrix middle = softmax_rows(c * Q_landmarks * K_landmarks.transpose());  // (l, l)
    const Matrix right = softmax_rows(c * Q_landmarks * K.transpose());            // (l, m)
    return left * iterative_pinv(middle, pinv_iterations) * right;                 // (n, m)
}

Matrix performer_features(int features, int d, std::uint64_t seed) {
    Matrix W(features, d);  // (features, d)
    for (int start = 0, block = 0; start < features; start += d, ++block) {
        const Matrix gaussian = random_normal(d, d, 1.0, seed, "performer_block" + std::to_string(block));
        const Eigen::HouseholderQR<Matrix> qr(gaussian);
        Matrix orthogonal = qr.householderQ();  // (d, d), orthonormal rows
        // Householder leaves R's diagonal signed, which biases each row of Q towards -e_r (and d = 1
        // to +1), so the kernel estimate is biased. Making R's diagonal positive gives a uniformly
        // (Haar) distributed Q, i.e. isotropic rows, as Gram-Schmidt would.
        for (int c = 0; c < d; ++c)
            if (qr.matrixQR()(c, c) < 0) orthogonal.col(c) *= -1.0;
        const Matrix norms = random_normal(d, d, 1.0, seed, "performer_norms" + std::to_string(block));
        for (int r = 0; r < std::min(d, features - start); ++r)
            W.row(start + r) = orthogonal.row(r) * norms.row(r).norm();  // a Gaussian row's length
    }
    return W;
}

Matrix performer_phi(const Matrix& x, const Matrix& W, double temperature) {
    const double scale = 1.0 / (std::pow(static_cast<double>(x.cols()), 0.25) * std::sqrt(temperature));
    const Matrix xs = scale * x;                                   // (rows, d)
    Matrix phi = xs * W.transpose();                               // (rows, features)
    const Vector half_norm = 0.5 * xs.rowwise().squaredNorm();
    for (int r = 0; r < phi.rows(); ++r) phi.row(r) = (phi.row(r).array() - half_norm(r)).exp();
    return phi / std::sqrt(static_cast<double>(W.rows()));
}

Matrix performer_effective(const Matrix& Q, const Matrix& K, const Matrix& W, double temperature,
                           const MaskMatrix& allowed) {
    const Matrix kernel = (performer_phi(Q, W, temperature) * performer_phi(K, W, temperature).transpose())
                              .cwiseProduct(allowed.cast<double>());  // (n, m)
    const Vector row_sums = kernel.rowwise().sum();
    return (row_sums.array() > 0).select(row_sums.cwiseInverse(), 0.0).asDiagonal() * kernel;
}

TruncatedSvd truncated_svd(const Matrix& attention, int rank) {
    Eigen::BDCSVD<Matrix> svd(attention, Eigen::ComputeThinU | Eigen::ComputeThinV);
    const int r = std::min<int>(rank, static_cast<int>(svd.singularValues().size()));
    TruncatedSvd out;
    out.U = svd.matrixU().leftCols(r);
    out.S = svd.singularValues().head(r);
    out.V = svd.matrixV().leftCols(r);
    out.effective = out.U * out.S.asDiagonal() * out.V.transpose();
    return out;
}

Vector singular_values(const Matrix& a) { return Eigen::BDCSVD<Matrix>(a).singularValues(); }

}  // namespace attnscope
