// Tests engine/src/variants.cpp and the variant part of engine/src/run.cpp (attend_variant):
// sparse patterns against brute-force constructions written here from their definitions,
// the variants that must be exact against softmax(Q K^T / sqrt(d) / T) computed here, the
// Performer's features and convergence, and every variant's output recomputed from its
// exported trace with plain loops and Eigen. No expected value comes from the code under test.
#include "attnscope/variants.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "attnscope/error.hpp"
#include "attnscope/run.hpp"
#include "attnscope/trace_json.hpp"
#include "../test_helpers.hpp"

namespace as = attnscope;
using as::Inputs;
using as::Mask;
using as::MaskMatrix;
using as::Matrix;
using as::Positional;
using as::Trace;
using as::VariantKind;
using as::VariantParams;
using nlohmann::json;

namespace {

// ---------------------------------------------------------------------------------------------
// Independent references (no calls into variants.cpp, attention.cpp or compare.cpp).

// (rows, cols) uniform values in [-scale, scale) from a 64-bit LCG: test data only.
Matrix test_data(int rows, int cols, std::uint64_t seed, double scale = 1.0) {
    std::uint64_t s = seed * 0x9E3779B97F4A7C15ULL + 12345;
    Matrix x(rows, cols);
    for (int i = 0; i < rows; ++i)
        for (int c = 0; c < cols; ++c) {
            s = s * 6364136223846793005ULL + 1442695040888963407ULL;
            x(i, c) = scale * (2.0 * static_cast<double>(s >> 11) * 0x1.0p-53 - 1.0);
        }
    return x;
}

// (n, m): ((q_i . k_j) / sqrt(d) + bias_ij) / T, -inf where `allowed` (if given) is false;
// `bias` empty (0 x 0) means none.
Matrix ref_logits(const Matrix& Q, const Matrix& K, double T, const MaskMatrix* allowed = nullptr,
                  const Matrix& bias = Matrix()) {
    const int n = static_cast<int>(Q.rows()), m = static_cast<int>(K.rows()), d = static_cast<int>(Q.cols());
    Matrix L(n, m);
    for (int i = 0; i < n; ++i)
        for (int j = 0; j < m; ++j) {
            double dot = 0;
            for (int c = 0; c < d; ++c) dot += Q(i, c) * K(j, c);
            const double b = bias.size() > 0 ? bias(i, j) : 0.0;
            L(i, j) = (allowed && !(*allowed)(i, j)) ? -INFINITY : (dot / std::sqrt(static_cast<double>(d)) + b) / T;
        }
    return L;
}

Matrix ref_softmax(const Matrix& logits) {
    Matrix out(logits.rows(), logits.cols());
    for (int i = 0; i < logits.rows(); ++i) {
        std::vector<double> row(logits.cols());
        for (int j = 0; j < logits.cols(); ++j) row[j] = logits(i, j);
        const std::vector<double> p = test::ref::softmax(row);
        for (int j = 0; j < logits.cols(); ++j) out(i, j) = p[j];
    }
    return out;
}

Matrix masked(const Matrix& logits, const MaskMatrix& keep) {
    Matrix out = logits;
    for (int i = 0; i < out.rows(); ++i)
        for (int j = 0; j < out.cols(); ++j)
            if (!keep(i, j)) out(i, j) = -INFINITY;
    return out;
}

double rel_frobenius(const Matrix& a, const Matrix& b) { return (a - b).norm() / b.norm(); }

MaskMatrix all_true(int n, int m) { return MaskMatrix::Constant(n, m, true); }

MaskMatrix causal(int n) {
    MaskMatrix c(n, n);
    for (int i = 0; i < n; ++i)
        for (int j = 0; j < n; ++j) c(i, j) = j <= i;
    return c;
}

// Sparse patterns, built by walking outwards from each query rather than testing each pair.
MaskMatrix ref_local(int n, int m, int window, int dilation, const std::vector<int>& globals) {
    MaskMatrix keep = MaskMatrix::Constant(n, m, false);
    for (int i = 0; i < n; ++i)
        for (int step = -window; step <= window; ++step) {
            const int j = i + step * dilation;
            if (j >= 0 && j < m) keep(i, j) = true;
        }
    for (int g : globals)
        for (int t = 0; t < std::max(n, m); ++t) {
            if (g < n && t < m) keep(g, t) = true;
            if (g < m && t < n) keep(t, g) = true;
        }
    return keep;
}

MaskMatrix ref_strided(int n, int m, int stride) {
    MaskMatrix keep = MaskMatrix::Constant(n, m, false);
    for (int i = 0; i < n; ++i) {
        for (int j = i - (stride - 1); j <= i + (stride - 1); ++j)
            if (j >= 0 && j < m) keep(i, j) = true;
        for (int j = i % stride; j < m; j += stride) keep(i, j) = true;  // j = i + t * stride
    }
    return keep;
}

MaskMatrix ref_fixed(int n, int m, int block, int summary) {
    MaskMatrix keep = MaskMatrix::Constant(n, m, false);
    for (int i = 0; i < n; ++i) {
        const int start = (i / block) * block;
        for (int j = start; j < std::min(m, start + block); ++j) keep(i, j) = true;
        for (int b = 0; b < m; b += block)
            for (int j = b + block - summary; j < std::min(m, b + block); ++j) keep(i, j) = true;
    }
    return keep;
}

// Row by row: the finite entries ordered by (value descending, index ascending), first k kept.
MaskMatrix ref_topk(const Matrix& logits, int k) {
    MaskMatrix keep = MaskMatrix::Constant(logits.rows(), logits.cols(), false);
    for (int i = 0; i < logits.rows(); ++i) {
        std::vector<std::pair<double, int>> finite;
        for (int j = 0; j < logits.cols(); ++j)
            if (std::isfinite(logits(i, j))) finite.push_back({-logits(i, j), j});
        std::sort(finite.begin(), finite.end());
        for (int r = 0; r < std::min<int>(k, static_cast<int>(finite.size())); ++r) keep(i, finite[r].second) = true;
    }
    return keep;
}

// Names the first differing cell (cheap in loops: one assertion per mask).
void require_same_mask(const MaskMatrix& got, const MaskMatrix& want) {
    REQUIRE(got.rows() == want.rows());
    REQUIRE(got.cols() == want.cols());
    for (int i = 0; i < got.rows(); ++i)
        for (int j = 0; j < got.cols(); ++j)
            if (got(i, j) != want(i, j))
                FAIL("cell (" << i << ", " << j << ") is " << got(i, j) << " but should be " << want(i, j));
    SUCCEED("masks equal");
}

// Segment s covers rows [floor(s n / l), floor((s + 1) n / l)).
Matrix ref_segment_means(const Matrix& x, int l) {
    const int n = static_cast<int>(x.rows());
    Matrix out = Matrix::Zero(l, x.cols());
    for (int s = 0; s < l; ++s) {
        const int begin = s * n / l, end = (s + 1) * n / l;
        for (int r = begin; r < end; ++r) out.row(s) += x.row(r);
        out.row(s) /= end - begin;
    }
    return out;
}

Matrix exact_pinv(const Matrix& a) {
    return Eigen::MatrixXd(a).completeOrthogonalDecomposition().pseudoInverse();
}

// Enough iterations for the pseudo-inverse to converge on the well-conditioned test matrices.
constexpr int kExactPinvIterations = 20;

// Error bound of `iterations` steps of Z <- Z (13 I - A Z (15 I - A Z (7 I - A Z))) / 4 from
// Z_0 = A^T / (|A|_1 |A|_inf). Every Z_k is A^T times a polynomial of A A^T, so each singular
// value sigma of A moves on its own: x = sigma^2 / (|A|_1 |A|_inf), x <- x (13 - 15x + 7x^2 - x^3) / 4,
// and Z_k has singular value x_k / sigma where the pseudo-inverse has 1 / sigma. Hence
// |Z_k - pinv(A)|_2 = max |1 - x_k| / sigma: computed here from A's singular values.
double pinv_error_bound(const Matrix& a, int iterations) {
    const Eigen::MatrixXd A = a;
    const double norm1 = A.cwiseAbs().colwise().sum().maxCoeff(), norm_inf = A.cwiseAbs().rowwise().sum().maxCoeff();
    const Eigen::VectorXd sigma = Eigen::JacobiSVD<Eigen::MatrixXd>(A).singularValues();
    double worst = 0;
    for (int i = 0; i < sigma.size(); ++i) {
        if (sigma(i) <= 0) continue;
        double x = sigma(i) * sigma(i) / (norm1 * norm_inf);
        for (int it = 0; it < iterations; ++it) x = x * (13 - 15 * x + 7 * x * x - x * x * x) / 4;
        worst = std::max(worst, std::abs(1 - x) / sigma(i));
    }
    return worst;
}

// Nystrom's factors, with Eigen's exact pseudo-inverse in the middle.
struct NystromRef {
    Matrix left, middle, right, effective;
    double bound;  // Frobenius bound on |engine's A_eff - effective| from the iterative pinv
};
NystromRef ref_nystrom(const Matrix& Q, const Matrix& K, const Matrix& Ql, const Matrix& Kl, double T) {
    NystromRef r;
    r.left = ref_softmax(ref_logits(Q, Kl, T));     // (n, l)
    r.middle = ref_softmax(ref_logits(Ql, Kl, T));  // (l, l)
    r.right = ref_softmax(ref_logits(Ql, K, T));    // (l, m)
    r.effective = r.left * exact_pinv(r.middle) * r.right;
    r.bound = r.left.norm() * pinv_error_bound(r.middle, kExactPinvIterations) * r.right.norm();
    return r;
}

// FAVOR+ positive features: phi(x) = exp(W x' - |x'|^2 / 2) / sqrt(features), x' = x / (d^(1/4) sqrt(T)).
Matrix ref_phi(const Matrix& X, const Matrix& W, double T) {
    const int rows = static_cast<int>(X.rows()), d = static_cast<int>(X.cols()), f = static_cast<int>(W.rows());
    Matrix phi(rows, f);
    for (int i = 0; i < rows; ++i) {
        std::vector<double> x(d);
        double sq = 0;
        for (int c = 0; c < d; ++c) {
            x[c] = X(i, c) / (std::pow(d, 0.25) * std::sqrt(T));
            sq += x[c] * x[c];
        }
        for (int r = 0; r < f; ++r) {
            double wx = 0;
            for (int c = 0; c < d; ++c) wx += W(r, c) * x[c];
            phi(i, r) = std::exp(wx - sq / 2) / std::sqrt(static_cast<double>(f));
        }
    }
    return phi;
}

Matrix ref_performer(const Matrix& Q, const Matrix& K, const Matrix& W, double T, const MaskMatrix& allowed) {
    const Matrix pq = ref_phi(Q, W, T), pk = ref_phi(K, W, T);
    Matrix A(Q.rows(), K.rows());
    for (int i = 0; i < A.rows(); ++i) {
        double sum = 0;
        for (int j = 0; j < A.cols(); ++j) {
            A(i, j) = allowed(i, j) ? pq.row(i).dot(pk.row(j)) : 0.0;
            sum += A(i, j);
        }
        if (sum > 0) A.row(i) /= sum;
    }
    return A;
}

// Rows [b*d, min((b+1)*d, f)) of W are pairwise orthogonal.
void require_block_orthogonal(const Matrix& W, int d) {
    const int f = static_cast<int>(W.rows());
    for (int a = 0; a < f; ++a)
        for (int b = a + 1; b < f && b / d == a / d; ++b) {
            INFO("rows " << a << " and " << b << " of block " << a / d);
            REQUIRE(std::abs(W.row(a).dot(W.row(b))) <= 1e-12 * W.row(a).norm() * W.row(b).norm());
        }
}

// ---------------------------------------------------------------------------------------------
// run() helpers.

std::string words(int count) {
    std::string text;
    for (int i = 0; i < count; ++i) text.append("w").append(std::to_string(i)).append(" ");
    return text;
}

VariantParams params(VariantKind kind) {
    VariantParams v;
    v.kind = kind;
    return v;
}

Inputs variant_inputs(int n, const VariantParams& v, Mask mask = Mask::None, Positional pe = Positional::Sinusoidal,
                      int d_model = 16, int heads = 2, std::uint64_t seed = 7, double temperature = 1.0) {
    Inputs in;
    in.text = words(n);
    in.d_model = d_model;
    in.heads = heads;
    in.pe = pe;
    in.mask = mask;
    in.seed = seed;
    in.temperature = temperature;
    in.variant = v;
    return in;
}

// The variant must reproduce exact attention: its weights, head outputs and layer output.
void require_exact_through_run(const Inputs& in, double eps) {
    const Trace t = as::run(in);
    REQUIRE(t.has_variant());
    for (int h = 0; h < static_cast<int>(t.layers[0].heads.size()); ++h) {
        INFO("head " << h);
        const as::HeadTrace& head = t.layers[0].heads[h];
        REQUIRE(head.variant.has_value());
        // head.bias is ALiBi's or the relative table's (tested in positional.test.cpp); empty otherwise.
        const Matrix exact = ref_softmax(ref_logits(head.Q, head.K, in.temperature, &t.allowed, head.bias));
        test::require_near(head.variant->exact_attention, exact, 1e-12);
        test::require_near(head.variant->exact_output, Matrix(exact * head.V), 1e-12);
        test::require_near(head.attention, exact, eps);
        test::require_near(head.output, head.variant->exact_output, eps * (1 + head.V.cwiseAbs().maxCoeff()) * t.m());
    }
    test::require_near(t.layers[0].output, t.layers[0].exact_output, 1e3 * eps);
    REQUIRE(t.layers[0].output_error <= 1e2 * eps);
}

MaskMatrix mask_from_json(const json& rows) {
    MaskMatrix m(rows.size(), rows.empty() ? 0 : rows[0].size());
    for (int i = 0; i < m.rows(); ++i)
        for (int j = 0; j < m.cols(); ++j) m(i, j) = rows[i][j].get<bool>();
    return m;
}

Matrix M(const json& rows) { return as::matrix_from_json(rows); }

}  // namespace

// =============================================================================================
// Names

TEST_CASE("variants: names round-trip and split into sparse and low rank", "[variants]") {
    const char* expected[] = {"dense", "local", "strided", "fixed", "bigbird", "topk",
                              "linformer", "nystrom", "performer", "svd"};
    int i = 0;
    for (VariantKind v : as::kAllVariants) {
        REQUIRE(std::string(as::name(v)) == expected[i++]);
        REQUIRE(as::parse_variant(as::name(v)) == v);
        REQUIRE(!(as::is_sparse(v) && as::is_low_rank(v)));
        REQUIRE((as::is_sparse(v) || as::is_low_rank(v)) == (v != VariantKind::Dense));
    }
    REQUIRE(as::is_sparse(VariantKind::TopK));
    REQUIRE(as::is_low_rank(VariantKind::Svd));
    REQUIRE_ERROR(as::parse_variant("reformer"), "unknown variant 'reformer': choose one of dense, local");
}

// =============================================================================================
// Sparse patterns against brute force

TEST_CASE("variants: local_pattern equals the definition for many n, windows, dilations, globals",
          "[variants][sparse][brute]") {
    const std::vector<std::pair<int, int>> shapes = {{1, 1}, {5, 5}, {8, 8}, {13, 13}, {16, 16}, {5, 8}, {13, 7}};
    for (auto [n, m] : shapes)
        for (int window : {0, 1, 3})
            for (int dilation : {1, 2, 3})
                for (const std::vector<int>& globals :
                     std::vector<std::vector<int>>{{}, {0}, {2, std::max(n, m) - 1}, {std::max(n, m) - 1}}) {
                    std::vector<int> g;
                    for (int x : globals)
                        if (x < std::max(n, m)) g.push_back(x);
                    INFO("n = " << n << ", m = " << m << ", window = " << window << ", dilation = " << dilation
                                << ", globals = " << g.size());
                    require_same_mask(as::local_pattern(n, m, window, dilation, g), ref_local(n, m, window, dilation, g));
                }
}

TEST_CASE("variants: local_pattern by hand, n = 5, window 1, dilation 2, global 4", "[variants][sparse][hand]") {
    // |i - j| in {0, 2}, plus row 4 and column 4.
    const int want[5][5] = {{1, 0, 1, 0, 1}, {0, 1, 0, 1, 1}, {1, 0, 1, 0, 1}, {0, 1, 0, 1, 1}, {1, 1, 1, 1, 1}};
    const MaskMatrix p = as::local_pattern(5, 5, 1, 2, {4});
    for (int i = 0; i < 5; ++i)
        for (int j = 0; j < 5; ++j) REQUIRE(p(i, j) == static_cast<bool>(want[i][j]));
}

TEST_CASE("variants: strided_pattern equals the definition", "[variants][sparse][brute]") {
    const std::vector<std::pair<int, int>> shapes = {{1, 1}, {5, 5}, {8, 8}, {13, 13}, {16, 16}, {5, 8}, {13, 7}};
    for (auto [n, m] : shapes)
        for (int stride : {1, 2, 3, 4, 8, 20}) {
            INFO("n = " << n << ", m = " << m << ", stride = " << stride);
            require_same_mask(as::strided_pattern(n, m, stride), ref_strided(n, m, stride));
        }
    // By hand, n = 6, stride 3: |i - j| < 3 or 3 divides i - j. Row 0 keeps 0, 1, 2, 3; row 5 keeps 2, 3, 4, 5.
    const MaskMatrix p = as::strided_pattern(6, 6, 3);
    const bool row0[6] = {1, 1, 1, 1, 0, 0}, row5[6] = {0, 0, 1, 1, 1, 1};
    for (int j = 0; j < 6; ++j) REQUIRE(p(0, j) == row0[j]);
    for (int j = 0; j < 6; ++j) REQUIRE(p(5, j) == row5[j]);
}

TEST_CASE("variants: fixed_pattern equals the definition", "[variants][sparse][brute]") {
    const std::vector<std::pair<int, int>> shapes = {{1, 1}, {5, 5}, {8, 8}, {13, 13}, {16, 16}, {5, 8}, {13, 7}};
    for (auto [n, m] : shapes)
        for (int block : {1, 2, 4, 5})
            for (int summary = 1; summary <= block; ++summary) {
                INFO("n = " << n << ", m = " << m << ", block = " << block << ", summary = " << summary);
                require_same_mask(as::fixed_pattern(n, m, block, summary), ref_fixed(n, m, block, summary));
            }
    // By hand, n = 5, block 2, summary 1: own block, plus keys 1 and 3 (the last of each full block).
    const MaskMatrix p = as::fixed_pattern(5, 5, 2, 1);
    const int want[5][5] = {{1, 1, 0, 1, 0}, {1, 1, 0, 1, 0}, {0, 1, 1, 1, 0}, {0, 1, 1, 1, 0}, {0, 1, 0, 1, 1}};
    for (int i = 0; i < 5; ++i)
        for (int j = 0; j < 5; ++j) REQUIRE(p(i, j) == static_cast<bool>(want[i][j]));
}

TEST_CASE("variants: bigbird_pattern keeps the window, exactly min(r, available) random blocks, and globals",
          "[variants][sparse][brute]") {
    const std::vector<std::pair<int, int>> shapes = {{1, 1}, {5, 5}, {8, 8}, {13, 13}, {16, 16}, {5, 8}, {13, 7}};
    for (auto [n, m] : shapes)
        for (int block : {1, 2, 4, 5})
            for (int window : {0, 1, 2})
                for (int r : {0, 1, 2, 5})
                    for (std::uint64_t seed : {1u, 99u}) {
                        INFO("n = " << n << ", m = " << m << ", block = " << block << ", window = " << window
                                    << ", random = " << r << ", seed = " << seed);
                        const MaskMatrix p = as::bigbird_pattern(n, m, block, window, 0, r, seed);
                        REQUIRE(p.rows() == n);
                        REQUIRE(p.cols() == m);
                        const int qbs = (n + block - 1) / block, kbs = (m + block - 1) / block;
                        for (int qb = 0; qb < qbs; ++qb) {
                            int in_window = 0, extra = 0;
                            for (int kb = 0; kb < kbs; ++kb) {
                                // A block is kept or dropped as a whole.
                                const bool first = p(qb * block, kb * block);
                                for (int i = qb * block; i < std::min(n, (qb + 1) * block); ++i)
                                    for (int j = kb * block; j < std::min(m, (kb + 1) * block); ++j)
                                        if (p(i, j) != first) FAIL("block (" << qb << ", " << kb << ") is split at " << i << ", " << j);
                                if (std::abs(qb - kb) <= window) {
                                    ++in_window;
                                    REQUIRE(first);
                                } else if (first) {
                                    ++extra;
                                }
                            }
                            REQUIRE(extra == std::min(r, kbs - in_window));
                        }
                        // Globals are an OR on top of the same blocks: rows and columns < g all kept.
                        for (int g : {1, 3}) {
                            const MaskMatrix pg = as::bigbird_pattern(n, m, block, window, g, r, seed);
                            for (int i = 0; i < n; ++i)
                                for (int j = 0; j < m; ++j)
                                    if (pg(i, j) != (p(i, j) || i < g || j < g))
                                        FAIL("globals = " << g << ": cell (" << i << ", " << j << ") is " << pg(i, j));
                        }
                    }
}

TEST_CASE("variants: bigbird_pattern is a function of its seed", "[variants][sparse]") {
    // 8 query blocks of 2, window 0, one random block out of 7 others each: two seeds give the
    // same pattern with probability 7^-8.
    const MaskMatrix a = as::bigbird_pattern(16, 16, 2, 0, 0, 1, 1);
    require_same_mask(as::bigbird_pattern(16, 16, 2, 0, 0, 1, 1), a);
    REQUIRE(as::bigbird_pattern(16, 16, 2, 0, 0, 1, 2) != a);
    int differ = 0;
    for (std::uint64_t seed = 3; seed < 13; ++seed) differ += as::bigbird_pattern(16, 16, 2, 0, 0, 1, seed) != a;
    REQUIRE(differ >= 9);
}

TEST_CASE("variants: topk_pattern keeps min(k, finite) of the largest logits, ties to the lower index",
          "[variants][sparse]") {
    SECTION("by hand") {
        const double inf = INFINITY;
        Matrix L(4, 5);
        L << 1, 3, 2, 3, -inf,  //
            5, 5, 5, 1, 5,      //
            -inf, -inf, 0.5, -inf, -inf, //
            -inf, -inf, -inf, -inf, -inf;
        const MaskMatrix k2 = as::topk_pattern(L, 2);
        const bool want2[4][5] = {{0, 1, 0, 1, 0}, {1, 1, 0, 0, 0}, {0, 0, 1, 0, 0}, {0, 0, 0, 0, 0}};
        for (int i = 0; i < 4; ++i)
            for (int j = 0; j < 5; ++j) REQUIRE(k2(i, j) == want2[i][j]);
        const MaskMatrix k5 = as::topk_pattern(L, 5);  // every finite logit
        const bool want5[4][5] = {{1, 1, 1, 1, 0}, {1, 1, 1, 1, 1}, {0, 0, 1, 0, 0}, {0, 0, 0, 0, 0}};
        for (int i = 0; i < 4; ++i)
            for (int j = 0; j < 5; ++j) REQUIRE(k5(i, j) == want5[i][j]);
    }
    SECTION("brute force on tied and masked logits") {
        for (int n : {1, 5, 8, 13, 16}) {
            Matrix L(n, n);
            for (int i = 0; i < n; ++i)
                for (int j = 0; j < n; ++j) L(i, j) = j > i + 2 ? -INFINITY : static_cast<double>((7 * i + 3 * j) % 5);
            for (int k : {1, 2, 3, 4, 7, 16, 40}) {
                INFO("n = " << n << ", k = " << k);
                const MaskMatrix p = as::topk_pattern(L, k);
                require_same_mask(p, ref_topk(L, k));
                for (int i = 0; i < n; ++i) {
                    const int finite = static_cast<int>(L.row(i).array().isFinite().count());
                    REQUIRE(p.row(i).count() == std::min(k, finite));
                    for (int a = 0; a < n; ++a)  // no dropped finite logit beats a kept one
                        for (int b = 0; b < n; ++b)
                            if (p(i, a) && !p(i, b) && std::isfinite(L(i, b)) && L(i, a) < L(i, b))
                                FAIL("row " << i << " keeps " << a << " but drops the larger " << b);
                }
            }
        }
    }
}

// =============================================================================================
// Exactness of the free functions

TEST_CASE("variants: sparse patterns that cover everything give dense attention", "[variants][exact]") {
    for (int n : {1, 5, 8, 13}) {
        INFO("n = " << n);
        const Matrix L = ref_logits(test_data(n, 4, n), test_data(n, 4, n + 100), 0.9);
        require_same_mask(as::local_pattern(n, n, n, 1, {}), all_true(n, n));
        require_same_mask(as::strided_pattern(n, n, n), all_true(n, n));
        require_same_mask(as::fixed_pattern(n, n, n, 1), all_true(n, n));
        require_same_mask(as::bigbird_pattern(n, n, 2, n, 0, 0, 3), all_true(n, n));
        require_same_mask(as::topk_pattern(L, n), all_true(n, n));
        // Under a causal mask top-k with k = n keeps exactly the causal keys.
        require_same_mask(as::topk_pattern(masked(L, causal(n)), n), causal(n));
        test::require_near(ref_softmax(masked(L, as::topk_pattern(L, n))), ref_softmax(L), 0.0);
    }
}

TEST_CASE("variants: linformer with k = n and E = F = I is dense attention", "[variants][exact][linformer]") {
    for (int n : {1, 4, 9}) {
        const Matrix Q = test_data(n, 6, 1), K = test_data(n, 6, 2);
        const Matrix I = Matrix::Identity(n, n);
        for (double T : {1.0, 0.5, 3.0}) {
            INFO("n = " << n << ", T = " << T);
            test::require_near(as::linformer_effective(Q, K, I, I, T), ref_softmax(ref_logits(Q, K, T)), 1e-14);
        }
    }
}

TEST_CASE("variants: linformer with projections is softmax(c Q (E K)^T) F", "[variants][linformer]") {
    const int n = 7, k = 3;
    const Matrix Q = test_data(n, 4, 3), K = test_data(n, 4, 4);
    const Matrix E = as::linformer_projection(k, n, 5, "E"), F = as::linformer_projection(k, n, 5, "F");
    REQUIRE(E.rows() == k);
    REQUIRE(E.cols() == n);
    REQUIRE((E - F).norm() > 0.1);  // two names, two draws
    const Matrix P = ref_softmax(ref_logits(Q, Matrix(E * K), 0.7));  // (n, k)
    test::require_near(as::linformer_effective(Q, K, E, F, 0.7), Matrix(P * F), 1e-14);
    // Entries are N(0, 1/k): over 8000 draws the mean square is 1/k = 0.25 within a few 1e-3.
    const Matrix big = as::linformer_projection(4, 2000, 9, "E");
    REQUIRE(big.array().square().mean() == Approx(0.25).margin(0.02));
    REQUIRE(std::abs(big.mean()) < 0.02);
}

TEST_CASE("variants: segment_means by hand", "[variants][nystrom][hand]") {
    Matrix x(5, 1);
    x << 0, 1, 2, 3, 4;
    // 2 segments: rows [0, 2) and [2, 5): means 0.5 and 3.
    test::require_near(as::segment_means(x, 2), Eigen::Vector2d(0.5, 3.0), 1e-15);
    // 3 segments: floor(5/3) = 1, floor(10/3) = 3: rows [0,1), [1,3), [3,5): 0, 1.5, 3.5.
    test::require_near(as::segment_means(x, 3), Eigen::Vector3d(0.0, 1.5, 3.5), 1e-15);
    // n segments of n rows: the rows themselves.
    const Matrix y = test_data(6, 3, 8);
    test::require_near(as::segment_means(y, 6), y, 0.0);
    test::require_near(as::segment_means(y, 4), ref_segment_means(y, 4), 1e-15);
}

TEST_CASE("variants: iterative_pinv is the Moore-Penrose pseudo-inverse", "[variants][nystrom]") {
    // A rank-1 u u^T with u = (1, 2): pinv = u u^T / |u|^4 = A / 25.
    Matrix a(2, 2);
    a << 1, 2, 2, 4;
    test::require_near(as::iterative_pinv(a, kExactPinvIterations), Matrix(a / 25.0), 1e-12);
    // diag(2, 0.5): inverse diag(0.5, 2).
    Matrix d = Matrix::Zero(2, 2);
    d(0, 0) = 2, d(1, 1) = 0.5;
    Matrix dinv = Matrix::Zero(2, 2);
    dinv(0, 0) = 0.5, dinv(1, 1) = 2;
    test::require_near(as::iterative_pinv(d, kExactPinvIterations), dinv, 1e-12);
    // A row-stochastic, diagonally dominant 5 x 5 matrix, as Nystrom's middle factor is.
    const Matrix s = ref_softmax(3.0 * Matrix::Identity(5, 5) + test_data(5, 5, 12));
    REQUIRE(pinv_error_bound(s, kExactPinvIterations) < 1e-12);
    test::require_near(as::iterative_pinv(s, kExactPinvIterations), exact_pinv(s), 1e-10);
}

TEST_CASE("variants: nystrom with m = n landmarks is dense attention", "[variants][exact][nystrom]") {
    for (int n : {1, 3, 6}) {
        const Matrix Q = test_data(n, 4, 20 + n), K = test_data(n, 4, 40 + n);
        const Matrix Ql = as::segment_means(Q, n), Kl = as::segment_means(K, n);
        test::require_near(Ql, Q, 0.0);
        test::require_near(Kl, K, 0.0);
        const Matrix S = ref_softmax(ref_logits(Q, K, 1.0));
        // With l = n, A_eff = S Z S with Z the iterative pinv of S, so |A_eff - S|_F <= |S|_F^2 |Z - S^-1|_2.
        // The bound (from S's singular values, see pinv_error_bound) must be far below the tolerance
        // for the test to mean anything; 1e-6 then leaves room for rounding in 20 iterations.
        const double bound = S.norm() * S.norm() * pinv_error_bound(S, kExactPinvIterations);
        INFO("n = " << n << ", bound = " << bound);
        REQUIRE(bound < 1e-9);
        test::require_near(as::nystrom_effective(Q, K, Ql, Kl, 1.0, kExactPinvIterations), S, 1e-6);
    }
}

// What `iterations` steps of the iteration give, computed through A's SVD: each singular value
// sigma of A becomes x_k / sigma in Z_k (see pinv_error_bound), so Z_k = V diag(x_k / sigma) U^T.
Matrix iterated_pinv_by_svd(const Matrix& a, int iterations) {
    const double norm1 = a.cwiseAbs().colwise().sum().maxCoeff(), norm_inf = a.cwiseAbs().rowwise().sum().maxCoeff();
    Eigen::JacobiSVD<Eigen::MatrixXd> svd(Eigen::MatrixXd(a), Eigen::ComputeFullU | Eigen::ComputeFullV);
    Eigen::VectorXd scale = svd.singularValues();
    for (int i = 0; i < scale.size(); ++i) {
        const double sigma = scale(i);
        double x = sigma * sigma / (norm1 * norm_inf);
        for (int it = 0; it < iterations; ++it) x = x * (13 - 15 * x + 7 * x * x - x * x * x) / 4;
        scale(i) = sigma > 0 ? x / sigma : 0.0;
    }
    return svd.matrixV() * scale.asDiagonal() * svd.matrixU().transpose();
}

TEST_CASE("variants: nystrom's default 6 iterations equal the iteration computed through the SVD",
          "[variants][nystrom]") {
    const Matrix Q = test_data(12, 4, 71), K = test_data(12, 4, 72);
    const Matrix Ql = ref_segment_means(Q, 4), Kl = ref_segment_means(K, 4);
    const Matrix left = ref_softmax(ref_logits(Q, Kl, 1.0)), middle = ref_softmax(ref_logits(Ql, Kl, 1.0)),
                 right = ref_softmax(ref_logits(Ql, K, 1.0));
    REQUIRE(as::VariantParams{}.pinv_iterations == 6);
    const Matrix expected = left * iterated_pinv_by_svd(middle, 6) * right;
    test::require_near(as::nystrom_effective(Q, K, Ql, Kl, 1.0, 6), expected, 1e-9);
}

TEST_CASE("variants: nystrom with fewer landmarks matches the formula with an exact pseudo-inverse",
          "[variants][nystrom]") {
    const Matrix Q = test_data(9, 4, 61), K = test_data(9, 4, 62);
    const Matrix Ql = ref_segment_means(Q, 3), Kl = ref_segment_means(K, 3);
    const NystromRef r = ref_nystrom(Q, K, Ql, Kl, 0.8);
    REQUIRE(r.bound < 1e-9);
    test::require_near(as::nystrom_effective(Q, K, Ql, Kl, 0.8, kExactPinvIterations), r.effective, 1e-6 + r.bound);
}

TEST_CASE("variants: svd with r = n is the matrix itself, r < n drops the tail (Eckart-Young)",
          "[variants][exact][svd]") {
    Matrix d = Matrix::Zero(2, 2);
    d(0, 0) = 3, d(1, 1) = 4;
    const as::TruncatedSvd one = as::truncated_svd(d, 1);
    Matrix keep4 = Matrix::Zero(2, 2);
    keep4(1, 1) = 4;
    test::require_near(one.effective, keep4, 1e-14);
    REQUIRE(one.S.size() == 1);
    REQUIRE(one.S(0) == Approx(4).margin(1e-14));
    test::require_near(as::singular_values(d), Eigen::Vector2d(4, 3), 1e-14);

    const Matrix A = ref_softmax(ref_logits(test_data(7, 4, 71), test_data(7, 4, 72), 0.5));
    test::require_near(as::truncated_svd(A, 7).effective, A, 1e-13);
    test::require_near(as::truncated_svd(A, 50).effective, A, 1e-13);  // rank clamps to 7
    const Eigen::VectorXd sigma = Eigen::JacobiSVD<Eigen::MatrixXd>(Eigen::MatrixXd(A)).singularValues();
    for (int r = 1; r < 7; ++r) {
        const as::TruncatedSvd s = as::truncated_svd(A, r);
        REQUIRE(s.U.cols() == r);
        REQUIRE(s.V.cols() == r);
        test::require_near(Matrix(s.U.transpose() * s.U), Matrix::Identity(r, r), 1e-12);
        test::require_near(Matrix(s.V.transpose() * s.V), Matrix::Identity(r, r), 1e-12);
        test::require_near(s.S, sigma.head(r), 1e-12);
        test::require_near(s.effective, Matrix(s.U * s.S.asDiagonal() * s.V.transpose()), 1e-13);
        REQUIRE((A - s.effective).norm() == Approx(sigma.tail(7 - r).norm()).margin(1e-12));
    }
}

// =============================================================================================
// Performer

TEST_CASE("variants: performer features are orthogonal within each block of d, Gaussian-length rows",
          "[variants][performer]") {
    for (int d : {1, 4, 8}) {
        for (int f : {1, 3, 8, 12, 20}) {
            INFO("d = " << d << ", features = " << f);
            const Matrix W = as::performer_features(f, d, 5);
            REQUIRE(W.rows() == f);
            REQUIRE(W.cols() == d);
            require_block_orthogonal(W, d);
            test::require_near(as::performer_features(f, d, 5), W, 0.0);
        }
    }
    REQUIRE((as::performer_features(8, 8, 5) - as::performer_features(8, 8, 6)).norm() > 1e-3);
    // Row norms are those of N(0, I_d) vectors: E|w|^2 = d = 8 with standard deviation sqrt(2 d) = 4,
    // so the mean over 4096 rows is 8 +- 0.0625; unit rows (mean 1) or unscaled ones would be far off.
    const Matrix W = as::performer_features(4096, 8, 3);
    REQUIRE(W.rowwise().squaredNorm().mean() == Approx(8.0).margin(0.4));
    REQUIRE(W.rowwise().norm().maxCoeff() - W.rowwise().norm().minCoeff() > 1.0);  // lengths vary
}

TEST_CASE("variants: performer feature directions are isotropic (uniform on the sphere)", "[variants][performer]") {
    // FAVOR+ is unbiased only if each row w of W is distributed as N(0, I_d): its direction must be
    // uniform on the sphere. Over B blocks, the mean unit direction of the r-th row of each block
    // has coordinates of standard error sqrt(1 / (d B)); allow 5 of them. (A QR whose R diagonal
    // keeps arbitrary signs leans row r towards -e_r by about 0.27 at d = 8, and at d = 1 makes
    // every feature positive.)
    for (int d : {1, 2, 8}) {
        const int blocks = 4096 / d;
        const Matrix W = as::performer_features(blocks * d, d, 17);
        Matrix mean = Matrix::Zero(d, d);
        for (int row = 0; row < W.rows(); ++row) mean.row(row % d) += W.row(row).normalized() / blocks;
        const double limit = 5 * std::sqrt(1.0 / (d * blocks));
        INFO("d = " << d << ", mean directions:\n" << mean << "\nlimit " << limit);
        REQUIRE(mean.cwiseAbs().maxCoeff() < limit);
    }
}

TEST_CASE("variants: performer kernel estimate is unbiased: mean phi(x).phi(y) -> exp(x.y / sqrt(d) / T)",
          "[variants][performer]") {
    struct Pair {
        std::vector<double> x, y;
        double T;
    };
    const std::vector<Pair> pairs = {
        {{-1.0, -0.6, 0.0, 0.6, -0.6, 0.0, 0.6, -0.6}, {-1.0, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5}, 1.0},
        {{0.9, -0.4, 0.3, 0.2}, {0.7, 0.5, -0.3, 0.1}, 0.8},
        {{-1.0}, {0.8}, 1.0},
    };
    for (const Pair& p : pairs) {
        const int d = static_cast<int>(p.x.size()), f = 65536;
        const Matrix x = Eigen::Map<const Eigen::RowVectorXd>(p.x.data(), d);
        const Matrix y = Eigen::Map<const Eigen::RowVectorXd>(p.y.data(), d);
        double dot = 0;
        for (int c = 0; c < d; ++c) dot += p.x[c] * p.y[c];
        const double exact = std::exp(dot / std::sqrt(static_cast<double>(d)) / p.T);
        const Matrix W = as::performer_features(f, d, 23);
        const Matrix px = ref_phi(x, W, p.T), py = ref_phi(y, W, p.T);
        // Each feature alone, f phi_r(x) phi_r(y), estimates the kernel; their mean is the estimate.
        double mean = 0, sq = 0;
        for (int r = 0; r < f; ++r) {
            const double e = f * px(0, r) * py(0, r);
            mean += e / f;
            sq += e * e / f;
        }
        const double se = std::sqrt((sq - mean * mean) / f);
        INFO("d = " << d << ": exact " << exact << ", estimate " << mean << ", standard error " << se);
        REQUIRE(se < 0.02 * exact);  // precise enough to see a bias of a few percent
        REQUIRE(std::abs(mean - exact) < 5 * se);
        // And the engine's phi is the same function.
        test::require_near(as::performer_phi(x, W, p.T), px, 1e-12);
    }
}

TEST_CASE("variants: performer_phi and performer_effective follow FAVOR+", "[variants][performer]") {
    const int n = 6, d = 4;
    const Matrix Q = test_data(n, d, 81), K = test_data(n, d, 82), W = as::performer_features(10, d, 1);
    for (double T : {1.0, 0.6}) {
        INFO("T = " << T);
        const Matrix phi = as::performer_phi(Q, W, T);
        test::require_near(phi, ref_phi(Q, W, T), 1e-14);
        REQUIRE((phi.array() > 0).all());
        for (const MaskMatrix& allowed : {all_true(n, n), causal(n)}) {
            const Matrix A = as::performer_effective(Q, K, W, T, allowed);
            test::require_near(A, ref_performer(Q, K, W, T, allowed), 1e-14);
            for (int i = 0; i < n; ++i) {
                REQUIRE(A.row(i).sum() == Approx(1.0).margin(1e-14));
                for (int j = 0; j < n; ++j) {
                    REQUIRE(A(i, j) >= 0);
                    if (!allowed(i, j)) REQUIRE(A(i, j) == 0);
                }
            }
        }
    }
    // An all-masked row gives zeros, not NaN.
    MaskMatrix none = all_true(n, n);
    none.row(2).setConstant(false);
    const Matrix A = as::performer_effective(Q, K, W, 1.0, none);
    test::require_finite(A);
    REQUIRE(A.row(2).isZero());
    // At a low temperature the raw exp() underflows: phi is 0 or denormal dust, so the weights were
    // 0 / 0 (NaN) or all zero. The shifted kernel still gives rows that sum to 1, and at T = 0.5
    // the same weights as the unshifted formula.
    const Matrix Qb = 30.0 * Q, Kb = 30.0 * K;
    for (double T : {1e-3, 1e-2}) {
        INFO("T = " << T);
        const Matrix raw = as::performer_phi(Qb, W, T);
        INFO("raw phi row maxima: " << raw.rowwise().maxCoeff().transpose());
        REQUIRE(raw.maxCoeff() < 1e-300);  // underflowed to (sub)normal dust: what the shift avoids
        const Matrix cold = as::performer_effective(Qb, Kb, W, T, all_true(n, n));
        test::require_finite(cold);
        for (int i = 0; i < n; ++i) REQUIRE(cold.row(i).sum() == Approx(1.0).epsilon(1e-9));
    }
    const Matrix pq = as::performer_phi(Q, W, 0.5), pk = as::performer_phi(K, W, 0.5);
    Matrix direct = pq * pk.transpose();
    for (int i = 0; i < n; ++i) direct.row(i) /= direct.row(i).sum();
    test::require_near(as::performer_effective(Q, K, W, 0.5, all_true(n, n)), direct, 1e-10);
}

TEST_CASE("variants: performer error shrinks as features grow from 16 to 256", "[variants][performer]") {
    // Averaged over 5 seeds so one lucky draw cannot decide; the estimator's error falls like
    // 1/sqrt(features), a factor 4 here.
    const int n = 10, d = 8;
    const Matrix Q = test_data(n, d, 91), K = test_data(n, d, 92);
    const Matrix exact = ref_softmax(ref_logits(Q, K, 1.0));
    auto error = [&](int features) {
        double sum = 0;
        for (std::uint64_t seed = 1; seed <= 5; ++seed)
            sum += rel_frobenius(as::performer_effective(Q, K, as::performer_features(features, d, seed), 1.0,
                                                         all_true(n, n)),
                                 exact);
        return sum / 5;
    };
    const double e16 = error(16), e64 = error(64), e256 = error(256), e4096 = error(4096);
    INFO("errors: 16 -> " << e16 << ", 64 -> " << e64 << ", 256 -> " << e256 << ", 4096 -> " << e4096);
    REQUIRE(e256 < e16);
    REQUIRE(e256 < 0.6 * e16);
    REQUIRE(e4096 < e256);
}

TEST_CASE("variants: performer error shrinks with features through run()", "[variants][performer][run]") {
    // Averaged over 8 heads and 4 seeds. With unit-variance Q and K the FAVOR+ estimator is
    // heavy-tailed at d_head = 8, so its error falls more slowly than 1/sqrt(features): the
    // margin asked for is modest (measured ratio about 0.65).
    auto error = [](int features) {
        double sum = 0;
        int count = 0;
        for (std::uint64_t seed = 1; seed <= 4; ++seed) {
            VariantParams v = params(VariantKind::Performer);
            v.features = features;
            Inputs in = variant_inputs(1, v, Mask::None, Positional::None, 64, 8, seed);
            in.text = "the cat sat on the mat because it was tired and then slept";
            const Trace t = as::run(in);
            for (const as::HeadTrace& h : t.layers[0].heads) {
                sum += rel_frobenius(h.attention, ref_softmax(ref_logits(h.Q, h.K, 1.0)));
                ++count;
            }
        }
        return sum / count;
    };
    const double e16 = error(16), e256 = error(256);
    INFO("errors: 16 -> " << e16 << ", 256 -> " << e256);
    REQUIRE(e256 < e16);
    REQUIRE(e256 < 0.8 * e16);
}

// =============================================================================================
// Exactness through run()

TEST_CASE("variants: run() with covering parameters reproduces exact attention", "[variants][exact][run]") {
    const int n = 7;
    for (Mask mask : {Mask::None, Mask::Causal}) {
        INFO("mask = " << as::name(mask));
        VariantParams local = params(VariantKind::Local);
        local.window = n;
        require_exact_through_run(variant_inputs(n, local, mask), 1e-14);
        VariantParams topk = params(VariantKind::TopK);
        topk.top_k = n;
        require_exact_through_run(variant_inputs(n, topk, mask, Positional::Rope, 16, 2, 7, 0.7), 1e-14);
        VariantParams strided = params(VariantKind::Strided);
        strided.stride = n;
        require_exact_through_run(variant_inputs(n, strided, mask, Positional::Alibi), 1e-14);
        VariantParams fixed = params(VariantKind::Fixed);
        fixed.stride = n;
        fixed.summary = 1;
        require_exact_through_run(variant_inputs(n, fixed, mask), 1e-14);
        VariantParams bigbird = params(VariantKind::BigBird);
        bigbird.block = 2;
        bigbird.window = 4;
        require_exact_through_run(variant_inputs(n, bigbird, mask), 1e-14);
        VariantParams svd = params(VariantKind::Svd);
        svd.rank = n;
        require_exact_through_run(variant_inputs(n, svd, mask, Positional::Relative), 1e-12);
    }
}

TEST_CASE("variants: run() with nystrom landmarks = n reproduces exact attention", "[variants][exact][run][nystrom]") {
    for (int n : {3, 6}) {
        VariantParams v = params(VariantKind::Nystrom);
        v.landmarks = n;
        v.pinv_iterations = kExactPinvIterations;
        const Inputs in = variant_inputs(n, v, Mask::None, Positional::Sinusoidal, 16, 2, 7, 1.0);
        // The tolerance is justified per head: |A_eff - S|_F <= |S|_F^2 |Z - S^-1|_2, bounded from S's
        // singular values (pinv_error_bound); it must be far below 1e-6.
        const Trace t = as::run(in);
        for (const as::HeadTrace& h : t.layers[0].heads) {
            REQUIRE(h.variant.has_value());
            const Matrix S = ref_softmax(ref_logits(h.Q, h.K, 1.0));
            const double bound = S.norm() * S.norm() * pinv_error_bound(S, kExactPinvIterations);
            INFO("n = " << n << ", bound = " << bound);
            REQUIRE(bound < 1e-9);
            test::require_near(h.variant->Q_landmarks, h.Q, 0.0);
            test::require_near(h.variant->K_landmarks, h.K, 0.0);
        }
        require_exact_through_run(in, 1e-6);
    }
}

TEST_CASE("variants: linformer in run() uses k x m random projections, so k = n is not exact",
          "[variants][run][linformer]") {
    // Exactness needs E = F = I (tested on linformer_effective above); run() draws E and F.
    VariantParams v = params(VariantKind::Linformer);
    v.k = 6;
    const Trace t = as::run(variant_inputs(6, v));
    for (const as::HeadTrace& h : t.layers[0].heads) {
        REQUIRE(h.variant.has_value());
        REQUIRE(h.variant->E.rows() == 6);
        REQUIRE(h.variant->E.cols() == 6);
        REQUIRE(h.variant->F.rows() == 6);
        REQUIRE((h.variant->E - h.variant->F).norm() > 0.1);
        const Matrix P = ref_softmax(ref_logits(h.Q, Matrix(h.variant->E * h.K), 1.0));
        test::require_near(h.attention, Matrix(P * h.variant->F), 1e-13);
    }
    REQUIRE((t.layers[0].heads[0].variant->E - t.layers[0].heads[1].variant->E).norm() > 0.1);  // each head its own draw
    REQUIRE(t.layers[0].output_error > 1e-3);
}

// =============================================================================================
// Row sums through run()

TEST_CASE("variants: every normalized variant's rows sum to 1 through run(), with and without a causal mask",
          "[variants][run][property]") {
    VariantParams local = params(VariantKind::Local);
    local.window = 1;
    local.dilation = 2;
    local.global_tokens = {3};
    VariantParams strided = params(VariantKind::Strided);
    strided.stride = 3;
    VariantParams fixed = params(VariantKind::Fixed);
    fixed.stride = 4;
    fixed.summary = 2;
    VariantParams bigbird = params(VariantKind::BigBird);
    bigbird.block = 3;
    bigbird.window = 0;
    bigbird.globals = 1;
    bigbird.random_blocks = 1;
    VariantParams topk = params(VariantKind::TopK);
    topk.top_k = 3;
    VariantParams performer = params(VariantKind::Performer);
    performer.features = 12;
    for (const VariantParams& v : {local, strided, fixed, bigbird, topk, performer})
        for (Mask mask : {Mask::None, Mask::Causal})
            for (Positional pe : {Positional::Sinusoidal, Positional::Rope}) {
                INFO(as::name(v.kind) << ", mask = " << as::name(mask) << ", pe = " << as::name(pe));
                const Trace t = as::run(variant_inputs(13, v, mask, pe, 16, 4, 11, 0.9));
                REQUIRE(t.n() == 13);
                for (const as::HeadTrace& h : t.layers[0].heads) {
                    REQUIRE(h.variant.has_value());
                    test::require_finite(h.attention);
                    for (int i = 0; i < t.n(); ++i) {
                        INFO("row " << i);
                        REQUIRE(h.attention.row(i).sum() == Approx(1.0).margin(1e-12));
                        for (int j = 0; j < t.m(); ++j) {
                            REQUIRE(h.attention(i, j) >= 0);
                            if (mask == Mask::Causal && j > i) REQUIRE(h.attention(i, j) == 0);
                            if (as::is_sparse(v.kind) && !h.variant->pattern(i, j)) REQUIRE(h.attention(i, j) == 0);
                        }
                    }
                }
            }
}

// =============================================================================================
// Every variant recomputed from its exported trace

TEST_CASE("variants: every variant's attention and output are recomputed from to_json(run(inputs))",
          "[variants][run][json]") {
    struct Case {
        const char* label;
        VariantParams v;
        Mask mask;
    };
    std::vector<Case> cases;
    {
        VariantParams v = params(VariantKind::Local);
        v.window = 1, v.dilation = 2, v.global_tokens = {0, 7};
        cases.push_back({"local", v, Mask::None});
        cases.push_back({"local causal", v, Mask::Causal});
        v = params(VariantKind::Strided);
        v.stride = 3;
        cases.push_back({"strided", v, Mask::Causal});
        v = params(VariantKind::Fixed);
        v.stride = 4, v.summary = 2;
        cases.push_back({"fixed", v, Mask::None});
        v = params(VariantKind::BigBird);
        v.block = 3, v.window = 1, v.globals = 1, v.random_blocks = 1;
        cases.push_back({"bigbird", v, Mask::None});
        cases.push_back({"bigbird causal", v, Mask::Causal});
        v = params(VariantKind::TopK);
        v.top_k = 3;
        cases.push_back({"topk", v, Mask::None});
        cases.push_back({"topk causal", v, Mask::Causal});
        v = params(VariantKind::Linformer);
        v.k = 4;
        cases.push_back({"linformer", v, Mask::None});
        v = params(VariantKind::Nystrom);
        v.landmarks = 3;
        v.pinv_iterations = kExactPinvIterations;
        cases.push_back({"nystrom", v, Mask::None});
        v = params(VariantKind::Performer);
        v.features = 12;  // one full block of d_head = 8 and a partial one
        cases.push_back({"performer", v, Mask::None});
        cases.push_back({"performer causal", v, Mask::Causal});
        v = params(VariantKind::Svd);
        v.rank = 3;
        cases.push_back({"svd", v, Mask::None});
        cases.push_back({"svd causal", v, Mask::Causal});
    }
    for (const Case& c : cases) {
        DYNAMIC_SECTION(c.label) {
            const Inputs in = variant_inputs(11, c.v, c.mask, Positional::Sinusoidal, 16, 2, 5, 0.8);
            const json j = json::parse(as::to_json(as::run(in)).dump());  // through text, as a reader gets it
            const json& config = j.at("config");
            // The variant's name and parameters: {"variant": NAME, "variant_params": {...}}
            // (or an object {"name": NAME, ...} under "variant").
            const json& variant = config.at("variant");
            const json& vj = variant.is_object() ? variant : config.at("variant_params");
            const std::string kind = variant.is_object() ? variant.at("name").get<std::string>()
                                                         : variant.get<std::string>();
            REQUIRE(kind == as::name(c.v.kind));
            const double T = config.at("temperature").get<double>();
            const int H = config.at("heads").get<int>(), d = config.at("d_head").get<int>();
            const int n = config.at("n").get<int>(), m = config.at("m").get<int>();
            REQUIRE(n == 11);
            const MaskMatrix allowed = mask_from_json(j.at("mask"));
            require_same_mask(allowed, c.mask == Mask::Causal ? causal(n) : all_true(n, m));

            REQUIRE(j.at("layers").size() == 1u);
            const json& layer = j.at("layers").at(0);
            REQUIRE(layer.at("heads").size() == static_cast<std::size_t>(H));
            Matrix concat(n, H * d), exact_concat(n, H * d);
            for (int h = 0; h < H; ++h) {
                INFO("head " << h);
                const json& head = layer.at("heads").at(h);
                // What the variant used, and the exact result beside it, are in the head's variant record.
                const json& rec = head.at("variant");
                const Matrix Q = M(head.at("Q")), K = M(head.at("K")), V = M(head.at("V"));
                const Matrix logits = ref_logits(Q, K, T, &allowed);
                const Matrix exact = ref_softmax(logits);
                test::require_near(M(rec.at("exact_attention")), exact, 1e-12);
                test::require_near(M(rec.at("exact_output")), Matrix(exact * V), 1e-12);

                Matrix A;
                double eps = 1e-12;
                if (kind == "local" || kind == "strided" || kind == "fixed" || kind == "bigbird" || kind == "topk") {
                    const MaskMatrix pattern = mask_from_json(rec.at("pattern"));
                    if (kind == "local")
                        require_same_mask(pattern, ref_local(n, m, vj.at("window").get<int>(), vj.at("dilation").get<int>(),
                                                             vj.at("global_tokens").get<std::vector<int>>()));
                    if (kind == "strided") require_same_mask(pattern, ref_strided(n, m, vj.at("stride").get<int>()));
                    if (kind == "fixed") require_same_mask(pattern, ref_fixed(n, m, vj.at("stride").get<int>(), vj.at("summary").get<int>()));
                    if (kind == "topk") require_same_mask(pattern, ref_topk(logits, vj.at("top_k").get<int>()));
                    if (kind == "bigbird") {
                        const int b = vj.at("block").get<int>(), w = vj.at("window").get<int>(), g = vj.at("globals").get<int>();
                        for (int i = 0; i < n; ++i)
                            for (int k = 0; k < m; ++k)
                                if (i < g || k < g || std::abs(i / b - k / b) <= w) REQUIRE(pattern(i, k));
                    }
                    const Matrix sparse_logits = masked(logits, pattern);
                    test::require_near(M(head.at("logits")), sparse_logits, 1e-12);
                    A = ref_softmax(sparse_logits);
                } else if (kind == "linformer") {
                    const Matrix E = M(rec.at("E")), F = M(rec.at("F"));
                    REQUIRE(E.rows() == vj.at("k").get<int>());
                    A = ref_softmax(ref_logits(Q, Matrix(E * K), T)) * F;
                } else if (kind == "nystrom") {
                    const Matrix Ql = M(rec.at("Q_landmarks")), Kl = M(rec.at("K_landmarks"));
                    test::require_near(Ql, ref_segment_means(Q, vj.at("landmarks").get<int>()), 1e-15);
                    test::require_near(Kl, ref_segment_means(K, vj.at("landmarks").get<int>()), 1e-15);
                    const NystromRef r = ref_nystrom(Q, K, Ql, Kl, T);
                    INFO("pinv bound " << r.bound);
                    REQUIRE(r.bound < 1e-9);  // the iterative pinv has converged: 1e-6 is ample
                    A = r.effective;
                    eps = 1e-6;
                } else if (kind == "performer") {
                    const Matrix W = M(rec.at("features"));
                    REQUIRE(W.rows() == vj.at("features").get<int>());
                    REQUIRE(W.cols() == d);
                    require_block_orthogonal(W, d);
                    A = ref_performer(Q, K, W, T, allowed);
                } else if (kind == "svd") {
                    const json& s = rec.at("svd");
                    const Matrix U = M(s.at("U")), Vr = M(s.at("V"));
                    const std::vector<double> S = s.at("S").get<std::vector<double>>();
                    const int r = vj.at("rank");
                    REQUIRE(static_cast<int>(S.size()) == r);
                    Matrix US = U;
                    for (int c = 0; c < r; ++c) US.col(c) *= S[c];
                    A = US * Vr.transpose();
                    // And it is the best rank-r approximation of the exact weights, by Eigen's SVD.
                    Eigen::JacobiSVD<Eigen::MatrixXd> svd(Eigen::MatrixXd(exact), Eigen::ComputeFullU | Eigen::ComputeFullV);
                    const Eigen::MatrixXd best = svd.matrixU().leftCols(r) *
                                                 svd.singularValues().head(r).asDiagonal() *
                                                 svd.matrixV().leftCols(r).transpose();
                    for (int c = 0; c < r; ++c) REQUIRE(S[c] == Approx(svd.singularValues()(c)).margin(1e-12));
                    test::require_near(A, best, 1e-10);
                } else {
                    FAIL("no recomputation for " << kind);
                }
                test::require_near(M(head.at("attention")), A, eps);
                test::require_near(M(head.at("output")), Matrix(A * V), eps * 10);
                concat.middleCols(h * d, d) = M(head.at("output"));
                exact_concat.middleCols(h * d, d) = exact * V;
            }
            const Matrix W_O = M(layer.at("weights").at("W_O"));
            test::require_near(M(layer.at("concat")), concat, 0.0);
            test::require_near(M(layer.at("output")), Matrix(concat * W_O), 1e-12);
            const Matrix exact_output = exact_concat * W_O;
            test::require_near(M(layer.at("exact_output")), exact_output, 1e-12);
            REQUIRE(layer.at("comparison").at("output_error").get<double>() ==
                    Approx(rel_frobenius(M(layer.at("output")), exact_output)).margin(1e-12));
        }
    }
}

// =============================================================================================
// Nonsense combinations

TEST_CASE("variants: combinations that make no sense throw Error with the fix", "[variants][run][error]") {
    auto with = [](VariantKind kind, auto&& set, Mask mask = Mask::None, Positional pe = Positional::Sinusoidal,
                   int n = 5) {
        VariantParams v = params(kind);
        set(v);
        return variant_inputs(n, v, mask, pe);
    };
    auto keep = [](VariantParams&) {};
    REQUIRE_ERROR(as::run(with(VariantKind::Linformer, keep, Mask::Causal)),
                  "linformer mixes all keys together before the softmax, so it cannot hide single keys (mask causal)");
    REQUIRE_ERROR(as::run(with(VariantKind::Nystrom, keep, Mask::Causal)), "nystrom mixes all keys together");
    REQUIRE_ERROR(as::run(with(VariantKind::Nystrom, keep, Mask::Padding)), "use mask none, or the performer");
    REQUIRE_ERROR(as::run(with(VariantKind::Linformer, keep, Mask::None, Positional::Alibi)),
                  "linformer approximates softmax(Q K^T) and has no place for a per-pair bias (pe alibi)");
    REQUIRE_ERROR(as::run(with(VariantKind::Linformer, keep, Mask::None, Positional::Relative)), "(pe relative)");
    REQUIRE_ERROR(as::run(with(VariantKind::Performer, keep, Mask::None, Positional::Alibi)),
                  "performer approximates softmax(Q K^T)");
    REQUIRE_ERROR(as::run(with(VariantKind::Performer, keep, Mask::None, Positional::Relative)),
                  "use pe none, sinusoidal, learned or rope");
    REQUIRE_ERROR(as::run(with(VariantKind::Nystrom, keep, Mask::None, Positional::Alibi)), "per-pair bias");
    REQUIRE_ERROR(as::run(with(VariantKind::Nystrom, [](VariantParams& v) { v.landmarks = 9; })),
                  "landmarks (9) > 5 tokens; choose fewer landmarks");
    REQUIRE_ERROR(as::run(with(VariantKind::Local, [](VariantParams& v) { v.global_tokens = {1, 5}; })),
                  "global token 5 is past the end of the text (5 tokens): choose positions 0..4");
    REQUIRE_ERROR(as::run(with(VariantKind::Local, [](VariantParams& v) { v.global_tokens = {-1}; })),
                  "global token (-1) must be between 0");
    REQUIRE_ERROR(as::run(with(VariantKind::Local, [](VariantParams& v) { v.window = -1; })),
                  "window (-1) must be between 0 and 1024");
    REQUIRE_ERROR(as::run(with(VariantKind::Local, [](VariantParams& v) { v.dilation = 0; })), "dilation (0)");
    REQUIRE_ERROR(as::run(with(VariantKind::Strided, [](VariantParams& v) { v.stride = 0; })),
                  "stride (0) must be between 1 and 1024");
    REQUIRE_ERROR(as::run(with(VariantKind::Fixed, [](VariantParams& v) { v.stride = 4, v.summary = 5; })),
                  "summary (5) must be between 1 and 4");
    REQUIRE_ERROR(as::run(with(VariantKind::Fixed, [](VariantParams& v) { v.summary = 0; })), "summary (0)");
    REQUIRE_ERROR(as::run(with(VariantKind::BigBird, [](VariantParams& v) { v.block = 0; })), "block (0)");
    REQUIRE_ERROR(as::run(with(VariantKind::BigBird, [](VariantParams& v) { v.random_blocks = -1; })),
                  "random blocks (-1)");
    REQUIRE_ERROR(as::run(with(VariantKind::TopK, [](VariantParams& v) { v.top_k = 0; })),
                  "top-k (0) must be between 1 and 1024");
    REQUIRE_ERROR(as::run(with(VariantKind::Linformer, [](VariantParams& v) { v.k = 0; })), "k (0) must be between 1");
    REQUIRE_ERROR(as::run(with(VariantKind::Nystrom, [](VariantParams& v) { v.landmarks = 0; })), "landmarks (0)");
    REQUIRE_ERROR(as::run(with(VariantKind::Performer, [](VariantParams& v) { v.features = 0; })),
                  "features (0) must be between 1");
    REQUIRE_ERROR(as::run(with(VariantKind::Svd, [](VariantParams& v) { v.rank = 0; })), "rank (0)");

    // The combinations that do make sense run.
    REQUIRE_NOTHROW(as::run(with(VariantKind::Performer, keep, Mask::Causal, Positional::Rope)));
    REQUIRE_NOTHROW(as::run(with(VariantKind::Local, keep, Mask::Causal, Positional::Alibi)));
    REQUIRE_NOTHROW(as::run(with(VariantKind::Nystrom, [](VariantParams& v) { v.landmarks = 5; })));
    REQUIRE_NOTHROW(as::run(with(VariantKind::Local, [](VariantParams& v) { v.global_tokens = {4}; })));
    REQUIRE_NOTHROW(as::run(with(VariantKind::Svd, keep, Mask::Causal, Positional::Relative)));
}
