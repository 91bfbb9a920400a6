// Tests engine/src/run.cpp: the traced forward pass, its edits, its properties, its edge cases
// and its errors. Expected values come from hand arithmetic, closed forms, properties, or
// naive loops written here.
#include "attnscope/run.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "attnscope/error.hpp"
#include "attnscope/tokenizer.hpp"
#include "../test_helpers.hpp"

using attnscope::Edit;
using attnscope::Inputs;
using attnscope::Mask;
using attnscope::Matrix;
using attnscope::Positional;
using attnscope::Trace;

namespace {

Inputs small(const std::string& text, int d_model, int heads, Positional pe = Positional::None,
             Mask mask = Mask::None) {
    Inputs in;
    in.text = text;
    in.d_model = d_model;
    in.heads = heads;
    in.pe = pe;
    in.mask = mask;
    return in;
}

// Sets every cell of `matrix` (rows x cols) through edits.
void edit_all(Inputs& in, const std::string& matrix, const std::vector<std::vector<double>>& rows) {
    for (int r = 0; r < static_cast<int>(rows.size()); ++r)
        for (int c = 0; c < static_cast<int>(rows[r].size()); ++c) in.edits.push_back({matrix, r, c, rows[r][c]});
}

std::string words(int count) {
    std::string text;
    for (int i = 0; i < count; ++i) text.append("w").append(std::to_string(i % 50)).append(" ");
    return text;
}

// Single-head attention with naive loops: softmax(X Wq (Xk Wk)^T / sqrt(d)) Xk Wv Wo,
// the textbook formula with no heads, no positions and no mask.
test::ref::Mat naive_single_head(const Trace& t) {
    using namespace test::ref;
    const Mat X = from_eigen(t.query.input), Xk = from_eigen(t.keys.input);
    const Mat Q = matmul(X, from_eigen(t.layers[0].W_Q)), K = matmul(Xk, from_eigen(t.layers[0].W_K)), V = matmul(Xk, from_eigen(t.layers[0].W_V));
    const int n = static_cast<int>(Q.size()), m = static_cast<int>(K.size()), d = static_cast<int>(Q[0].size());
    Mat out = zeros(n, d);
    for (int i = 0; i < n; ++i) {
        std::vector<double> logits(m, 0.0);
        for (int j = 0; j < m; ++j) {
            for (int c = 0; c < d; ++c) logits[j] += Q[i][c] * K[j][c];
            logits[j] /= std::sqrt(static_cast<double>(d));
        }
        const std::vector<double> w = softmax(logits);
        for (int j = 0; j < m; ++j)
            for (int c = 0; c < d; ++c) out[i][c] += w[j] * V[j][c];
    }
    return matmul(out, from_eigen(t.layers[0].W_O));
}

}  // namespace

TEST_CASE("run: one query 1 against keys 1, 2, 3 gives softmax(1, 2, 3)", "[run][hand]") {
    // Cross-attention: 1 query token, 3 key tokens, d_model = 1, one head, no positions.
    Inputs in = small("q", 1, 1);
    in.cross_text = "a b c";
    edit_all(in, "Q", {{1}});
    edit_all(in, "K", {{1}, {2}, {3}});
    edit_all(in, "V", {{10}, {20}, {30}});
    in.edits.push_back({"W_O", 0, 0, 2.0});
    const Trace t = run(in);
    REQUIRE(t.layers[0].heads.size() == 1);
    // scores = [1, 2, 3]; logits = scores / sqrt(1)
    test::require_near(t.layers[0].heads[0].scores, Eigen::RowVector3d(1, 2, 3), 0.0);
    test::require_near(t.layers[0].heads[0].logits, Eigen::RowVector3d(1, 2, 3), 1e-15);
    // e^k / (e + e^2 + e^3) = [0.0900, 0.2447, 0.6652]
    test::require_near(t.layers[0].heads[0].attention, Eigen::RowVector3d(0.0900, 0.2447, 0.6652), 1e-4);
    test::require_near(t.layers[0].heads[0].attention, Eigen::RowVector3d(0.09003057317, 0.24472847105, 0.66524095577),
                       1e-10);
    // output = 0.09003057 * 10 + 0.24472847 * 20 + 0.66524096 * 30
    //        = 0.9003057 + 4.8945694 + 19.9572287 = 25.7521038; times W_O = 2: 51.5042076
    REQUIRE(t.layers[0].heads[0].output(0, 0) == Approx(25.7521038).margin(1e-6));
    REQUIRE(t.layers[0].output(0, 0) == Approx(51.5042076).margin(1e-6));
}

TEST_CASE("run: 3 tokens, d = 2, by hand through edits", "[run][hand]") {
    // The same Q, K, V as attention.test.cpp's hand case, entered as edits of the projections.
    Inputs in = small("a b c", 2, 1);
    edit_all(in, "Q", {{1, 0}, {0, 1}, {1, 1}});
    edit_all(in, "K", {{1, 0}, {0, 2}, {1, 1}});
    edit_all(in, "V", {{1, 2}, {3, 4}, {5, 6}});
    edit_all(in, "W_O", {{1, 0}, {0, 1}});  // identity: output = concat
    const Trace t = run(in);
    const auto& h = t.layers[0].heads[0];
    Matrix scores(3, 3);
    scores << 1, 0, 1,  //
        0, 2, 1,        //
        1, 2, 2;
    test::require_near(h.scores, scores, 0.0);
    // logits = scores / sqrt(2)
    test::require_near(h.logits, scores / std::sqrt(2.0), 1e-15);
    Matrix weights(3, 3);
    weights << 0.40111209, 0.19777581, 0.40111209,  //
        0.14002925, 0.57597535, 0.28399541,         //
        0.19777581, 0.40111209, 0.40111209;
    test::require_near(h.attention, weights, 1e-8);
    Matrix out(3, 2);
    out << 3.0, 4.0,            //
        3.28793233, 4.28793233, //
        3.40667256, 4.40667256;
    test::require_near(h.output, out, 1e-7);
    test::require_near(t.layers[0].output, out, 1e-7);
}

TEST_CASE("run: attention rows sum to 1 and masks hide what they should, for every pe and mask",
          "[run][property][mask]") {
    for (Positional pe : attnscope::kAllPositional)
        for (Mask mask : attnscope::kAllMasks) {
            Inputs in = small("the cat sat on the mat", 16, 4, pe, mask);
            in.pad_to = 8;
            const Trace t = run(in);
            INFO("pe = " << attnscope::name(pe) << ", mask = " << attnscope::name(mask));
            REQUIRE(t.n() == 8);
            for (int h = 0; h < 4; ++h) {
                const auto& head = t.layers[0].heads[h];
                test::require_finite(head.attention);
                test::require_finite(head.output);
                for (int i = 0; i < 8; ++i) {
                    REQUIRE(head.attention.row(i).sum() == Approx(1.0).epsilon(1e-12));
                    for (int j = 0; j < 8; ++j) {
                        // Key j is hidden from query i by causality (j > i) or padding (tokens 6, 7).
                        const bool hidden = (attnscope::is_causal(mask) && j > i) ||
                                            (attnscope::masks_padding(mask) && j >= 6);
                        REQUIRE(t.allowed(i, j) == !hidden);
                        if (hidden) {
                            REQUIRE(head.attention(i, j) == 0.0);
                            REQUIRE(head.logits(i, j) == -INFINITY);
                        } else {
                            REQUIRE(std::isfinite(head.logits(i, j)));
                            REQUIRE(head.attention(i, j) > 0.0);
                        }
                    }
                }
            }
            test::require_finite(t.layers[0].output);
        }
}

TEST_CASE("run: without positions, permuting the words permutes the outputs", "[run][property]") {
    // perm[i] = the index in `text` of word i of `permuted`
    const Trace a = run(small("alpha beta gamma delta epsilon", 16, 4));
    const Trace b = run(small("delta alpha epsilon gamma beta", 16, 4));
    const int perm[] = {3, 0, 4, 2, 1};
    for (int i = 0; i < 5; ++i) {
        INFO("row " << i);
        REQUIRE(b.query.tokens[i] == a.query.tokens[perm[i]]);
        test::require_near(b.layers[0].output.row(i), a.layers[0].output.row(perm[i]), 1e-12);
        for (int h = 0; h < 4; ++h)
            for (int j = 0; j < 5; ++j)
                REQUIRE(b.layers[0].heads[h].attention(i, j) == Approx(a.layers[0].heads[h].attention(perm[i], perm[j])).margin(1e-14));
    }
    SECTION("the property fails once positions matter") {
        Inputs pa = small("alpha beta gamma delta epsilon", 16, 4, Positional::Sinusoidal);
        Inputs pb = small("delta alpha epsilon gamma beta", 16, 4, Positional::Sinusoidal);
        const Trace sa = run(pa), sb = run(pb);
        double worst = 0;
        for (int i = 0; i < 5; ++i) worst = std::max(worst, (sb.layers[0].output.row(i) - sa.layers[0].output.row(perm[i])).norm());
        REQUIRE(worst > 1e-3);
    }
}

TEST_CASE("run: heads = 1 equals single-head attention computed independently", "[run][property]") {
    for (const int d_model : {1, 8, 24}) {
        const Trace t = run(small("the cat sat on the mat .", d_model, 1));
        INFO("d_model = " << d_model);
        REQUIRE(t.d_head == d_model);
        test::require_near(t.layers[0].output, test::ref::to_eigen(naive_single_head(t)), 1e-12);
    }
    SECTION("cross-attention too") {
        Inputs in = small("the cat", 8, 1);
        in.cross_text = "le chat est assis";
        const Trace t = run(in);
        test::require_near(t.layers[0].output, test::ref::to_eigen(naive_single_head(t)), 1e-12);
    }
}

TEST_CASE("run: heads = d_model gives one-dimensional heads", "[run][edge]") {
    const Trace t = run(small("the cat sat on the mat", 8, 8));
    REQUIRE(t.d_head == 1);
    REQUIRE(t.layers[0].heads.size() == 8);
    for (int h = 0; h < 8; ++h) {
        INFO("head " << h);
        const auto& head = t.layers[0].heads[h];
        REQUIRE(head.Q.cols() == 1);
        test::require_near(head.Q, t.layers[0].Q.col(h), 0.0);  // head h owns column h
        // scores_ij = q_i k_j; sqrt(d_head) = 1, so logits = scores
        for (int i = 0; i < 6; ++i)
            for (int j = 0; j < 6; ++j) REQUIRE(head.scores(i, j) == Approx(t.layers[0].Q(i, h) * t.layers[0].K(j, h)).margin(1e-14));
        test::require_near(head.logits, head.scores, 1e-15);
        // output_i = sum_j a_ij v_j
        for (int i = 0; i < 6; ++i) {
            double o = 0;
            for (int j = 0; j < 6; ++j) o += head.attention(i, j) * t.layers[0].V(j, h);
            REQUIRE(head.output(i, 0) == Approx(o).margin(1e-13));
        }
    }
}

TEST_CASE("run: every head against naive loops", "[run][property]") {
    // Each head h: columns [h*d_head, (h+1)*d_head) of X W, logits = scores / sqrt(d_head) / T,
    // output = softmax(logits) V; concat side by side; output = concat W_O.
    Inputs in = small("one two three four five", 12, 3);
    in.temperature = 0.7;
    const Trace t = run(in);
    using namespace test::ref;
    const Mat X = from_eigen(t.query.input);
    const Mat Q = matmul(X, from_eigen(t.layers[0].W_Q)), K = matmul(X, from_eigen(t.layers[0].W_K)), V = matmul(X, from_eigen(t.layers[0].W_V));
    Mat concat = zeros(5, 12);
    for (int h = 0; h < 3; ++h) {
        const Mat q = columns(Q, 4 * h, 4), k = columns(K, 4 * h, 4), v = columns(V, 4 * h, 4);
        for (int i = 0; i < 5; ++i) {
            std::vector<double> logits(5, 0.0);
            for (int j = 0; j < 5; ++j) {
                for (int c = 0; c < 4; ++c) logits[j] += q[i][c] * k[j][c];
                logits[j] = logits[j] / 2.0 / 0.7;  // sqrt(4) = 2, T = 0.7
            }
            const std::vector<double> w = softmax(logits);
            for (int j = 0; j < 5; ++j) {
                REQUIRE(t.layers[0].heads[h].logits(i, j) == Approx(logits[j]).margin(1e-12));
                REQUIRE(t.layers[0].heads[h].attention(i, j) == Approx(w[j]).margin(1e-12));
                for (int c = 0; c < 4; ++c) concat[i][4 * h + c] += w[j] * v[j][c];
            }
        }
    }
    test::require_near(t.layers[0].concat, to_eigen(concat), 1e-12);
    test::require_near(t.layers[0].output, to_eigen(matmul(concat, from_eigen(t.layers[0].W_O))), 1e-12);
}

TEST_CASE("run: n = 1 attends only to itself", "[run][edge]") {
    for (Positional pe : attnscope::kAllPositional) {
        const Trace t = run(small("solo", 8, 2, pe, Mask::Causal));
        INFO("pe = " << attnscope::name(pe));
        REQUIRE(t.n() == 1);
        REQUIRE(t.m() == 1);
        for (const auto& h : t.layers[0].heads) {
            test::require_near(h.attention, Eigen::Matrix<double, 1, 1>(1.0), 0.0);
            test::require_near(h.output, h.V, 1e-15);  // weight 1 on the only value
        }
        // So output = input W_V W_O, whatever the queries and keys were.
        test::require_near(t.layers[0].output, t.query.input * t.layers[0].W_V * t.layers[0].W_O, 1e-12);
    }
}

TEST_CASE("run: a fully masked row gives zero weights and zero output, no NaN", "[run][edge][mask]") {
    // "<pad> a b" with causal+padding: row 0 may see only key 0, which is padding.
    const Trace t = run(small("<pad> a b", 8, 2, Positional::Rope, Mask::CausalPadding));
    REQUIRE(t.query.tokens == std::vector<std::string>{"<pad>", "a", "b"});
    REQUIRE_FALSE(t.allowed.row(0).any());
    for (const auto& h : t.layers[0].heads) {
        test::require_near(h.attention.row(0), Eigen::RowVector3d::Zero(), 0.0);
        test::require_near(h.output.row(0), Eigen::RowVector4d::Zero(), 0.0);
        REQUIRE((h.logits.row(0).array() == -INFINITY).all());
        test::require_finite(h.attention);
        test::require_finite(h.output);
        test::require_finite(h.scores);
        // Rows 1 and 2 still sum to 1 over the keys they may see.
        REQUIRE(h.attention.row(1).sum() == Approx(1.0));
        REQUIRE(h.attention.row(2).sum() == Approx(1.0));
        REQUIRE(h.attention(1, 1) == Approx(1.0));  // row 1: key 0 padded, key 2 in the future
    }
    test::require_near(t.layers[0].concat.row(0), Eigen::RowVectorXd::Zero(8), 0.0);
    test::require_near(t.layers[0].output.row(0), Eigen::RowVectorXd::Zero(8), 0.0);
    test::require_finite(t.layers[0].output);
}

TEST_CASE("run: huge logits stay finite and give one-hot rows", "[run][edge]") {
    // q_i = (1e4, 0) for every token, k_j = (j + 1, 0): scores = [1e4, 2e4, 3e4] in every row,
    // logits = scores / sqrt(2) = [7071, 14142, 21213]; e^(-7071) underflows: weights [0, 0, 1].
    Inputs in = small("a b c", 2, 1);
    edit_all(in, "Q", {{1e4, 0}, {1e4, 0}, {1e4, 0}});
    edit_all(in, "K", {{1, 0}, {2, 0}, {3, 0}});
    const Trace t = run(in);
    const auto& h = t.layers[0].heads[0];
    test::require_near(h.logits.row(0), Eigen::RowVector3d(1e4, 2e4, 3e4) / std::sqrt(2.0), 1e-9);
    test::require_finite(h.logits);
    for (int i = 0; i < 3; ++i) test::require_near(h.attention.row(i), Eigen::RowVector3d(0, 0, 1), 0.0);
    for (int i = 0; i < 3; ++i) test::require_near(h.output.row(i), h.V.row(2), 0.0);
    test::require_finite(t.layers[0].output);
}

TEST_CASE("run: the smallest temperature with the largest edits stays finite", "[run][edge]") {
    // Edits reach +-1e6 and T reaches 1e-3: scores of row 0 = 1e6 * (1e5, 5e5, 1e6) = (1e11, 5e11, 1e12),
    // divided by sqrt(2) and by 1e-3, reach 1e15 / 1.414 = 7.1e14: finite, so the softmax is too.
    Inputs in = small("a b c", 2, 1);
    in.temperature = attnscope::kMinTemperature;
    edit_all(in, "Q", {{1e6, 0}, {-1e6, 0}, {1e6, 1e6}});
    edit_all(in, "K", {{1e5, 0}, {5e5, 0}, {1e6, 0}});
    const Trace t = run(in);
    const auto& h = t.layers[0].heads[0];
    test::require_finite(h.logits);
    test::require_finite(h.attention);
    test::require_finite(t.layers[0].output);
    // row 0: logits grow with j -> all weight on key 2; row 1: they fall with j -> key 0
    test::require_near(h.attention.row(0), Eigen::RowVector3d(0, 0, 1), 0.0);
    test::require_near(h.attention.row(1), Eigen::RowVector3d(1, 0, 0), 0.0);
    REQUIRE(h.logits(0, 2) == Approx(1e12 / std::sqrt(2.0) / 1e-3).epsilon(1e-12));
}

TEST_CASE("run: cross-attention with different lengths", "[run][cross]") {
    Inputs in = small("the cat sat", 16, 4, Positional::Rope, Mask::Padding);
    in.cross_text = "le chat est assis sur le tapis";
    in.pad_to = 9;  // pads the key/value text only
    const Trace t = run(in);
    REQUIRE(t.cross);
    REQUIRE(t.n() == 3);
    REQUIRE(t.m() == 9);
    REQUIRE(t.keys.tokens == std::vector<std::string>{"le", "chat", "est", "assis", "sur", "le", "tapis", "<pad>",
                                                     "<pad>"});
    REQUIRE(t.query.tokens == std::vector<std::string>{"the", "cat", "sat"});
    for (const auto& h : t.layers[0].heads) {
        REQUIRE((h.Q.rows() == 3 && h.Q.cols() == 4));
        REQUIRE((h.K.rows() == 9 && h.K.cols() == 4));
        REQUIRE((h.V.rows() == 9 && h.V.cols() == 4));
        REQUIRE((h.scores.rows() == 3 && h.scores.cols() == 9));
        REQUIRE((h.attention.rows() == 3 && h.attention.cols() == 9));
        REQUIRE((h.output.rows() == 3 && h.output.cols() == 4));
        // The padded keys of the cross text are masked.
        REQUIRE(h.attention.col(7).isZero(0.0));
        REQUIRE(h.attention.col(8).isZero(0.0));
    }
    REQUIRE((t.layers[0].output.rows() == 3 && t.layers[0].output.cols() == 16));
    // K and V come from the cross text: its input times W_K, W_V (naive products).
    test::require_near(t.layers[0].K, test::ref::to_eigen(test::ref::matmul(test::ref::from_eigen(t.keys.input),
                                                                  test::ref::from_eigen(t.layers[0].W_K))),
                       1e-12);
    test::require_near(t.layers[0].V, test::ref::to_eigen(test::ref::matmul(test::ref::from_eigen(t.keys.input),
                                                                  test::ref::from_eigen(t.layers[0].W_V))),
                       1e-12);
    // "le" appears twice in the cross text: same embedding, rows 0 and 5.
    test::require_near(t.keys.embeddings.row(0), t.keys.embeddings.row(5), 0.0);
    // Changing the query text leaves K alone; changing the cross text changes it.
    Inputs other_query = in;
    other_query.text = "a dog ran away";
    test::require_near(run(other_query).layers[0].K, t.layers[0].K, 0.0);
    Inputs other_cross = in;
    other_cross.cross_text = "un chien court vite sur la route";
    REQUIRE((run(other_cross).layers[0].K - t.layers[0].K).norm() > 0.1);
}

TEST_CASE("run: the inputs to attention are embeddings + positional", "[run][positional]") {
    SECTION("sinusoidal: the closed form") {
        const Trace t = run(small("a b c d", 6, 2, Positional::Sinusoidal));
        for (int p = 0; p < 4; ++p)
            for (int k = 0; k < 6; ++k) {
                const double angle = p / std::pow(10000.0, (2.0 * (k / 2)) / 6);
                REQUIRE(t.query.positional(p, k) == Approx(k % 2 ? std::cos(angle) : std::sin(angle)).margin(1e-14));
            }
        test::require_near(t.query.input, t.query.embeddings + t.query.positional, 1e-15);
    }
    SECTION("learned: position p has one vector, whatever the text") {
        const Trace a = run(small("a b c", 6, 2, Positional::Learned));
        const Trace b = run(small("x y z w v", 6, 2, Positional::Learned));
        test::require_near(b.query.positional.topRows(3), a.query.positional, 0.0);
        REQUIRE(a.query.positional.norm() > 0.01);
    }
    SECTION("rope, alibi, relative and none add nothing") {
        for (Positional pe : {Positional::None, Positional::Rope, Positional::Alibi, Positional::Relative}) {
            const Trace t = run(small("a b c", 6, 2, pe));
            REQUIRE(t.query.positional.isZero(0.0));
            test::require_near(t.query.input, t.query.embeddings, 0.0);
        }
    }
}

TEST_CASE("run: RoPE rotates each head's Q and K by position", "[run][rope]") {
    const Trace t = run(small("the cat sat on the mat", 8, 2, Positional::Rope));
    for (int h = 0; h < 2; ++h)
        for (int i = 0; i < 6; ++i) {
            std::vector<double> q(4), k(4);
            for (int c = 0; c < 4; ++c) {
                q[c] = t.layers[0].Q(i, 4 * h + c);
                k[c] = t.layers[0].K(i, 4 * h + c);
            }
            const std::vector<double> rq = test::ref::rope(q, i), rk = test::ref::rope(k, i);
            for (int c = 0; c < 4; ++c) {
                REQUIRE(t.layers[0].heads[h].Q(i, c) == Approx(rq[c]).margin(1e-13));
                REQUIRE(t.layers[0].heads[h].K(i, c) == Approx(rk[c]).margin(1e-13));
            }
            // V is not rotated.
            test::require_near(t.layers[0].heads[h].V.row(i), t.layers[0].V.block(i, 4 * h, 1, 4), 0.0);
        }
}

TEST_CASE("run: ALiBi and relative biases enter the logits", "[run][alibi][relative]") {
    SECTION("alibi: (scores / sqrt(d_head) - slope |i - j|) / T") {
        Inputs in = small("the cat sat on the mat", 16, 4, Positional::Alibi, Mask::Causal);
        in.temperature = 2.0;
        const Trace t = run(in);
        test::require_near(t.layers[0].alibi_slopes, test::ref::alibi_slopes(4), 1e-15);  // 1/4, 1/16, 1/64, 1/256
        for (int h = 0; h < 4; ++h)
            for (int i = 0; i < 6; ++i)
                for (int j = 0; j <= i; ++j) {
                    const double slope = std::pow(2.0, -2.0 * (h + 1));
                    REQUIRE(t.layers[0].heads[h].bias(i, j) == Approx(-slope * std::abs(i - j)).margin(1e-15));
                    REQUIRE(t.layers[0].heads[h].logits(i, j) ==
                            Approx((t.layers[0].heads[h].scores(i, j) / 2.0 - slope * (i - j)) / 2.0).margin(1e-13));
                }
    }
    SECTION("relative: table[h, bucket(j - i)], bidirectional unless causal") {
        for (Mask mask : {Mask::None, Mask::Causal}) {
            const Trace t = run(small("the cat sat on the mat", 16, 2, Positional::Relative, mask));
            REQUIRE(t.layers[0].relative_table.rows() == 2);
            REQUIRE(t.layers[0].relative_table.cols() == 32);
            for (int h = 0; h < 2; ++h)
                for (int i = 0; i < 6; ++i)
                    for (int j = 0; j < 6; ++j) {
                        const double b = t.layers[0].relative_table(h, test::ref::t5_bucket(j - i, mask == Mask::None));
                        REQUIRE(t.layers[0].heads[h].bias(i, j) == b);
                        if (t.allowed(i, j))
                            REQUIRE(t.layers[0].heads[h].logits(i, j) ==
                                    Approx(t.layers[0].heads[h].scores(i, j) / std::sqrt(8.0) + b).margin(1e-13));
                    }
        }
    }
    SECTION("no bias without alibi or relative") {
        REQUIRE(run(small("a b", 4, 2, Positional::Rope)).layers[0].heads[0].bias.size() == 0);
    }
}

TEST_CASE("run: temperature divides the logits", "[run][property]") {
    Inputs in = small("the cat sat on the mat", 16, 4, Positional::Sinusoidal, Mask::Causal);
    const Trace t1 = run(in);
    in.temperature = 0.5;
    const Trace t05 = run(in);
    for (int h = 0; h < 4; ++h) {
        // masked cells stay -inf; the others double (x / 0.5 = 2x)
        test::require_near(t05.layers[0].heads[h].logits, 2.0 * t1.layers[0].heads[h].logits, 1e-12);
        // a lower temperature sharpens each row: the top weight grows
        for (int i = 1; i < 6; ++i)
            REQUIRE(t05.layers[0].heads[h].attention.row(i).maxCoeff() > t1.layers[0].heads[h].attention.row(i).maxCoeff());
    }
}

TEST_CASE("run: an edit overrides one cell only", "[run][edit][embedding]") {
    const Inputs base = small("the cat sat on the mat", 8, 2, Positional::Sinusoidal);
    const Trace t0 = run(base);
    for (const std::string matrix : {"embeddings", "positional", "input", "W_Q", "W_K", "W_V", "W_O", "Q", "K", "V"}) {
        Inputs in = base;
        in.edits.push_back({matrix, 4, 3, 5.25});
        const Trace t = run(in);
        auto pick = [&](const Trace& tr) -> const Matrix& {
            if (matrix == "embeddings") return tr.query.embeddings;
            if (matrix == "positional") return tr.query.positional;
            if (matrix == "input") return tr.query.input;
            if (matrix == "W_Q") return tr.layers[0].W_Q;
            if (matrix == "W_K") return tr.layers[0].W_K;
            if (matrix == "W_V") return tr.layers[0].W_V;
            if (matrix == "W_O") return tr.layers[0].W_O;
            if (matrix == "Q") return tr.layers[0].Q;
            if (matrix == "K") return tr.layers[0].K;
            return tr.layers[0].V;
        };
        INFO("edited " << matrix << "[4,3]");
        Matrix expected = pick(t0);
        expected(4, 3) = 5.25;
        test::require_near(pick(t), expected, 0.0);
        // ...and the change flows downstream.
        REQUIRE((t.layers[0].output - t0.layers[0].output).norm() > 1e-6);
    }
    SECTION("an embedding edit belongs to a position, not to the token") {
        Inputs in = base;
        in.edits.push_back({"embeddings", 0, 1, 9.0});  // "the" at position 0; "the" again at 4
        const Trace t = run(in);
        REQUIRE(t.query.embeddings(0, 1) == 9.0);
        test::require_near(t.query.embeddings.row(4), t0.query.embeddings.row(4), 0.0);
        REQUIRE(t.query.input(0, 1) == Approx(9.0 + t.query.positional(0, 1)).margin(1e-15));
    }
}

TEST_CASE("run: <bos> and pad_to", "[run][special]") {
    Inputs in = small("a b", 4, 1);
    in.bos = true;
    in.pad_to = 5;
    const Trace t = run(in);
    REQUIRE(t.query.tokens == std::vector<std::string>{"<bos>", "a", "b", "<pad>", "<pad>"});
    REQUIRE(t.n() == 5);
}

TEST_CASE("run: bad inputs throw attnscope::Error with a helpful message", "[run][error]") {
    SECTION("heads not dividing d_model") {
        REQUIRE_ERROR(run(small("a b", 64, 5)), "try 4 or 8");
    }
    SECTION("empty or whitespace-only text") {
        REQUIRE_ERROR(run(small("", 8, 2)), "the text has no tokens");
        REQUIRE_ERROR(run(small("  \n\t ", 8, 2)), "no tokens");
        Inputs in = small("a b", 8, 2);
        in.cross_text = "   ";
        REQUIRE_ERROR(run(in), "no tokens");
    }
    SECTION("more than kMaxTokens tokens") {
        REQUIRE_NOTHROW(run(small(words(attnscope::kMaxTokens), 2, 1)));
        REQUIRE_ERROR(run(small(words(attnscope::kMaxTokens + 1), 2, 1)), "1025 tokens, more than the 1024");
        Inputs padded = small("a b", 2, 1);
        padded.pad_to = attnscope::kMaxTokens + 1;
        REQUIRE_ERROR(run(padded), "pad-to");
    }
    SECTION("NaN or Inf edits") {
        Inputs in = small("a b", 8, 2);
        in.edits.push_back({"W_Q", 0, 0, std::nan("")});
        REQUIRE_ERROR(run(in), "not a finite number");
        in.edits = {{"embeddings", 0, 0, INFINITY}};
        REQUIRE_ERROR(run(in), "not a finite number");
    }
    SECTION("edits out of range or of unknown matrices") {
        Inputs in = small("a b", 64, 4);
        in.edits = {{"W_Q", 64, 0, 1.0}};
        REQUIRE_ERROR(run(in), "edit W_Q[64,0] is outside W_Q (64 x 64)");
        in.edits = {{"embeddings", 2, 0, 1.0}};  // 2 tokens: rows 0..1
        REQUIRE_ERROR(run(in), "rows 0..1");
        in.edits = {{"Q", 0, 64, 1.0}};
        REQUIRE_ERROR(run(in), "columns 0..63");
        in.edits = {{"W_X", 0, 0, 1.0}};
        REQUIRE_ERROR(run(in), "cannot edit 'W_X'");
        in.edits = {{"cross_input", 0, 0, 1.0}};
        REQUIRE_ERROR(run(in), "without a cross-attention text");
    }
    SECTION("learned positions past 512 tokens") {
        REQUIRE_NOTHROW(run(small(words(512), 2, 1, Positional::Learned)));
        REQUIRE_ERROR(run(small(words(513), 2, 1, Positional::Learned)), "learned position table has 512 rows");
    }
    SECTION("causal mask with cross-attention") {
        Inputs in = small("a b", 8, 2, Positional::None, Mask::Causal);
        in.cross_text = "c d e";
        REQUIRE_ERROR(run(in), "a causal mask needs self-attention");
    }
    SECTION("pad_to shorter than the text") {
        Inputs in = small("a b c", 8, 2);
        in.pad_to = 2;
        REQUIRE_ERROR(run(in), "shorter than the text");
    }
    SECTION("too many attention cells") {
        REQUIRE_ERROR(run(small(words(1024), 16, 16)), "attention cells");
    }
}

TEST_CASE("run: forward_count adds exactly one per run() call", "[run][count]") {
    const Inputs in = small("the cat sat on the mat", 8, 2, Positional::Rope, Mask::Causal);
    const long long before = attnscope::forward_count();
    const Trace t = run(in);
    REQUIRE(attnscope::forward_count() == before + 1);
    (void)run(in);
    REQUIRE(attnscope::forward_count() == before + 2);
    Inputs cross = small("the cat", 8, 2);
    cross.cross_text = "le chat est assis";
    (void)run(cross);
    REQUIRE(attnscope::forward_count() == before + 3);
    // Choosing another layer or head to view is no forward pass, and neither is vary().
    (void)t.layer(0);
    (void)attnscope::head_stages(t, 0, 1);
    attnscope::VariantParams local;
    local.kind = attnscope::VariantKind::Local;
    (void)attnscope::vary(t, local);
    REQUIRE(attnscope::forward_count() == before + 3);
    for (int k = 1; k <= 5; ++k) {
        (void)run(in);
        REQUIRE(attnscope::forward_count() == before + 3 + k);
    }
}

TEST_CASE("run: the synthetic engine is one layer with its mean attention and rollout", "[run][layers]") {
    for (const char* text : {"the cat sat on the mat", "<pad> a b c"}) {
        INFO("text: " << text);
        const Trace t = run(small(text, 16, 4, Positional::Sinusoidal, Mask::CausalPadding));
        REQUIRE_FALSE(t.has_model());
        REQUIRE(t.layers.size() == 1);
        REQUIRE(t.layer_count() == 1);
        REQUIRE(t.head_count() == 4);
        const attnscope::LayerTrace& layer = t.layers[0];
        const int n = t.n();
        // What the projections see: the text's input, both sides (self-attention).
        test::require_near(layer.input, t.query.input, 0.0);
        test::require_near(layer.attention_input, t.query.input, 0.0);
        test::require_near(layer.key_input, t.query.input, 0.0);
        // mean_attention(i, j) = (A_0(i, j) + A_1(i, j) + A_2(i, j) + A_3(i, j)) / 4, cell by cell.
        Matrix mean = Matrix::Zero(n, n);
        for (int i = 0; i < n; ++i)
            for (int j = 0; j < n; ++j) {
                double sum = 0;
                for (int h = 0; h < 4; ++h) sum += layer.heads[h].attention(i, j);
                mean(i, j) = sum / 4;
            }
        test::require_near(layer.mean_attention, mean, 1e-15);
        // rollout: row i of 0.5 mean + 0.5 I, divided by its sum; every row sums to 1.
        REQUIRE(layer.rollout.rows() == n);
        REQUIRE(layer.rollout.cols() == n);
        Matrix rollout(n, n);
        for (int i = 0; i < n; ++i) {
            double sum = 0;
            for (int j = 0; j < n; ++j) sum += rollout(i, j) = 0.5 * mean(i, j) + (i == j ? 0.5 : 0.0);
            for (int j = 0; j < n; ++j) rollout(i, j) /= sum;
        }
        test::require_near(layer.rollout, rollout, 1e-14);
        for (int i = 0; i < n; ++i) {
            INFO("rollout row " << i);
            REQUIRE(layer.rollout.row(i).sum() == Approx(1.0).margin(1e-12));
            REQUIRE((layer.rollout.row(i).array() >= 0).all());
        }
    }
    SECTION("cross-attention: mean attention over the keys, no rollout") {
        Inputs in = small("the cat", 8, 2);
        in.cross_text = "le chat est assis";
        const Trace t = run(in);
        REQUIRE(t.layers.size() == 1);
        const attnscope::LayerTrace& layer = t.layers[0];
        test::require_near(layer.mean_attention, (layer.heads[0].attention + layer.heads[1].attention) / 2, 1e-15);
        REQUIRE(layer.mean_attention.rows() == 2);
        REQUIRE(layer.mean_attention.cols() == 4);
        REQUIRE(layer.rollout.size() == 0);
        test::require_near(layer.key_input, t.keys.input, 0.0);
    }
}

namespace {

// A backend that refuses every input: run() must fall back to the CPU and say why.
class RefusingBackend final : public attnscope::LayerBackend {
public:
    attnscope::Backend kind() const override { return attnscope::Backend::Gpu; }
    std::string unsupported(const Inputs&) const override { return "this test's backend runs nothing"; }
    void attend(Trace&) override { FAIL("attend() called on a backend that refused the inputs"); }
};

}  // namespace

TEST_CASE("run: asking for the GPU without a backend that can run it falls back to the CPU and says why",
          "[run][backend]") {
    Inputs in = small("the cat sat", 8, 2);
    const Trace cpu = run(in);
    REQUIRE(cpu.backend == attnscope::Backend::Cpu);
    REQUIRE(cpu.backend_note.empty());
    in.backend = attnscope::Backend::Gpu;
    const Trace none = run(in);  // no backend in the context
    REQUIRE(none.backend == attnscope::Backend::Cpu);
    REQUIRE(none.backend_note.find("OpenGL 4.3") != std::string::npos);
    test::require_near(none.layers[0].output, cpu.layers[0].output, 0.0);
    RefusingBackend refusing;
    attnscope::RunContext context;
    context.backend = &refusing;
    const Trace refused = run(in, context);
    REQUIRE(refused.backend == attnscope::Backend::Cpu);
    REQUIRE(refused.backend_note == "this test's backend runs nothing: ran on the CPU");
    test::require_near(refused.layers[0].output, cpu.layers[0].output, 0.0);
}
