// What the weights and the mask make of the attention matrix: W_K := W_Q makes scores symmetric,
// a causal mask empties the upper triangle, and where each head's top key lies.
#include "common.hpp"

#include <algorithm>
#include <cmath>
#include "attnscope/error.hpp"
#include "attnscope/run.hpp"

// Shapes: n queries, m keys, d = d_k = d_head; random queries and keys are (n, d).
namespace attnscope {

using namespace lessons_detail;

ExperimentResult shared_qk(const ExperimentContext& context) {
    Inputs in = self_attention(context.inputs);
    drop_edits(in, {"W_K", "Q", "K"});
    const Trace normal = run(in);
    const Trace shared = run(with_matrix_copied(in, "W_K", "W_Q"));
    ExperimentResult r;
    r.name = "shared_qk";
    r.title = "max |S - S^T| per head: separate W_Q and W_K, and W_K := W_Q";
    r.columns = {"head", "max |S - S^T|, separate", "max |S - S^T|, W_K = W_Q", "rows scoring self highest, separate",
                 "rows scoring self highest, W_K = W_Q"};
    double asym_normal = 0, asym_shared = 0, self_normal = 0, self_shared = 0;
    for (int h = 0; h < in.heads; ++h) {
        const Matrix& a = normal.layers[0].heads[h].scores;
        const Matrix& b = shared.layers[0].heads[h].scores;
        double self_a = 0, self_b = 0;
        for (int i = 0; i < a.rows(); ++i) self_a += row_argmax(a, i) == i, self_b += row_argmax(b, i) == i;
        self_a /= a.rows(), self_b /= b.rows();
        r.rows.push_back({double(h), max_asymmetry(a), max_asymmetry(b), self_a, self_b});
        asym_normal = std::max(asym_normal, max_asymmetry(a)), asym_shared = std::max(asym_shared, max_asymmetry(b));
        self_normal += self_a / in.heads, self_shared += self_b / in.heads;
    }
    r.values = {{"max_asymmetry_separate", asym_normal}, {"max_asymmetry_shared", asym_shared},
                {"self_top_separate", self_normal}, {"self_top_shared", self_shared}};
    r.finding = "Myth. With W_K = W_Q every head's score matrix is symmetric: max |S - S^T| = " + num(asym_shared) +
                " (separate weights: " + num(asym_normal) + "). S = X W W^T X^T, so 'how much i looks for j' equals "
                "'how much j looks for i', and a token tends to match itself best (" + num(100 * self_shared, 2) +
                "% of rows, against " + num(100 * self_normal, 2) + "% with separate weights). Transformers learn three "
                "different matrices W_Q, W_K, W_V.";
    return r;
}

namespace {

double upper_weight(const Matrix& A) {
    double s = 0;
    for (int i = 0; i < A.rows(); ++i)
        for (int j = i + 1; j < A.cols(); ++j) s += A(i, j);
    return s;
}

}  // namespace

ExperimentResult gpt_causal(const ExperimentContext& context) {
    Inputs causal = self_attention(context.inputs), encoder = causal;
    causal.mask = Mask::Causal, encoder.mask = Mask::None;
    const Trace c = run(causal), e = run(encoder);
    const int n = c.n();
    ExperimentResult r;
    r.name = "gpt_causal";
    r.title = "Weight on later tokens (above the diagonal): causal mask (decoder, as GPT) and no mask (encoder)";
    r.columns = {"head", "weight above diagonal, causal", "weight above diagonal, no mask", "token 0 on itself, causal"};
    double max_causal = 0, min_encoder = INFINITY, share_encoder = 0;
    for (int h = 0; h < causal.heads; ++h) {
        const double uc = upper_weight(c.layers[0].heads[h].attention), ue = upper_weight(e.layers[0].heads[h].attention);
        r.rows.push_back({double(h), uc, ue, c.layers[0].heads[h].attention(0, 0)});
        max_causal = std::max(max_causal, uc), min_encoder = std::min(min_encoder, ue);
        share_encoder += ue / n / causal.heads;
    }
    r.values = {{"max_upper_causal", max_causal}, {"min_upper_encoder", min_encoder},
                {"row0_self", c.layers[0].heads[0].attention(0, 0)}, {"hidden_cells", double(n) * (n - 1) / 2}};
    r.finding = "Myth. GPT is decoder-only: one stack of causal self-attention over its own text, with no encoder and "
                "no cross-attention. With the causal mask the " + num(double(n) * (n - 1) / 2) +
                " cells above the diagonal get weight " + num(max_causal) + " in every head, and token 0 can only attend "
                "to itself (weight " + num(c.layers[0].heads[0].attention(0, 0)) + "). Without the mask, as in an encoder, "
                + num(100 * share_encoder, 2) + "% of each row's weight goes to later tokens.";
    return r;
}

ExperimentResult head_profiles(const ExperimentContext& context) {
    const Trace t = run(context.inputs);
    ExperimentResult r;
    r.name = "head_profiles";
    r.title = "What each head's top key is, over all " + std::to_string(t.n()) + " queries";
    r.columns = {"head", "mean entropy", "self", "previous token", "first token", "mean distance to top key"};
    int best_prev = 0, best_self = 0, best_first = 0;
    for (int h = 0; h < t.inputs.heads; ++h) {
        const Matrix& A = t.layers[0].heads[h].attention;
        double entropy = 0, self = 0, prev = 0, first = 0, distance = 0;
        for (int i = 0; i < A.rows(); ++i) {
            const int j = row_argmax(A, i);
            entropy += row_entropy(A, i), self += j == i, prev += i > 0 && j == i - 1, first += j == 0, distance += std::abs(i - j);
        }
        const double n = A.rows();
        r.row_labels.push_back("head " + std::to_string(h));
        r.rows.push_back({entropy / n, self / n, prev / n, first / n, distance / n});
        if (r.rows[h][2] > r.rows[best_prev][2]) best_prev = h;
        if (r.rows[h][1] > r.rows[best_self][1]) best_self = h;
        if (r.rows[h][3] > r.rows[best_first][3]) best_first = h;
    }
    r.values = {{"heads", double(t.inputs.heads)}};
    auto pct = [&](int h, int col) { return num(100 * r.rows[h][col], 2) + "%"; };
    r.finding = "Head " + std::to_string(best_self) + " looks most at the token itself (" + pct(best_self, 1) +
                " of rows), head " + std::to_string(best_prev) + " at the previous token (" + pct(best_prev, 2) +
                "), head " + std::to_string(best_first) + " at the first token (" + pct(best_first, 3) +
                "). These weights are random, so the heads differ by chance; in trained models heads specialize far "
                "more sharply (previous-token heads, induction heads, heads that track syntax).";
    return r;
}

}  // namespace attnscope
