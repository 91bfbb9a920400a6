// Tests engine/src/embedding.cpp: a token's vector depends only on (token string, seed).
#include "attnscope/embedding.hpp"

#include <cmath>
#include <string>
#include <vector>

#include "../test_helpers.hpp"

using attnscope::Matrix;

TEST_CASE("the same token gets the same vector for a seed", "[embedding]") {
    const Matrix e = attnscope::embed({"the", "cat", "sat", "on", "the", "mat"}, 16, 7);
    REQUIRE(e.rows() == 6);
    REQUIRE(e.cols() == 16);
    test::require_near(e.row(0), e.row(4), 0.0);  // both "the"
    // Wherever it appears and whatever surrounds it.
    const Matrix other = attnscope::embed({"mat", "the"}, 16, 7);
    test::require_near(other.row(0), e.row(5), 0.0);
    test::require_near(other.row(1), e.row(0), 0.0);
    // Different tokens differ, and the comparison is case-sensitive.
    REQUIRE((e.row(0) - e.row(1)).norm() > 0.1);
    const Matrix upper = attnscope::embed({"The"}, 16, 7);
    REQUIRE((upper.row(0) - e.row(0)).norm() > 0.1);
}

TEST_CASE("a different seed gives a different vector", "[embedding]") {
    const Matrix a = attnscope::embed({"cat"}, 32, 7);
    const Matrix b = attnscope::embed({"cat"}, 32, 8);
    REQUIRE((a - b).norm() > 0.1);
    test::require_near(attnscope::embed({"cat"}, 32, 7), a, 0.0);
}

TEST_CASE("embedding entries look like N(0, 1)", "[embedding][property]") {
    std::vector<std::string> tokens;
    for (int i = 0; i < 64; ++i) tokens.push_back(std::string(1, 'w').append(std::to_string(i)));
    const Matrix e = attnscope::embed(tokens, 256, 7);  // 16384 samples
    const double mean = e.mean();
    const double sd = std::sqrt((e.array() - mean).square().mean());
    // standard error of the mean: 1 / sqrt(16384) = 0.0078; allow 4 of them
    REQUIRE(std::abs(mean) < 0.032);
    REQUIRE(sd == Approx(1.0).epsilon(0.05));
}

TEST_CASE("an empty token list gives an empty matrix", "[embedding][edge]") {
    const Matrix e = attnscope::embed({}, 8, 7);
    REQUIRE(e.rows() == 0);
    REQUIRE(e.cols() == 8);
}
