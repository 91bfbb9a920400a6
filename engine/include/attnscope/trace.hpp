#pragma once
// A Trace is an immutable snapshot of one forward pass: every named stage.
// Panels read it through const Trace&; the CLI writes it as JSON.
#include <string>
#include <vector>

#include "attnscope/attention.hpp"
#include "attnscope/compare.hpp"
#include "attnscope/inputs.hpp"
#include "attnscope/matrix.hpp"

namespace attnscope {

struct HeadTrace {
    Matrix Q, K, V;      // (n, d_head), (m, d_head), (m, d_head): as they enter the dot product
    Matrix scores;       // (n, m)  Q K^T, unscaled
    Matrix bias;         // (n, m)  ALiBi or relative bias; empty (0 x 0) otherwise
    Matrix scaled;       // (n, m)  (scores / sqrt(d_head) + bias) / T, before the mask
    Matrix logits;       // (n, m)  scaled, -inf where masked
    Matrix attention;    // (n, m)  softmax of logits, the weights applied to V
    Matrix output;       // (n, d_head)  attention V

    // With a variant (inputs.variant.kind != dense), attention and output are the variant's;
    // logits carry its sparse pattern as -inf. What it used, and the exact result beside it:
    MaskMatrix pattern;                // (n, m) sparse variants: the kept keys
    Matrix E, F;                       // (k, m) linformer projections of K and V
    Matrix Q_landmarks, K_landmarks;   // (l, d_head) nystrom segment means
    Matrix features;                   // (features, d_head) performer random features W
    TruncatedSvd svd;                  // svd: U (n, r), S (r), V (m, r)
    Matrix exact_attention;            // (n, m)
    Matrix exact_output;               // (n, d_head)
    HeadComparison comparison;
};

// One side of the attention: the query text, or the key/value text for cross-attention.
struct SequenceTrace {
    std::vector<std::string> tokens;  // n
    Matrix embeddings;                // (n, d_model)
    Matrix positional;                // (n, d_model) additive encoding; zeros for none/rope/alibi/relative
    Matrix input;                     // (n, d_model) embeddings + positional, what enters attention
};

// One block of a loaded GPT-2 model (see gpt2.hpp): its heads, traced like single-layer heads
// (bias and variant fields empty; causal logits), and the residual stream around them.
struct LayerTrace {
    Matrix input;                      // (n, d_model) residual stream entering the block
    Matrix attention_input;            // (n, d_model) ln_1(input): what the projections see
    std::vector<HeadTrace> heads;      // H
    Matrix concat;                     // (n, d_model) head outputs side by side
    Matrix output;                     // (n, d_model) concat W_proj + b_proj, added to the residual stream
    Matrix mean_attention;             // (n, n) the heads' attention averaged
    Matrix rollout;                    // (n, n) attention rollout from the input through this layer
};

struct TokenPrediction {
    int id = 0;
    std::string piece;                 // the token's text
    double probability = 0;
};

struct Trace {
    Inputs inputs;                     // what produced this trace
    Backend backend = Backend::Cpu;    // which backend computed it (inputs.backend asks; cpu is the fallback)
    SequenceTrace query;               // the text
    SequenceTrace keys;                // == query for self-attention
    Matrix position_similarity;        // (n, n) query.positional * query.positional^T
    Matrix rope_angles;                // (n, d_head / 2) RoPE rotation angles; RoPE only
    bool cross = false;
    int d_head = 0;
    Matrix W_Q, W_K, W_V, W_O;         // (d_model, d_model)
    Matrix Q, K, V;                    // (n, d_model), (m, d_model), (m, d_model) projections, before RoPE
    std::vector<double> alibi_slopes;  // H, ALiBi only
    Matrix relative_table;             // (H, kRelativeBuckets), relative only
    MaskMatrix allowed;                // (n, m)
    std::vector<HeadTrace> heads;      // H
    Matrix concat;                     // (n, d_model) head outputs side by side
    Matrix output;                     // (n, d_model) concat * W_O
    // With a variant: the exact result and how far the variant is from it.
    Matrix exact_output;               // (n, d_model)
    double output_error = 0;           // ||output - exact_output||_F / ||exact_output||_F
    Cost cost, dense_cost;             // the variant's and exact attention's cost model (all heads)
    bool has_variant() const { return inputs.variant.kind != VariantKind::Dense; }

    // With a model (inputs.model): every layer; the single-layer fields above show layer
    // inputs.layer (query.input is its ln_1 output; Q, K, V and output include the biases).
    std::vector<LayerTrace> layers;    // n_layer
    std::vector<int> token_ids;        // n
    std::vector<TokenPrediction> next_tokens;  // the 5 likeliest tokens after the text
    bool has_model() const { return !layers.empty(); }

    int n() const { return static_cast<int>(query.tokens.size()); }
    int m() const { return static_cast<int>(keys.tokens.size()); }
};

}  // namespace attnscope
