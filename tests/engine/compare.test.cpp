// Tests engine/src/compare.cpp: how far a variant is from exact attention (KL, total variation,
// kept mass, relative and best-possible error) and the cost model. Expected values come from
// hand arithmetic, closed forms (Eckart-Young), or loops written here.
#include "attnscope/compare.hpp"

#include <cmath>
#include <string>
#include <vector>

#include "attnscope/run.hpp"
#include "../test_helpers.hpp"

namespace as = attnscope;
using as::Cost;
using as::HeadComparison;
using as::Inputs;
using as::Mask;
using as::MaskMatrix;
using as::Matrix;
using as::Positional;
using as::Trace;
using as::VariantKind;
using as::VariantParams;

namespace {

Matrix rows(std::initializer_list<std::initializer_list<double>> r) {
    Matrix m(static_cast<int>(r.size()), static_cast<int>(r.begin()->size()));
    int i = 0;
    for (const auto& row : r) {
        int j = 0;
        for (double v : row) m(i, j++) = v;
        ++i;
    }
    return m;
}

MaskMatrix mask_rows(std::initializer_list<std::initializer_list<int>> r) {
    MaskMatrix m(static_cast<int>(r.size()), static_cast<int>(r.begin()->size()));
    int i = 0;
    for (const auto& row : r) {
        int j = 0;
        for (int v : row) m(i, j++) = v != 0;
        ++i;
    }
    return m;
}

std::string words(int count) {
    std::string text;
    for (int i = 0; i < count; ++i) text.append("w").append(std::to_string(i)).append(" ");
    return text;
}

Inputs variant_inputs(int n, VariantKind kind, Mask mask = Mask::None, int d_model = 16, int heads = 2) {
    Inputs in;
    in.text = words(n);
    in.d_model = d_model;
    in.heads = heads;
    in.pe = Positional::Sinusoidal;
    in.mask = mask;
    in.variant.kind = kind;
    return in;
}

// sigma_1 >= sigma_2 >= ... of `a`, by Eigen's Jacobi SVD (not the engine's BDCSVD).
Eigen::VectorXd jacobi_singular_values(const Matrix& a) {
    return Eigen::JacobiSVD<Eigen::MatrixXd>(Eigen::MatrixXd(a)).singularValues();
}

double rel_frobenius(const Matrix& a, const Matrix& b) {
    double diff = 0, base = 0;
    for (int i = 0; i < a.rows(); ++i)
        for (int j = 0; j < a.cols(); ++j) {
            diff += (a(i, j) - b(i, j)) * (a(i, j) - b(i, j));
            base += b(i, j) * b(i, j);
        }
    return std::sqrt(diff / base);
}

}  // namespace

// =============================================================================================
// compare_head by hand

TEST_CASE("compare_head: exact [0.5, 0.5] against variant [1, 0] by hand", "[compare][hand]") {
    const Matrix exact = rows({{0.5, 0.5}}), variant = rows({{1.0, 0.0}});
    const MaskMatrix pattern = mask_rows({{1, 0}});
    const HeadComparison c = as::compare_head(exact, variant, &pattern, 0);
    REQUIRE(c.tv.size() == 1);
    REQUIRE(c.kl.size() == 1);
    // tv = 0.5 (|1 - 0.5| + |0 - 0.5|) = 0.5
    REQUIRE(c.tv[0] == Approx(0.5).margin(1e-15));
    // KL(variant || exact) = 1 ln(1 / 0.5) + 0 = ln 2 (the 0 ln 0 term is 0)
    REQUIRE(c.kl[0] == Approx(std::log(2.0)).margin(1e-15));
    REQUIRE(c.mean_kl == Approx(std::log(2.0)).margin(1e-15));
    REQUIRE(c.mean_tv == Approx(0.5).margin(1e-15));
    REQUIRE(c.max_tv == Approx(0.5).margin(1e-15));
    // The pattern keeps key 0, which holds 0.5 of the exact row's weight.
    REQUIRE(c.mass_kept == Approx(0.5).margin(1e-15));
    // |[0.5, -0.5]| / |[0.5, 0.5]| = 1
    REQUIRE(c.attention_error == Approx(1.0).margin(1e-15));
    // A 1 x 2 matrix has one singular value, its norm sqrt(0.5).
    REQUIRE(c.spectrum.size() == 1);
    REQUIRE(c.spectrum(0) == Approx(std::sqrt(0.5)).margin(1e-15));
    REQUIRE(c.rank == 0);
    REQUIRE(c.best_rank_error == 0);

    // Without a pattern (a low-rank variant) nothing is dropped: mass_kept is 1.
    REQUIRE(as::compare_head(exact, variant, nullptr, 1).mass_kept == 1.0);
}

TEST_CASE("compare_head: two rows by hand", "[compare][hand]") {
    const Matrix exact = rows({{0.5, 0.5}, {0.25, 0.75}});
    const Matrix variant = rows({{1.0, 0.0}, {0.0, 1.0}});
    const MaskMatrix pattern = mask_rows({{1, 0}, {0, 1}});
    const HeadComparison c = as::compare_head(exact, variant, &pattern, 1);
    // Row 1: tv = 0.5 (0.25 + 0.25) = 0.25; KL = 1 ln(1 / 0.75) = ln(4/3).
    test::require_near(c.tv, std::vector<double>{0.5, 0.25}, 1e-15);
    test::require_near(c.kl, std::vector<double>{std::log(2.0), std::log(4.0 / 3.0)}, 1e-15);
    REQUIRE(c.mean_tv == Approx(0.375).margin(1e-15));
    REQUIRE(c.max_tv == Approx(0.5).margin(1e-15));
    REQUIRE(c.mean_kl == Approx(std::log(8.0 / 3.0) / 2).margin(1e-15));
    // Kept mass: (0.5 + 0.75) / 2
    REQUIRE(c.mass_kept == Approx(0.625).margin(1e-15));
    // |variant - exact|^2 = 0.25 + 0.25 + 0.0625 + 0.0625 = 0.625; |exact|^2 = 1.125: sqrt(5/9)
    REQUIRE(c.attention_error == Approx(std::sqrt(5.0) / 3).margin(1e-15));
    // Singular values of exact: s1^2 + s2^2 = |exact|_F^2 = 1.125, s1 s2 = |det| = 0.25.
    REQUIRE(c.spectrum.size() == 2);
    REQUIRE(c.spectrum(0) >= c.spectrum(1));
    REQUIRE(c.spectrum.squaredNorm() == Approx(1.125).margin(1e-14));
    REQUIRE(c.spectrum(0) * c.spectrum(1) == Approx(0.25).margin(1e-14));
    // Rank 1: the best error is s2 / |exact|_F.
    REQUIRE(c.rank == 1);
    REQUIRE(c.best_rank_error == Approx(c.spectrum(1) / std::sqrt(1.125)).margin(1e-14));
}

TEST_CASE("compare_head: best_rank_error of diag(3, 4) is 3/5 at rank 1 (Eckart-Young)", "[compare][hand]") {
    Matrix d = Matrix::Zero(2, 2);
    d(0, 0) = 3, d(1, 1) = 4;
    const HeadComparison one = as::compare_head(d, d, nullptr, 1);
    test::require_near(one.spectrum, Eigen::Vector2d(4, 3), 1e-14);
    // Keeping sigma = 4 leaves sigma = 3: sqrt(9 / (9 + 16)) = 3/5.
    REQUIRE(one.best_rank_error == Approx(0.6).margin(1e-14));
    REQUIRE(one.rank == 1);
    REQUIRE(one.attention_error == 0);
    REQUIRE(as::compare_head(d, d, nullptr, 2).best_rank_error == Approx(0.0).margin(1e-14));
    REQUIRE(as::compare_head(d, d, nullptr, 9).best_rank_error == Approx(0.0).margin(1e-14));  // rank past the size
    REQUIRE(as::compare_head(d, d, nullptr, 0).best_rank_error == 0);  // not a low-rank variant
}

TEST_CASE("compare_head: a row that is not a distribution has NaN KL, and TV still counts", "[compare][edge]") {
    // Row 0 has a negative weight, row 1 sums to 0.9: neither is a distribution.
    const Matrix exact = rows({{0.5, 0.5}, {0.5, 0.5}, {0.5, 0.5}});
    const Matrix variant = rows({{1.5, -0.5}, {0.45, 0.45}, {0.5, 0.5}});
    const HeadComparison c = as::compare_head(exact, variant, nullptr, 1);
    REQUIRE(std::isnan(c.kl[0]));
    REQUIRE(std::isnan(c.kl[1]));
    REQUIRE(c.kl[2] == Approx(0.0).margin(1e-15));
    REQUIRE(std::isnan(c.mean_kl));
    // tv row 0 = 0.5 (1 + 1) = 1; row 1 = 0.5 (0.05 + 0.05) = 0.05; row 2 = 0.
    test::require_near(c.tv, std::vector<double>{1.0, 0.05, 0.0}, 1e-15);
    REQUIRE(c.max_tv == Approx(1.0).margin(1e-15));
}

TEST_CASE("compare_head: a row with nothing to attend to is no disagreement", "[compare][edge]") {
    // Row 0 is fully masked in both (a causal + padding mask on a leading <pad>): all zeros.
    const Matrix exact = rows({{0.0, 0.0}, {0.5, 0.5}});
    const Matrix variant = rows({{0.0, 0.0}, {1.0, 0.0}});
    const MaskMatrix pattern = mask_rows({{1, 0}, {1, 0}});
    const HeadComparison c = as::compare_head(exact, variant, &pattern, 0);
    REQUIRE(c.tv[0] == 0);
    REQUIRE(c.kl[0] == 0);
    REQUIRE(c.kl[1] == Approx(std::log(2.0)).margin(1e-15));
    REQUIRE(c.mean_kl == Approx(std::log(2.0) / 2).margin(1e-15));
    // Only row 1 has exact weight to keep, and keeps half of it.
    REQUIRE(c.mass_kept == Approx(0.5).margin(1e-15));
}

TEST_CASE("relative_error is |a - b|_F / |b|_F, and 0 for two zero matrices", "[compare][hand]") {
    REQUIRE(as::relative_error(rows({{1, 2}}), rows({{1, 0}})) == Approx(2.0).margin(1e-15));
    REQUIRE(as::relative_error(rows({{3, 4}}), rows({{0, 0}})) == Approx(5.0).margin(1e-15));  // |diff| when b = 0
    REQUIRE(as::relative_error(rows({{0, 0}}), rows({{0, 0}})) == 0);
    REQUIRE(as::relative_error(rows({{1, 1}, {1, 1}}), rows({{1, 1}, {1, 1}})) == 0);
}

// =============================================================================================
// compare_head through run()

TEST_CASE("compare_head through run(): every field matches a recomputation from the head's weights",
          "[compare][run]") {
    struct Case {
        VariantKind kind;
        Mask mask;
    };
    for (Case c : {Case{VariantKind::Local, Mask::Causal}, Case{VariantKind::TopK, Mask::None},
                   Case{VariantKind::BigBird, Mask::Causal}, Case{VariantKind::Linformer, Mask::None},
                   Case{VariantKind::Nystrom, Mask::None}, Case{VariantKind::Performer, Mask::Causal},
                   Case{VariantKind::Svd, Mask::None}, Case{VariantKind::Svd, Mask::Causal}}) {
        INFO(as::name(c.kind) << ", mask = " << as::name(c.mask));
        Inputs in = variant_inputs(9, c.kind, c.mask);
        in.variant.window = 1;
        in.variant.top_k = 3;
        in.variant.k = 3;
        in.variant.landmarks = 3;
        in.variant.features = 8;
        in.variant.rank = 2;
        const Trace t = as::run(in);
        const bool sparse = as::is_sparse(c.kind);
        const int expected_rank = c.kind == VariantKind::Linformer   ? 3
                                  : c.kind == VariantKind::Nystrom   ? 3
                                  : c.kind == VariantKind::Performer ? 8
                                  : c.kind == VariantKind::Svd       ? 2
                                                                     : 0;
        for (const as::HeadTrace& h : t.layers[0].heads) {
            REQUIRE(h.variant.has_value());
            const HeadComparison& cmp = h.variant->comparison;
            const Matrix& A = h.attention;
            const Matrix& E = h.variant->exact_attention;
            const int n = static_cast<int>(A.rows());
            REQUIRE(static_cast<int>(cmp.kl.size()) == n);
            REQUIRE(static_cast<int>(cmp.tv.size()) == n);
            double mean_tv = 0, max_tv = 0, kept = 0;
            for (int i = 0; i < n; ++i) {
                double tv = 0, kl = 0, sum = 0;
                bool nonnegative = true;
                for (int j = 0; j < A.cols(); ++j) {
                    tv += std::abs(A(i, j) - E(i, j)) / 2;
                    if (A(i, j) > 0) kl += A(i, j) * std::log(A(i, j) / E(i, j));
                    sum += A(i, j);
                    nonnegative = nonnegative && A(i, j) >= 0;
                    if (sparse && h.variant->pattern(i, j)) kept += E(i, j) / n;
                }
                REQUIRE(cmp.tv[i] == Approx(tv).margin(1e-12));
                if (nonnegative && std::abs(sum - 1) < 1e-9)
                    REQUIRE(cmp.kl[i] == Approx(kl).margin(1e-12));
                else
                    REQUIRE(std::isnan(cmp.kl[i]));
                mean_tv += tv / n;
                max_tv = std::max(max_tv, tv);
            }
            REQUIRE(cmp.mean_tv == Approx(mean_tv).margin(1e-12));
            REQUIRE(cmp.max_tv == Approx(max_tv).margin(1e-12));
            REQUIRE(cmp.mass_kept == Approx(sparse ? kept : 1.0).margin(1e-12));
            REQUIRE(cmp.attention_error == Approx(rel_frobenius(A, E)).margin(1e-12));
            const Eigen::VectorXd sigma = jacobi_singular_values(E);
            test::require_near(cmp.spectrum, sigma, 1e-12);
            REQUIRE(cmp.rank == expected_rank);
            if (expected_rank > 0) {
                const int r = std::min<int>(expected_rank, static_cast<int>(sigma.size()));
                const double best = sigma.tail(sigma.size() - r).norm() / sigma.norm();
                REQUIRE(cmp.best_rank_error == Approx(best).margin(1e-12));
                // A rank-r matrix cannot beat Eckart-Young; the truncated SVD attains it.
                REQUIRE(cmp.attention_error >= best - 1e-12);
                if (c.kind == VariantKind::Svd) REQUIRE(cmp.attention_error == Approx(best).margin(1e-12));
            }
            // Sparse and Performer rows are distributions, so their KL is finite; Linformer's are not
            // (F has negative entries), so it is NaN.
            if (sparse || c.kind == VariantKind::Performer) REQUIRE(std::isfinite(cmp.mean_kl));
            if (c.kind == VariantKind::Linformer) REQUIRE(std::isnan(cmp.mean_kl));
        }
    }
}

TEST_CASE("compare_head through run(): a fully masked row keeps the head's mean KL finite", "[compare][run][edge]") {
    // "<pad> ..." with causal + padding: query 0 may see only key 0, which is padding.
    Inputs in = variant_inputs(1, VariantKind::Local, Mask::CausalPadding);
    in.text = "<pad> the cat sat on";
    in.variant.window = 1;
    const Trace t = as::run(in);
    for (const as::HeadTrace& h : t.layers[0].heads) {
        REQUIRE(h.variant.has_value());
        REQUIRE(h.variant->exact_attention.row(0).isZero());
        REQUIRE(h.attention.row(0).isZero());
        REQUIRE(h.variant->comparison.kl[0] == 0);
        REQUIRE(std::isfinite(h.variant->comparison.mean_kl));
        for (int i = 1; i < t.n(); ++i) REQUIRE(std::isfinite(h.variant->comparison.kl[i]));
    }
}

// =============================================================================================
// Cost model

TEST_CASE("attention_cost: dense by hand", "[compare][cost][hand]") {
    // heads 2, n 3, m 5, d 2: per head 4 n m d + 3 n m = 120 + 45 = 165 flops.
    const Cost c = as::attention_cost(VariantParams{}, 3, 5, 2, 2);
    REQUIRE(c.flops == Approx(330).margin(1e-9));
    // fp32 bytes per head: read Q, K, V and write the output (2 n d + 2 m d = 32 values) plus the
    // n m weights (15 values): 47 * 4 = 188; two heads 376.
    REQUIRE(c.bytes == Approx(376).margin(1e-9));
    // One head, n = m = 1, d = 1: 4 + 3 = 7.
    REQUIRE(as::attention_cost(VariantParams{}, 1, 1, 1, 1).flops == Approx(7).margin(1e-12));
}

TEST_CASE("attention_cost: sparse variants pay for kept pairs only (top-k also for every score)",
          "[compare][cost][hand]") {
    VariantParams local;
    local.kind = VariantKind::Local;
    // kept 13 pairs, d 2, heads 2: (4 * 13 * 2 + 3 * 13) * 2 = (104 + 39) * 2 = 286.
    REQUIRE(as::attention_cost(local, 5, 5, 2, 2, 13).flops == Approx(286).margin(1e-9));
    VariantParams topk;
    topk.kind = VariantKind::TopK;
    // plus the 2 n m d = 100 flops of the full score matrix per head: 286 + 200 = 486.
    REQUIRE(as::attention_cost(topk, 5, 5, 2, 2, 13).flops == Approx(486).margin(1e-9));
    // Keeping every pair costs what dense does.
    REQUIRE(as::attention_cost(local, 5, 5, 2, 2, 25).flops ==
            Approx(as::attention_cost(VariantParams{}, 5, 5, 2, 2).flops).margin(1e-9));
}

TEST_CASE("attention_cost through run(): local grows linearly in n, dense quadratically", "[compare][cost][run]") {
    // Local with window w keeps n (2w + 1) - w (w + 1) pairs (the first and last w rows lose some).
    const int w = 2, d_model = 16, heads = 2, d = d_model / heads;
    auto local_run = [&](int n) {
        Inputs in = variant_inputs(n, VariantKind::Local, Mask::None, d_model, heads);
        in.variant.window = w;
        return as::run(in);
    };
    const Trace small = local_run(64), large = local_run(128);
    REQUIRE(small.n() == 64);
    REQUIRE(large.n() == 128);
    for (const Trace* t : {&small, &large}) {
        const double n = t->n(), kept = n * (2 * w + 1) - w * (w + 1);
        REQUIRE(t->layers[0].cost.flops == Approx(heads * (4 * kept * d + 3 * kept)).margin(1e-6));
        REQUIRE(t->layers[0].dense_cost.flops == Approx(heads * (4 * n * n * d + 3 * n * n)).margin(1e-6));
    }
    const double local_ratio = large.layers[0].cost.flops / small.layers[0].cost.flops;
    const double dense_ratio = large.layers[0].dense_cost.flops / small.layers[0].dense_cost.flops;
    INFO("local ratio " << local_ratio << ", dense ratio " << dense_ratio);
    REQUIRE(local_ratio == Approx(2.0).margin(0.05));
    REQUIRE(dense_ratio == Approx(4.0).margin(1e-12));
    REQUIRE(large.layers[0].cost.flops < large.layers[0].dense_cost.flops);
}

TEST_CASE("attention_cost: low-rank variants are linear in n, svd costs more than dense", "[compare][cost]") {
    for (VariantKind kind : {VariantKind::Linformer, VariantKind::Performer, VariantKind::Nystrom}) {
        VariantParams v;
        v.kind = kind;
        const double c1 = as::attention_cost(v, 512, 512, 16, 4).flops, c2 = as::attention_cost(v, 1024, 1024, 16, 4).flops;
        INFO(as::name(kind) << ": " << c1 << " -> " << c2);
        // Every term of Linformer's and the Performer's cost has one factor n or m; Nystrom adds a
        // pseudo-inverse that does not grow with n.
        if (kind == VariantKind::Nystrom) {
            REQUIRE(c2 / c1 > 1.5);
            REQUIRE(c2 / c1 < 2.0);
        } else {
            REQUIRE(c2 / c1 == Approx(2.0).margin(1e-12));
        }
        REQUIRE(c2 < as::attention_cost(VariantParams{}, 1024, 1024, 16, 4).flops);
    }
    VariantParams svd;
    svd.kind = VariantKind::Svd;
    REQUIRE(as::attention_cost(svd, 64, 64, 16, 4).flops > as::attention_cost(VariantParams{}, 64, 64, 16, 4).flops);
}
