// Tests engine/src/random.cpp: splitmix64, uniform and normal draws, named streams.
#include "attnscope/random.hpp"

#include <cmath>

#include "../test_helpers.hpp"

TEST_CASE("next_u64 is splitmix64", "[random]") {
    // Published splitmix64 outputs for state 0 (Vigna's splitmix64.c), also recomputed
    // with a separate big-integer implementation of the algorithm.
    attnscope::Rng rng(0);
    REQUIRE(rng.next_u64() == 0xE220A8397B1DCDAFull);
    REQUIRE(rng.next_u64() == 0x6E789E6AA1B965F4ull);
    REQUIRE(rng.next_u64() == 0x06C45D188009454Full);
}

TEST_CASE("uniform is in 0 <= u < 1 and normal is N(0, 1)", "[random][property]") {
    attnscope::Rng rng(123);
    const int count = 100000;
    double u_sum = 0, n_sum = 0, n_sq = 0;
    for (int i = 0; i < count; ++i) {
        const double u = rng.uniform();
        REQUIRE((u >= 0.0 && u < 1.0));
        u_sum += u;
    }
    for (int i = 0; i < count; ++i) {
        const double z = rng.normal();
        REQUIRE(std::isfinite(z));
        n_sum += z;
        n_sq += z * z;
    }
    // standard errors: uniform mean 0.289 / 316 = 0.0009; normal mean 0.0032; variance 0.0045
    REQUIRE(u_sum / count == Approx(0.5).margin(0.004));
    REQUIRE(std::abs(n_sum / count) < 0.013);
    REQUIRE(n_sq / count == Approx(1.0).margin(0.02));
}

TEST_CASE("random_normal: named streams are deterministic and independent", "[random]") {
    const attnscope::Matrix a = attnscope::random_normal(4, 5, 2.0, 7, "W_Q");
    REQUIRE(a.rows() == 4);
    REQUIRE(a.cols() == 5);
    test::require_near(attnscope::random_normal(4, 5, 2.0, 7, "W_Q"), a, 0.0);
    REQUIRE((attnscope::random_normal(4, 5, 2.0, 7, "W_K") - a).norm() > 0.1);
    REQUIRE((attnscope::random_normal(4, 5, 2.0, 8, "W_Q") - a).norm() > 0.1);
    // stddev scales the same draws
    test::require_near(attnscope::random_normal(4, 5, 1.0, 7, "W_Q") * 2.0, a, 1e-15);
    REQUIRE(attnscope::hash64("a", 1) != attnscope::hash64("a", 2));
    REQUIRE(attnscope::hash64("a", 1) != attnscope::hash64("b", 1));
}
