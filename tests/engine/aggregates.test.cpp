// Tests engine/src/aggregates.cpp against small cases worked out by hand.
#include "attnscope/aggregates.hpp"

#include <cmath>

#include "attnscope/error.hpp"
#include "../test_helpers.hpp"

using namespace attnscope;

TEST_CASE("mean_over_heads averages the heads' attention entry by entry") {
    std::vector<HeadTrace> heads(2);
    heads[0].attention = Matrix{{1.0, 0.0}, {0.2, 0.8}};
    heads[1].attention = Matrix{{1.0, 0.0}, {0.6, 0.4}};
    test::require_near(mean_over_heads(heads), Matrix{{1.0, 0.0}, {0.4, 0.6}}, 1e-15);
    CHECK_THROWS_AS(mean_over_heads({}), Error);
}

TEST_CASE("attention_rollout composes half-residual layers, worked by hand") {
    // Layer 0: 0.5 [[1, 0], [0.5, 0.5]] + 0.5 I = [[1, 0], [0.25, 0.75]] (rows already sum to 1).
    // Layer 1: 0.5 [[1, 0], [1, 0]] + 0.5 I = [[1, 0], [0.5, 0.5]].
    // R_1 = A~_1 R_0 = [[1, 0], [0.5 + 0.125, 0.375]] = [[1, 0], [0.625, 0.375]].
    const std::vector<Matrix> layers = {Matrix{{1.0, 0.0}, {0.5, 0.5}}, Matrix{{1.0, 0.0}, {1.0, 0.0}}};
    const std::vector<Matrix> r = attention_rollout(layers);
    REQUIRE(r.size() == 2);
    test::require_near(r[0], Matrix{{1.0, 0.0}, {0.25, 0.75}}, 1e-15);
    test::require_near(r[1], Matrix{{1.0, 0.0}, {0.625, 0.375}}, 1e-15);
}

TEST_CASE("attention_rollout renormalizes rows and rejects mismatched shapes") {
    // An all-masked row (zeros) becomes 0.5 I's row, renormalized to the identity row.
    const std::vector<Matrix> r = attention_rollout({Matrix{{0.0, 0.0}, {0.5, 0.5}}});
    test::require_near(r[0], Matrix{{1.0, 0.0}, {0.25, 0.75}}, 1e-15);
    CHECK_THROWS_AS(attention_rollout({Matrix::Identity(2, 2), Matrix::Identity(3, 3)}), Error);
    CHECK_THROWS_AS(attention_rollout({Matrix(2, 3)}), Error);
}

TEST_CASE("row_stats: a softmax row is a distribution with its entropy; an effective low-rank row is not") {
    MaskMatrix allowed(2, 3);
    allowed << true, true, true, true, true, false;
    // Row 0: (0.5, 0.25, 0.25): H = 0.5*1 + 2 * 0.25*2 = 1.5 bits. Row 1: a low-rank variant's row,
    // with a negative weight and a sum of 0.7 over the allowed keys (the masked 9 is not counted).
    const Matrix a{{0.5, 0.25, 0.25}, {0.9, -0.2, 9.0}};
    const RowStats softmax = row_stats(a, allowed, 0);
    CHECK(softmax.distribution);
    CHECK(softmax.unmasked == 3);
    CHECK(softmax.entropy_bits == Approx(1.5));
    CHECK(softmax.sum == Approx(1.0));
    CHECK(softmax.min_weight == Approx(0.25));
    CHECK(softmax.argmax == 0);
    const RowStats effective = row_stats(a, allowed, 1);
    CHECK_FALSE(effective.distribution);
    CHECK(std::isnan(effective.entropy_bits));
    CHECK(effective.unmasked == 2);
    CHECK(effective.sum == Approx(0.7));
    CHECK(effective.min_weight == Approx(-0.2));
    CHECK(effective.max_weight == Approx(0.9));
    // Non-negative but not summing to 1 is not a distribution either.
    const Matrix half{{0.25, 0.25, 0.0}};
    MaskMatrix all(1, 3);
    all.setConstant(true);
    CHECK_FALSE(row_stats(half, all, 0).distribution);
}
