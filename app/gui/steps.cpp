#include "gui/steps.hpp"

namespace attnscope::gui {
namespace {

constexpr StepInfo kSteps[kStepCount] = {
    {"tokenize", "Tokenize", "text -> tokens t_1 .. t_n",
     "Split the sentence into tokens: words, numbers, punctuation; each CJK character is its own token."},
    {"embed", "Embed", "X[i] = E(t_i)   (n x d_model)",
     "Each token becomes a vector. The same token always gets the same vector (seeded)."},
    {"add-pe", "Add positional encoding", "input = X + PE",
     "Attention alone ignores order; the positional encoding tells each row where it sits."},
    {"project", "Project Q, K, V", "Q = input W_Q,  K = input W_K,  V = input W_V",
     "Three different learned matrices turn each token into a query, a key and a value."},
    {"split", "Split heads", "Q_h = Q[:, h*d_head : (h+1)*d_head]",
     "Each head owns d_head = d_model / H consecutive columns of Q, K and V."},
    {"scores", "Scores Q K^T", "S = Q_h K_h^T   (n x m)",
     "S[i, j] is the dot product of query i and key j: how well key j matches what query i looks for."},
    {"scale", "Scale", "S' = (S / sqrt(d_head) + bias) / T",
     "Dividing by sqrt(d_head) keeps the spread of the logits independent of the head width."},
    {"mask", "Mask", "L[i, j] = -inf where key j is hidden from query i",
     "A causal mask hides the future; a padding mask hides <pad> keys. -inf becomes weight 0."},
    {"softmax", "Softmax", "A[i, j] = exp(L[i, j] - max_j L[i]) / sum_j exp(...)",
     "Each row becomes a probability distribution over the keys: the attention weights."},
    {"weight-values", "Weight the values", "O_h = A V_h   (n x d_head)",
     "Each output row is the attention-weighted average of the value rows."},
    {"concat", "Concatenate heads", "concat = [O_1 | O_2 | ... | O_H]   (n x d_model)",
     "The head outputs are placed side by side, back in d_model columns."},
    {"output", "Output projection", "output = concat W_O",
     "W_O mixes the heads' results into the layer's output."},
};

}  // namespace

const StepInfo& step_info(Step step) { return kSteps[index_of(step)]; }

std::optional<Step> parse_step(std::string_view id) {
    for (int i = 0; i < kStepCount; ++i)
        if (id == kSteps[i].id) return step_at(i);
    return std::nullopt;
}

}  // namespace attnscope::gui
