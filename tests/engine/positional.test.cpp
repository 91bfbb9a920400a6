// Tests engine/src/positional.cpp: sinusoidal and learned encodings, RoPE, ALiBi, T5 relative bias.
#include "attnscope/positional.hpp"

#include <cmath>
#include <vector>

#include "attnscope/error.hpp"
#include "../test_helpers.hpp"

using attnscope::Matrix;

TEST_CASE("sinusoidal encoding by hand for d = 4", "[positional][sinusoidal][hand]") {
    // PE[p, 2i] = sin(p / 10000^(2i/4)), PE[p, 2i+1] = cos(same); i = 0: divisor 1, i = 1: divisor 100.
    // p = 0: [sin 0, cos 0, sin 0, cos 0] = [0, 1, 0, 1]
    // p = 1: [sin 1, cos 1, sin 0.01, cos 0.01] = [0.8414709848, 0.5403023059, 0.0099998333, 0.9999500004]
    // p = 2: [sin 2, cos 2, sin 0.02, cos 0.02] = [0.9092974268, -0.4161468365, 0.0199986667, 0.9998000067]
    const Matrix pe = attnscope::sinusoidal_encoding(3, 4);
    Matrix expected(3, 4);
    expected << 0, 1, 0, 1,                                        //
        0.8414709848, 0.5403023059, 0.0099998333, 0.9999500004,    //
        0.9092974268, -0.4161468365, 0.0199986667, 0.9998000067;
    test::require_near(pe, expected, 1e-10);
}

TEST_CASE("sinusoidal encoding equals the closed form on even and odd dims", "[positional][sinusoidal]") {
    for (const int d : {1, 2, 5, 16, 64}) {
        const int n = 40;
        const Matrix pe = attnscope::sinusoidal_encoding(n, d);
        Matrix expected(n, d);
        for (int p = 0; p < n; ++p)
            for (int i = 0; 2 * i < d; ++i) {
                const double angle = p / std::pow(10000.0, (2.0 * i) / d);
                expected(p, 2 * i) = std::sin(angle);
                if (2 * i + 1 < d) expected(p, 2 * i + 1) = std::cos(angle);
            }
        INFO("d = " << d);
        test::require_near(pe, expected, 1e-12);
    }
}

TEST_CASE("learned encoding: a seeded table whose first n rows are used", "[positional][learned]") {
    const Matrix full = attnscope::learned_encoding(attnscope::kLearnedPositions, 32, 7);
    REQUIRE(full.rows() == 512);
    REQUIRE(full.cols() == 32);
    // The first n rows of the same table, whatever n is: position p has one vector.
    test::require_near(attnscope::learned_encoding(10, 32, 7), full.topRows(10), 0.0);
    // Same seed, same table; another seed, another table.
    test::require_near(attnscope::learned_encoding(512, 32, 7), full, 0.0);
    REQUIRE((attnscope::learned_encoding(10, 32, 8) - full.topRows(10)).cwiseAbs().maxCoeff() > 0.01);
    // Entries are N(0, 0.1^2): over 16384 samples the sample mean is within 4 standard
    // errors (4 * 0.1 / sqrt(16384) = 0.003) of 0 and the standard deviation within 5% of 0.1.
    const double mean = full.mean();
    const double sd = std::sqrt((full.array() - mean).square().mean());
    REQUIRE(std::abs(mean) < 0.003);
    REQUIRE(sd == Approx(0.1).epsilon(0.05));
}

TEST_CASE("learned encoding past 512 positions is an error", "[positional][learned][error]") {
    REQUIRE_ERROR(attnscope::learned_encoding(513, 8, 7), "512 rows");
    REQUIRE_ERROR(attnscope::learned_encoding(600, 8, 7), "choose the sinusoidal positional encoding");
}

TEST_CASE("rope_angle is pos * 10000^(-2i/d_head)", "[positional][rope][hand]") {
    // pair 0: 10000^0 = 1, so the angle is the position itself
    REQUIRE(attnscope::rope_angle(5, 0, 8) == Approx(5.0).epsilon(1e-15));
    // pair 1, d_head 8: 10000^(-2/8) = 10000^(-1/4) = 1/10; 3 * 0.1 = 0.3
    REQUIRE(attnscope::rope_angle(3, 1, 8) == Approx(0.3).epsilon(1e-14));
    // pair 2, d_head 8: 10000^(-4/8) = 1/100; 7 * 0.01 = 0.07
    REQUIRE(attnscope::rope_angle(7, 2, 8) == Approx(0.07).epsilon(1e-14));
    REQUIRE(attnscope::rope_angle(0, 3, 8) == 0.0);
}

TEST_CASE("rope_rotate rotates interleaved pairs", "[positional][rope]") {
    SECTION("d_head = 2 by hand: (1, 0) at position 1 becomes (cos 1, sin 1)") {
        Matrix x(2, 2);
        x << 1, 0,  //
            0, 1;
        const Matrix r = attnscope::rope_rotate(x, {1, 2});
        Matrix expected(2, 2);
        // (0, 1) at position 2 becomes (-sin 2, cos 2) = (-0.9092974268, -0.4161468365)
        expected << 0.5403023059, 0.8414709848,  //
            -0.9092974268, -0.4161468365;
        test::require_near(r, expected, 1e-10);
    }
    SECTION("against a naive rotation, odd d_head leaves the last dimension alone") {
        for (const int d : {2, 5, 8, 16}) {
            const int n = 6;
            Matrix x(n, d);
            for (int r = 0; r < n; ++r)
                for (int c = 0; c < d; ++c) x(r, c) = std::sin(1.0 + 3.0 * r + 0.7 * c);  // arbitrary values
            const std::vector<int> pos = {0, 1, 2, 7, 30, 500};
            const Matrix out = attnscope::rope_rotate(x, pos);
            Matrix expected(n, d);
            for (int r = 0; r < n; ++r) {
                std::vector<double> row(d);
                for (int c = 0; c < d; ++c) row[c] = x(r, c);
                const std::vector<double> rot = test::ref::rope(row, pos[r]);
                for (int c = 0; c < d; ++c) expected(r, c) = rot[c];
            }
            INFO("d_head = " << d);
            test::require_near(out, expected, 1e-12);
            // Rotations keep lengths.
            for (int r = 0; r < n; ++r) REQUIRE(out.row(r).norm() == Approx(x.row(r).norm()).epsilon(1e-12));
            if (d % 2 == 1) test::require_near(out.col(d - 1), x.col(d - 1), 0.0);
            // Position 0 is the identity.
            test::require_near(out.row(0), x.row(0), 0.0);
        }
    }
}

TEST_CASE("RoPE dot products depend only on the offset", "[positional][rope][property]") {
    const int d = 8;
    Matrix q(1, d), k(1, d);
    q << 0.3, -1.2, 0.8, 0.5, -0.1, 2.0, 1.1, -0.7;
    k << -0.4, 0.9, 1.5, -0.2, 0.6, 0.3, -1.3, 0.8;
    auto dot_at = [&](int a, int b) {
        return attnscope::rope_rotate(q, {a}).row(0).dot(attnscope::rope_rotate(k, {b}).row(0));
    };
    for (const int a : {0, 1, 4, 9})
        for (const int b : {0, 2, 5, 11})
            for (const int s : {1, 3, 17, 100}) {
                INFO("a = " << a << ", b = " << b << ", s = " << s);
                // <R_a q, R_b k> = <R_(a+s) q, R_(b+s) k>
                REQUIRE(dot_at(a + s, b + s) == Approx(dot_at(a, b)).margin(1e-11));
            }
    // And it does depend on the offset: moving only the key changes the product.
    REQUIRE(std::abs(dot_at(3, 1) - dot_at(3, 2)) > 1e-3);
}

TEST_CASE("ALiBi slopes for 8 heads are 1/2 ... 1/256", "[positional][alibi][hand]") {
    // 2^(-8 (h+1) / 8) = 2^-(h+1)
    test::require_near(attnscope::alibi_slopes(8),
                       std::vector<double>{1.0 / 2, 1.0 / 4, 1.0 / 8, 1.0 / 16, 1.0 / 32, 1.0 / 64, 1.0 / 128,
                                           1.0 / 256},
                       1e-16);
}

TEST_CASE("ALiBi slopes for a non-power-of-two follow Press et al.", "[positional][alibi]") {
    // 6 heads: the 4-head slopes 2^-2, 2^-4, 2^-6, 2^-8, then the even-indexed 8-head slopes
    // 2^-1, 2^-3 (indices 0 and 2 of 2^-1 ... 2^-8).
    const std::vector<double> six = {1.0 / 4, 1.0 / 16, 1.0 / 64, 1.0 / 256, 1.0 / 2, 1.0 / 8};
    test::require_near(attnscope::alibi_slopes(6), six, 1e-16);
    test::require_near(test::ref::alibi_slopes(6), six, 1e-16);  // the reference agrees with the hand values
    for (int heads = 1; heads <= 32; ++heads) {
        INFO("heads = " << heads);
        test::require_near(attnscope::alibi_slopes(heads), test::ref::alibi_slopes(heads), 1e-15);
    }
}

TEST_CASE("ALiBi bias is -slope * |i - j|", "[positional][alibi][hand]") {
    // slope 0.5, 3 x 4
    Matrix expected(3, 4);
    expected << 0, -0.5, -1, -1.5,  //
        -0.5, 0, -0.5, -1,          //
        -1, -0.5, 0, -0.5;
    test::require_near(attnscope::alibi_bias(3, 4, 0.5), expected, 0.0);
}

TEST_CASE("T5 buckets by hand, bidirectional", "[positional][relative][hand]") {
    // 16 buckets per direction (keys after the query get +16), exact below 8,
    // then 8 + floor(log(d / 8) / log(128 / 8) * 8), capped at 15.
    REQUIRE(attnscope::t5_bucket(0, true) == 0);
    REQUIRE(attnscope::t5_bucket(-3, true) == 3);   // key 3 before the query
    REQUIRE(attnscope::t5_bucket(3, true) == 19);   // key 3 after: 16 + 3
    REQUIRE(attnscope::t5_bucket(-7, true) == 7);
    REQUIRE(attnscope::t5_bucket(-8, true) == 8);   // 8 + floor(log 1 ...) = 8
    REQUIRE(attnscope::t5_bucket(8, true) == 24);
    REQUIRE(attnscope::t5_bucket(-16, true) == 10); // log 2 / log 16 * 8 = 2 exactly
    REQUIRE(attnscope::t5_bucket(-20, true) == 10); // log 2.5 / log 16 * 8 = 2.64 -> 2
    REQUIRE(attnscope::t5_bucket(20, true) == 26);
    REQUIRE(attnscope::t5_bucket(-100, true) == 15); // log 12.5 / log 16 * 8 = 7.29 -> 7
    REQUIRE(attnscope::t5_bucket(-200, true) == 15); // 8 + 9 = 17, capped at 15
    REQUIRE(attnscope::t5_bucket(200, true) == 31);
}

TEST_CASE("T5 buckets by hand, causal (unidirectional)", "[positional][relative][hand]") {
    // 32 buckets, future keys all fall in bucket 0, exact below 16,
    // then 16 + floor(log(d / 16) / log(128 / 16) * 16), capped at 31.
    REQUIRE(attnscope::t5_bucket(5, false) == 0);
    REQUIRE(attnscope::t5_bucket(0, false) == 0);
    REQUIRE(attnscope::t5_bucket(-3, false) == 3);
    REQUIRE(attnscope::t5_bucket(-15, false) == 15);
    REQUIRE(attnscope::t5_bucket(-16, false) == 16);
    REQUIRE(attnscope::t5_bucket(-20, false) == 17);   // log 1.25 / log 8 * 16 = 1.72 -> 1
    REQUIRE(attnscope::t5_bucket(-100, false) == 30);  // log 6.25 / log 8 * 16 = 14.10 -> 14
    REQUIRE(attnscope::t5_bucket(-127, false) == 31);  // log 7.94 / log 8 * 16 = 15.94 -> 15
    REQUIRE(attnscope::t5_bucket(-1000, false) == 31);
}

TEST_CASE("T5 buckets match T5's formula over a range of offsets", "[positional][relative]") {
    for (const bool bidirectional : {true, false})
        for (int rel = -400; rel <= 400; ++rel) {
            const int got = attnscope::t5_bucket(rel, bidirectional);
            if (got != test::ref::t5_bucket(rel, bidirectional)) {
                INFO("relative position " << rel << ", bidirectional " << bidirectional);
                REQUIRE(got == test::ref::t5_bucket(rel, bidirectional));
            }
            REQUIRE((got >= 0 && got < attnscope::kRelativeBuckets));
        }
}

TEST_CASE("relative_bias looks up table(head, bucket(j - i))", "[positional][relative]") {
    Matrix table(2, attnscope::kRelativeBuckets);
    for (int h = 0; h < 2; ++h)
        for (int b = 0; b < attnscope::kRelativeBuckets; ++b) table(h, b) = 100.0 * h + b;  // cell names itself
    // head 1, bidirectional: offset j - i = 0 -> bucket 0, +1 -> 17, +2 -> 18, -1 -> 1, -2 -> 2
    Matrix bidirectional(3, 3);
    bidirectional << 100, 117, 118,  //
        101, 100, 117,               //
        102, 101, 100;
    test::require_near(attnscope::relative_bias(3, 3, table, 1, true), bidirectional, 0.0);
    // head 0, causal: future offsets share bucket 0
    Matrix causal(3, 3);
    causal << 0, 0, 0,  //
        1, 0, 0,        //
        2, 1, 0;
    test::require_near(attnscope::relative_bias(3, 3, table, 0, false), causal, 0.0);
}

TEST_CASE("relative_bias_table is a seeded (H, 32) table", "[positional][relative]") {
    const Matrix t = attnscope::relative_bias_table(4, 7);
    REQUIRE(t.rows() == 4);
    REQUIRE(t.cols() == attnscope::kRelativeBuckets);
    test::require_near(attnscope::relative_bias_table(4, 7), t, 0.0);
    REQUIRE((attnscope::relative_bias_table(4, 8) - t).cwiseAbs().maxCoeff() > 0.01);
    // Not all equal: each (head, bucket) has its own scalar.
    REQUIRE(t.maxCoeff() - t.minCoeff() > 0.5);
}
