#include "gui/steps.hpp"

#include <algorithm>

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
    {"layernorm", "Layer norm", "a = ln_1(x) = (x - mean) / sqrt(var + eps) * g + b",
     "The model's layers normalize each row of the residual stream before attention (pre-LN)."},
    {"residual", "Residual", "x = x + attn_out",
     "The attention output is added to the residual stream, which carries every layer's results."},
    {"mlp", "MLP", "x = x + gelu(ln_2(x) W_fc + b_fc) W_proj + b_proj",
     "A two-layer perceptron on each token, 4 d_model wide, added to the stream; then the next layer."},
};

// A GPT-2 block (Hugging Face GPT2Model): what each step computes there, in its own names.
constexpr StepInfo kGpt2Steps[kStepCount] = {
    {"tokenize", "Tokenize", "text -> ids (byte-level BPE: vocab.json + merges.txt)",
     "GPT-2's tokenizer splits the text into pieces by its merge rules; a space belongs to the next word."},
    {"embed", "Embed", "x = wte[id] + wpe[i]   (n x d_model)",
     "Token embedding plus learned position embedding: the residual stream entering layer 0."},
    {"add-pe", "Add positional encoding", "x = wte[id] + wpe[i]",
     "GPT-2 adds learned positions (wpe) once, at the input."},
    {"project", "Project Q, K, V (c_attn)", "[Q | K | V] = ln_1(x) W_attn + b_attn   (n x 3 d_model)",
     "One matrix, with a bias, makes queries, keys and values from the normalized stream."},
    {"split", "Split heads", "Q_h = Q[:, h*d_head : (h+1)*d_head]",
     "Each head owns d_head = d_model / H consecutive columns of Q, K and V."},
    {"scores", "Scores Q K^T", "S = Q_h K_h^T   (n x n)",
     "S[i, j]: how well key j matches what query i looks for."},
    {"scale", "Scale", "S' = S / sqrt(d_head)",
     "No bias and no temperature in GPT-2: only the division by sqrt(d_head)."},
    {"mask", "Causal mask", "L[i, j] = -inf for j > i",
     "A decoder never looks ahead: each token sees itself and the tokens before it."},
    {"softmax", "Softmax", "A[i, j] = exp(L[i, j] - max_j L[i]) / sum_j exp(...)",
     "Each row becomes a probability distribution over the earlier tokens."},
    {"weight-values", "Weight the values", "O_h = A V_h   (n x d_head)",
     "Each output row is the attention-weighted average of the value rows."},
    {"concat", "Concatenate heads", "concat = [O_1 | ... | O_H]   (n x d_model)",
     "The head outputs side by side."},
    {"output", "Output projection (c_proj)", "attn_out = concat W_proj + b_proj",
     "c_proj, with its bias, mixes the heads' results."},
    {"layernorm", "Layer norm (ln_1)", "a = ln_1(x) = (x - mean) / sqrt(var + eps) * g + b",
     "Each row of the residual stream is normalized before attention (pre-LN)."},
    {"residual", "Residual", "x = x + attn_out",
     "The attention output is added to the residual stream."},
    {"mlp", "MLP", "x = x + gelu(ln_2(x) W_fc + b_fc) W_proj + b_proj",
     "ln_2, a 4 d_model wide layer with GELU (tanh form), and back, added to the stream; then the next layer."},
};

const std::vector<Step> kEngineOrder = {Step::Tokenize, Step::Embed,   Step::AddPositional, Step::ProjectQKV,
                                        Step::SplitHeads, Step::Scores, Step::Scale,        Step::Mask,
                                        Step::Softmax,  Step::WeightValues, Step::Concat,   Step::OutputProjection};
const std::vector<Step> kModelOrder = {Step::Tokenize, Step::Embed,  Step::LayerNorm,    Step::ProjectQKV,
                                       Step::SplitHeads, Step::Scores, Step::Scale,       Step::Mask,
                                       Step::Softmax,  Step::WeightValues, Step::Concat, Step::OutputProjection,
                                       Step::Residual, Step::Mlp};

}  // namespace

const StepInfo& step_info(Step step, bool model) { return (model ? kGpt2Steps : kSteps)[index_of(step)]; }

const std::vector<Step>& steps_of(bool model) { return model ? kModelOrder : kEngineOrder; }

int position_of(Step step, bool model) {
    const std::vector<Step>& order = steps_of(model);
    for (std::size_t i = 0; i < order.size(); ++i)
        if (order[i] == step) return static_cast<int>(i);
    return -1;
}

Step step_after(Step step, int delta, bool model) {
    const std::vector<Step>& order = steps_of(model);
    const int at = std::max(position_of(step, model), 0) + delta;
    return order[std::clamp(at, 0, static_cast<int>(order.size()) - 1)];
}

std::optional<Step> parse_step(std::string_view id) {
    for (int i = 0; i < kStepCount; ++i)
        if (id == kSteps[i].id) return step_at(i);
    return std::nullopt;
}

}  // namespace attnscope::gui
