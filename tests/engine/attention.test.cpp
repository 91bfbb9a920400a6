// Tests engine/src/attention.cpp: attention_mask, scale_scores, apply_mask, softmax_rows.
// Expected values are computed by hand (arithmetic in the comments) or by naive loops.
#include "attnscope/attention.hpp"

#include <cmath>

#include "../test_helpers.hpp"

using attnscope::Matrix;
using attnscope::MaskMatrix;

namespace {

MaskMatrix all_allowed(int n, int m) { return MaskMatrix::Constant(n, m, true); }
const Matrix kNoBias;  // 0 x 0: no bias

// The logits as run() makes them: scale, then mask.
Matrix scaled_logits(const Matrix& scores, int d_head, const Matrix& bias, const MaskMatrix& allowed, double T) {
    return attnscope::apply_mask(attnscope::scale_scores(scores, d_head, bias, T), allowed);
}

}  // namespace

TEST_CASE("one query 1 against keys 1, 2, 3 with d_k = 1 gives softmax(1, 2, 3)", "[attention][hand]") {
    // scores = q k^T = [1*1, 1*2, 1*3] = [1, 2, 3]; logits = scores / sqrt(1) = [1, 2, 3]
    // e^1 = 2.718281828, e^2 = 7.389056099, e^3 = 20.085536923, sum = 30.192874850
    // weights = [2.718281828, 7.389056099, 20.085536923] / 30.192874850
    //         = [0.0900306, 0.2447285, 0.6652410]
    Matrix q(1, 1), k(3, 1);
    q << 1;
    k << 1, 2, 3;
    const Matrix scores = q * k.transpose();
    const Matrix logits = scaled_logits(scores, 1, kNoBias, all_allowed(1, 3), 1.0);
    Matrix expected_logits(1, 3);
    expected_logits << 1, 2, 3;
    test::require_near(logits, expected_logits, 1e-15);

    const Matrix weights = attnscope::softmax_rows(logits);
    Matrix rounded(1, 3);
    rounded << 0.0900, 0.2447, 0.6652;  // the values quoted in the issue, to 4 places
    test::require_near(weights, rounded, 1e-4);
    Matrix precise(1, 3);
    precise << 0.09003057317, 0.24472847105, 0.66524095577;
    test::require_near(weights, precise, 1e-10);
}

TEST_CASE("3 tokens, d = 2, computed by hand", "[attention][hand]") {
    Matrix Q(3, 2), K(3, 2), V(3, 2);
    Q << 1, 0,   //
        0, 1,    //
        1, 1;
    K << 1, 0,   //
        0, 2,    //
        1, 1;
    V << 1, 2,   //
        3, 4,    //
        5, 6;
    // scores = Q K^T:
    //   q0 = (1,0): k0 -> 1, k1 -> 0, k2 -> 1
    //   q1 = (0,1): k0 -> 0, k1 -> 2, k2 -> 1
    //   q2 = (1,1): k0 -> 1, k1 -> 2, k2 -> 2
    const Matrix scores = Q * K.transpose();
    Matrix expected_scores(3, 3);
    expected_scores << 1, 0, 1,  //
        0, 2, 1,                 //
        1, 2, 2;
    test::require_near(scores, expected_scores, 0.0);

    // logits = scores / sqrt(2); r = 1/sqrt(2) = 0.70710678, 2r = 1.41421356
    const double r = 0.7071067811865476;
    const Matrix logits = scaled_logits(scores, 2, kNoBias, all_allowed(3, 3), 1.0);
    Matrix expected_logits(3, 3);
    expected_logits << r, 0, r,  //
        0, 2 * r, r,             //
        r, 2 * r, 2 * r;
    test::require_near(logits, expected_logits, 1e-15);

    // e^r = 2.0281149816, e^2r = 4.1132503788
    // row 0: [2.0281, 1, 2.0281] / 5.0562299633     = [0.40111209, 0.19777581, 0.40111209]
    // row 1: [1, 4.1133, 2.0281] / 7.1413653604     = [0.14002925, 0.57597535, 0.28399541]
    // row 2: [2.0281, 4.1133, 4.1133] / 10.2546157392 = [0.19777581, 0.40111209, 0.40111209]
    const Matrix weights = attnscope::softmax_rows(logits);
    Matrix expected_weights(3, 3);
    expected_weights << 0.40111209, 0.19777581, 0.40111209,  //
        0.14002925, 0.57597535, 0.28399541,                  //
        0.19777581, 0.40111209, 0.40111209;
    test::require_near(weights, expected_weights, 1e-8);

    // V rows are (1 + 2j, 2 + 2j), so output_i = (1 + 2 E_i[j], 2 + 2 E_i[j]) with E_i[j] = w_i1 + 2 w_i2:
    //   row 0: E = 0.19777581 + 0.80222418 = 1.0        -> (3, 4)
    //   row 1: E = 0.57597535 + 0.56799082 = 1.14396617 -> (3.28793233, 4.28793233)
    //   row 2: E = 0.40111209 + 0.80222418 = 1.20333627 -> (3.40667256, 4.40667256)
    const Matrix output = weights * V;
    Matrix expected_output(3, 2);
    expected_output << 3.0, 4.0,     //
        3.28793233, 4.28793233,      //
        3.40667256, 4.40667256;
    test::require_near(output, expected_output, 1e-7);

    SECTION("with a causal mask") {
        const MaskMatrix causal = attnscope::attention_mask(3, 3, true, {});
        const Matrix masked = attnscope::softmax_rows(scaled_logits(scores, 2, kNoBias, causal, 1.0));
        // row 0 sees only key 0 -> [1, 0, 0]
        // row 1 sees keys 0,1 with logits [0, 2r]: [1, 4.1132503788] / 5.1132503788 = [0.19557032, 0.80442968]
        // row 2 sees all keys: unchanged from above
        Matrix expected(3, 3);
        expected << 1, 0, 0,                         //
            0.19557032, 0.80442968, 0,               //
            0.19777581, 0.40111209, 0.40111209;
        test::require_near(masked, expected, 1e-8);
        // row 1 output: (1 + 2 * 0.80442968, 2 + 2 * 0.80442968) = (2.60885937, 3.60885937)
        const Matrix out = masked * V;
        test::require_near(out.row(0), Eigen::RowVector2d(1, 2), 1e-15);
        test::require_near(out.row(1), Eigen::RowVector2d(2.60885937, 3.60885937), 1e-7);
    }
}

TEST_CASE("scale_scores and apply_mask: (scores / sqrt(d_head) + bias) / T, -inf where masked", "[attention]") {
    SECTION("one cell by hand") {
        // (8 / sqrt(16) + 1) / 2 = (2 + 1) / 2 = 1.5
        Matrix s(1, 1), b(1, 1);
        s << 8;
        b << 1;
        const Matrix l = attnscope::scale_scores(s, 16, b, 2.0);
        REQUIRE(l(0, 0) == Approx(1.5).epsilon(1e-15));
        MaskMatrix hidden(1, 1);
        hidden(0, 0) = false;
        REQUIRE(attnscope::apply_mask(l, hidden)(0, 0) == -INFINITY);
        REQUIRE(attnscope::apply_mask(l, all_allowed(1, 1))(0, 0) == l(0, 0));
    }
    SECTION("every cell against a loop") {
        Matrix s(3, 4), b(3, 4);
        s << 1.5, -2, 0.25, 7,  //
            3, 3.5, -1, 0,      //
            -4, 2, 8, -0.5;
        b << 0, -1, -2, -3,     //
            -1, 0, -1, -2,      //
            0.5, 0.25, 0, 1;
        MaskMatrix allowed = all_allowed(3, 4);
        allowed(0, 3) = false;
        allowed(2, 0) = false;
        for (const double T : {1.0, 0.5, 3.0})
            for (const int d : {1, 4, 9, 64}) {
                const Matrix scaled = attnscope::scale_scores(s, d, b, T);
                const Matrix l = attnscope::apply_mask(scaled, allowed);
                const Matrix unbiased = scaled_logits(s, d, kNoBias, allowed, T);
                Matrix expected_scaled(3, 4), expected(3, 4), expected_unbiased(3, 4);
                for (int i = 0; i < 3; ++i)
                    for (int j = 0; j < 4; ++j) {
                        expected_scaled(i, j) = (s(i, j) / std::sqrt(d) + b(i, j)) / T;
                        expected(i, j) = allowed(i, j) ? expected_scaled(i, j) : -INFINITY;
                        expected_unbiased(i, j) = allowed(i, j) ? s(i, j) / std::sqrt(d) / T : -INFINITY;
                    }
                INFO("d_head = " << d << ", T = " << T);
                test::require_near(scaled, expected_scaled, 1e-13);  // no mask yet: every cell finite
                test::require_near(l, expected, 1e-13);
                test::require_near(unbiased, expected_unbiased, 1e-13);
            }
    }
}

TEST_CASE("softmax_rows: rows are probability distributions", "[attention][property]") {
    Matrix logits(4, 5);
    logits << 0.3, -1.2, 2.5, 0.0, 1.1,  //
        10, 10, 10, 10, 10,              //
        -50, 3, -7, 0.5, 2,              //
        1, 2, 3, 4, 5;
    const Matrix w = attnscope::softmax_rows(logits);
    for (int i = 0; i < w.rows(); ++i) {
        INFO("row " << i);
        REQUIRE(w.row(i).sum() == Approx(1.0).epsilon(1e-14));
        REQUIRE(w.row(i).minCoeff() >= 0.0);
    }
    // Equal logits give the uniform distribution: 1/5 each.
    test::require_near(w.row(1), Eigen::RowVectorXd::Constant(5, 0.2), 1e-15);
    // Softmax is invariant to adding a constant to a row.
    Matrix shifted = logits;
    shifted.row(0).array() += 123.0;
    test::require_near(attnscope::softmax_rows(shifted), w, 1e-14);
    // Against the textbook formula exp(x_j) / sum_k exp(x_k), fine for these small logits.
    for (int i = 0; i < logits.rows(); ++i) {
        const Eigen::RowVectorXd e = logits.row(i).array().exp();
        test::require_near(w.row(i), e / e.sum(), 1e-14);
    }
}

TEST_CASE("softmax_rows: a fully masked row gives zeros, never NaN", "[attention][edge]") {
    Matrix logits(2, 3);
    logits << attnscope::kMasked, attnscope::kMasked, attnscope::kMasked,  //
        attnscope::kMasked, 0.0, attnscope::kMasked;
    const Matrix w = attnscope::softmax_rows(logits);
    test::require_finite(w);
    test::require_near(w.row(0), Eigen::RowVector3d(0, 0, 0), 0.0);
    // A row with a single allowed key puts all weight on it.
    test::require_near(w.row(1), Eigen::RowVector3d(0, 1, 0), 0.0);
}

TEST_CASE("softmax_rows: huge logits stay finite", "[attention][edge]") {
    Matrix logits(2, 4);
    logits << 3e4, 2e4, 1e4, attnscope::kMasked,  //
        1e4, 1e4 - 1, -1e4, attnscope::kMasked;
    const Matrix w = attnscope::softmax_rows(logits);
    test::require_finite(w);
    // exp(-1e4) underflows to exactly 0 after subtracting the row max: a one-hot row.
    test::require_near(w.row(0), Eigen::RowVector4d(1, 0, 0, 0), 0.0);
    // 1 / (1 + e^-1) = 0.7310585786, e^-1 / (1 + e^-1) = 0.2689414214
    test::require_near(w.row(1), Eigen::RowVector4d(0.7310585786300049, 0.2689414213699951, 0, 0), 1e-15);
}

TEST_CASE("attention_mask: causal hides the future, padding hides padded keys", "[attention][mask]") {
    SECTION("none") {
        const MaskMatrix m = attnscope::attention_mask(3, 4, false, {});
        REQUIRE(m.rows() == 3);
        REQUIRE(m.cols() == 4);
        REQUIRE(m.all());
    }
    SECTION("causal: allowed exactly when j <= i") {
        const MaskMatrix m = attnscope::attention_mask(5, 5, true, {});
        for (int i = 0; i < 5; ++i)
            for (int j = 0; j < 5; ++j) {
                INFO("(" << i << "," << j << ")");
                REQUIRE(m(i, j) == (j <= i));
            }
    }
    SECTION("padding: whole columns of padded keys are hidden") {
        const MaskMatrix m = attnscope::attention_mask(2, 4, false, {false, true, false, true});
        for (int i = 0; i < 2; ++i) {
            REQUIRE(m(i, 0));
            REQUIRE_FALSE(m(i, 1));
            REQUIRE(m(i, 2));
            REQUIRE_FALSE(m(i, 3));
        }
    }
    SECTION("causal + padding: both at once; a padded first key empties row 0") {
        const MaskMatrix m = attnscope::attention_mask(3, 3, true, {true, false, false});
        // row 0: key 0 padded, keys 1,2 in the future -> nothing allowed
        REQUIRE_FALSE(m.row(0).any());
        REQUIRE_FALSE(m(1, 0));
        REQUIRE(m(1, 1));
        REQUIRE_FALSE(m(1, 2));
        REQUIRE_FALSE(m(2, 0));
        REQUIRE(m(2, 1));
        REQUIRE(m(2, 2));
    }
}
