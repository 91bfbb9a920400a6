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

const char* effective_weights_formula(VariantKind v) {
    switch (v) {
        case VariantKind::Linformer: return "A = softmax(Q (E K)^T / sqrt(d)) F, with E and F k x n random projections";
        case VariantKind::Nystrom:
            return "A = softmax(Q K~^T / sqrt(d)) pinv(softmax(Q~ K~^T / sqrt(d))) softmax(Q~ K^T / sqrt(d)), "
                   "with Q~ and K~ the landmarks (segment means)";
        case VariantKind::Performer:
            return "A = phi(Q) phi(K)^T, each row divided by its sum, with phi positive random features";
        case VariantKind::Svd: return "A = U_r S_r V_r^T, the best rank-r approximation of the exact weights";
        default: return "";
    }
}

// --- the parameter table ---

namespace {

// The power of two nearest sqrt(n): strided's stride at length n when bench is given 0.
int sqrt_stride(int n) { return 1 << static_cast<int>(std::lround(std::log2(std::sqrt(static_cast<double>(std::max(n, 1)))))); }

std::vector<VariantParamInfo> make_param_table() {
    using P = VariantParams;
    using K = VariantKind;
    using U = UpperBound;
    std::vector<VariantParamInfo> t = {
        {"window", "window", &P::window, nullptr, {K::Local, K::BigBird}, 0, U::KeyUnits, 0, nullptr,
         "local: keys on each side; bigbird: blocks on each side", "--window 2"},
        {"dilation", "dilation", &P::dilation, nullptr, {K::Local}, 1, U::Keys, 0, nullptr,
         "local: keep every n-th key in the window", "--dilation 1"},
        {"global_tokens", "global token", nullptr, &P::global_tokens, {K::Local}, 0, U::Keys, -1, nullptr,
         "local: a global token position, attending and attended everywhere (repeatable)", "--global 0", "--global"},
        {"stride", "stride", &P::stride, nullptr, {K::Strided, K::Fixed}, 1, U::Keys, 0, nullptr,
         "strided: stride l; fixed: block length l", "--stride 4"},
        {"summary", "summary", &P::summary, nullptr, {K::Fixed}, 1, U::Param, 0, &P::stride,
         "fixed: summary positions c at the end of each block", "--summary 1"},
        {"block", "block", &P::block, nullptr, {K::BigBird}, 1, U::Keys, 0, nullptr, "bigbird: block size b",
         "--block 2"},
        {"globals", "globals", &P::globals, nullptr, {K::BigBird}, 0, U::Keys, 0, nullptr,
         "bigbird: the first g tokens are global", "--globals 1"},
        {"random_blocks", "random blocks", &P::random_blocks, nullptr, {K::BigBird}, 0, U::KeyUnits, 0, nullptr,
         "bigbird: random key blocks per query block (seeded per head)", "--random-blocks 1"},
        {"top_k", "top-k", &P::top_k, nullptr, {K::TopK}, 1, U::Keys, 0, nullptr,
         "topk: keys kept per query, its k largest logits", "--top-k 4"},
        {"k", "k", &P::k, nullptr, {K::Linformer}, 1, U::Keys, 0, nullptr, "linformer: projected length k (E, F are k x m)",
         "--k 4"},
        {"landmarks", "landmarks", &P::landmarks, nullptr, {K::Nystrom}, 1, U::Tokens, 0, nullptr,
         "nystrom: landmarks, segment means of Q and K", "--landmarks 4"},
        {"pinv_iterations", "pinv iterations", &P::pinv_iterations, nullptr, {K::Nystrom}, 1, U::Fixed, 100, nullptr,
         "nystrom: pseudo-inverse iterations", "--pinv-iterations 6"},
        {"features", "features", &P::features, nullptr, {K::Performer}, 1, U::Fixed, 4096, nullptr,
         "performer: random features r (phi(Q) is n x r)", "--features 64"},
        {"rank", "rank", &P::rank, nullptr, {K::Svd}, 1, U::Tokens, 0, nullptr, "svd: singular values kept, rank r",
         "--rank 4"},
    };
    for (VariantParamInfo& r : t) {
        if (r.field == &P::features) r.log_slider = true;
        if (r.field == &P::stride) r.auto_value = sqrt_stride, r.auto_help = "the power of two nearest sqrt(n)";
    }
    return t;
}

}  // namespace

const std::vector<VariantParamInfo>& variant_param_table() {
    static const std::vector<VariantParamInfo> table = make_param_table();
    return table;
}

std::vector<const VariantParamInfo*> variant_params_of(VariantKind kind) {
    std::vector<const VariantParamInfo*> out;
    for (const VariantParamInfo& r : variant_param_table())
        if (r.reads(kind)) out.push_back(&r);
    return out;
}

const VariantParamInfo* find_variant_param(std::string_view param) {
    for (const VariantParamInfo& r : variant_param_table())
        if (param == r.name) return &r;
    return nullptr;
}

std::string VariantParamInfo::option() const {
    if (option_override) return option_override;
    std::string o = std::string("--") + name;
    std::replace(o.begin(), o.end(), '_', '-');
    return o;
}

bool VariantParamInfo::reads(VariantKind kind) const {
    return std::find(kinds.begin(), kinds.end(), kind) != kinds.end();
}

int VariantParamInfo::default_value() const {
    static const VariantParams defaults;
    return field ? defaults.*field : 0;
}

int VariantParamInfo::upper(const VariantParams& v, int n, int m) const {
    const int keys = std::max(m, 0);
    switch (hi) {
        case UpperBound::Fixed: return hi_offset;
        case UpperBound::Keys: return keys + hi_offset;
        case UpperBound::KeyUnits: {
            if (v.kind != VariantKind::BigBird) return keys + hi_offset;
            const int b = std::max(v.block, 1);
            return (keys + b - 1) / b + hi_offset;
        }
        case UpperBound::Tokens: return std::max(std::min(n, m), 0) + hi_offset;
        case UpperBound::Param: return (hi_param ? v.*hi_param : 0) + hi_offset;
    }
    return hi_offset;
}

std::string VariantParamInfo::help_for(VariantKind kind) const {
    const std::string h = help, prefix = std::string(attnscope::name(kind)) + ": ";
    for (std::size_t start = 0; start < h.size();) {
        const std::size_t end = std::min(h.find("; ", start), h.size());
        if (h.compare(start, prefix.size(), prefix) == 0) return h.substr(start + prefix.size(), end - start - prefix.size());
        start = end + 2;
    }
    return h;
}

std::string VariantParamInfo::range_text() const {
    std::string top;
    switch (hi) {
        case UpperBound::Fixed: return std::to_string(lo) + ".." + std::to_string(hi_offset);
        case UpperBound::Keys: top = "keys"; break;
        case UpperBound::KeyUnits: top = kinds.size() > 1 ? "keys (key blocks for bigbird)" : "key blocks"; break;
        case UpperBound::Tokens: top = "min(n, m)"; break;
        case UpperBound::Param: {
            const VariantParamInfo* p = nullptr;
            for (const VariantParamInfo& r : variant_param_table())
                if (r.field && r.field == hi_param) p = &r;
            top = p ? p->label : "?";
            break;
        }
    }
    if (hi_offset) top += (hi_offset > 0 ? " + " : " - ") + std::to_string(std::abs(hi_offset));
    return std::to_string(lo) + ".." + top;
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

namespace {

// L = W xs - |xs|^2 / 2 with xs = x / (d^(1/4) sqrt(T)): phi(x) = exp(L) / sqrt(r).
Matrix performer_logits(const Matrix& x, const Matrix& W, double temperature) {
    const double scale = 1.0 / (std::pow(static_cast<double>(x.cols()), 0.25) * std::sqrt(temperature));
    const Matrix xs = scale * x;                                   // (rows, d)
    Matrix L = xs * W.transpose();                                 // (rows, features)
    const Vector half_norm = 0.5 * xs.rowwise().squaredNorm();
    for (int r = 0; r < L.rows(); ++r) L.row(r).array() -= half_norm(r);
    return L;
}

}  // namespace

Matrix performer_phi(const Matrix& x, const Matrix& W, double temperature) {
    return performer_logits(x, W, temperature).array().exp().matrix() / std::sqrt(static_cast<double>(W.rows()));
}

Matrix performer_effective(const Matrix& Q, const Matrix& K, const Matrix& W, double temperature,
                           const MaskMatrix& allowed) {
    // exp() of the raw logits overflows (or underflows to 0 / 0) at low temperature. Shifting each
    // query row by its own max scales that row of the kernel, which its normalization cancels; the
    // keys share one shift, which scales every entry alike. The weights are FAVOR+'s, unchanged.
    Matrix Lq = performer_logits(Q, W, temperature), Lk = performer_logits(K, W, temperature);
    for (int r = 0; r < Lq.rows(); ++r) Lq.row(r).array() -= Lq.row(r).maxCoeff();
    if (Lk.size() > 0) Lk.array() -= Lk.maxCoeff();
    const Matrix kernel = (Lq.array().exp().matrix() * Lk.array().exp().matrix().transpose())
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
