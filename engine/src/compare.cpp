#include "attnscope/compare.hpp"

#include <cmath>
#include <limits>

namespace attnscope {

double relative_error(const Matrix& a, const Matrix& b) {
    const double base = b.norm(), diff = (a - b).norm();
    return base > 0 ? diff / base : diff;
}

HeadComparison compare_head(const Matrix& exact, const Matrix& variant, const MaskMatrix* pattern, int rank) {
    HeadComparison c;
    const int n = static_cast<int>(exact.rows());
    double mass = 0;
    for (int i = 0; i < n; ++i) {
        // A query with no visible key (all zeros in both) agrees with exact attention: KL 0, not NaN.
        const bool nothing_to_attend = (variant.row(i).array() == 0).all() && (exact.row(i).array() == 0).all();
        const bool distribution = nothing_to_attend || ((variant.row(i).array() >= 0).all() &&
                                                        std::abs(variant.row(i).sum() - 1) < 1e-9);
        double kl = 0, tv = 0;
        for (int j = 0; j < exact.cols(); ++j) {
            const double p = variant(i, j), q = exact(i, j);
            tv += 0.5 * std::abs(p - q);
            if (p > 0) kl += q > 0 ? p * std::log(p / q) : std::numeric_limits<double>::infinity();
            if (pattern && (*pattern)(i, j)) mass += q;
        }
        c.kl.push_back(distribution ? kl : std::numeric_limits<double>::quiet_NaN());
        c.tv.push_back(tv);
        c.mean_kl += c.kl.back() / n;
        c.mean_tv += tv / n;
        c.max_tv = std::max(c.max_tv, tv);
    }
    // A fully masked exact row has no mass to keep: average over the rows that have some.
    const double rows_with_mass = (exact.rowwise().sum().array() > 0).count();
    c.mass_kept = pattern ? (rows_with_mass > 0 ? mass / rows_with_mass : 1.0) : 1.0;
    c.attention_error = relative_error(variant, exact);
    c.spectrum = singular_values(exact);
    c.rank = rank;
    if (rank > 0) {
        const double total = c.spectrum.squaredNorm();
        const int r = std::min<int>(rank, static_cast<int>(c.spectrum.size()));
        const double tail = c.spectrum.tail(c.spectrum.size() - r).squaredNorm();
        c.best_rank_error = total > 0 ? std::sqrt(tail / total) : 0.0;
    }
    return c;
}

Cost attention_cost(const VariantParams& v, long long n, long long m, long long d, long long heads, long long kept) {
    const double f = 4.0;  // bytes per fp32 value
    const double io = f * (2.0 * n * d + 2.0 * m * d);  // read Q, K, V, write the output
    Cost c;
    switch (v.kind) {
        case VariantKind::Dense:
        case VariantKind::Svd: {  // the SVD baseline needs the exact matrix first, then its SVD
            c.flops = 4.0 * n * m * d + 3.0 * n * m;
            c.bytes = io + f * n * m;
            if (v.kind == VariantKind::Svd) c.flops += 4.0 * n * m * std::min(n, m) + 2.0 * n * m * d;
            break;
        }
        case VariantKind::Local:
        case VariantKind::Strided:
        case VariantKind::Fixed:
        case VariantKind::BigBird:
        case VariantKind::TopK: {
            c.flops = 4.0 * kept * d + 3.0 * kept;
            c.bytes = io + 2.0 * f * kept;  // weights and their key indices
            if (v.kind == VariantKind::TopK) c.flops += 2.0 * n * m * d, c.bytes += f * n * m;  // needs every score first
            break;
        }
        case VariantKind::Linformer: {
            const double k = v.k;
            c.flops = 4.0 * k * m * d + 4.0 * n * k * d + 3.0 * n * k;
            c.bytes = io + f * (2.0 * k * m + 2.0 * k * d + n * k);
            break;
        }
        case VariantKind::Nystrom: {
            const double l = v.landmarks;
            c.flops = 2.0 * (n + m) * d + 2.0 * n * l * d + 2.0 * l * l * d + 2.0 * l * m * d  // means and scores
                      + v.pinv_iterations * 8.0 * l * l * l                                   // pseudo-inverse
                      + 2.0 * l * m * d + 2.0 * l * l * d + 2.0 * n * l * d;                   // applied to V
            c.bytes = io + f * (n * l + l * l + l * m + 2.0 * l * d);
            break;
        }
        case VariantKind::Performer: {
            const double r = v.features;
            c.flops = 2.0 * (n + m) * r * d + 2.0 * m * r * d + 2.0 * n * r * d + 2.0 * (n + m) * r;
            c.bytes = io + f * ((n + m) * r + r * d + r * d);
            break;
        }
    }
    c.flops *= heads;
    c.bytes = c.bytes * heads;
    return c;
}

}  // namespace attnscope
