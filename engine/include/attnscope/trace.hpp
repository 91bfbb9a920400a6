#pragma once
// A Trace is an immutable snapshot of one forward pass, in one shape for every model: the tokens,
// then layers[], each with its stages and heads[]. The synthetic engine is a one-layer model.
// Panels read it through const Trace& (the layer and head they show are view state, never an input);
// the CLI writes it as JSON (trace_json.hpp) or safetensors (trace_tensors.hpp).
// Shape legend: n query tokens, m key/value tokens (m == n for self-attention), D = d_model,
// H heads, d = d_head.
#include <optional>
#include <string>
#include <vector>

#include "attnscope/attention.hpp"
#include "attnscope/compare.hpp"
#include "attnscope/inputs.hpp"
#include "attnscope/matrix.hpp"

namespace attnscope {

// What a compared variant used on one head, and the exact result beside it.
struct VariantRecord {
    MaskMatrix pattern;                // (n, m) sparse variants: the kept keys
    Matrix E, F;                       // (k, m) linformer projections of K and V
    Matrix Q_landmarks, K_landmarks;   // (l, d) nystrom segment means
    Matrix features;                   // (features, d) performer random features W
    TruncatedSvd svd;                  // svd: U (n, r), S (r), V (m, r)
    Matrix exact_attention;            // (n, m)
    Matrix exact_output;               // (n, d)
    Matrix difference;                 // (n, m) attention - exact_attention
    HeadComparison comparison;
};

struct HeadTrace {
    Matrix Q, K, V;      // (n, d), (m, d), (m, d): as they enter the dot product (after RoPE)
    Matrix scores;       // (n, m)  Q K^T, unscaled
    Matrix bias;         // (n, m)  ALiBi or relative bias; empty (0 x 0) otherwise
    Matrix scaled;       // (n, m)  (scores / sqrt(d) + bias) / T, before the mask
    Matrix logits;       // (n, m)  scaled, -inf where masked (and outside a variant's sparse pattern)
    Matrix attention;    // (n, m)  the weights applied to V (a low-rank variant's effective matrix)
    Matrix output;       // (n, d)  attention V
    int kv_head = 0;     // the key/value head this query head reads (grouped-query attention)
    std::optional<VariantRecord> variant;  // with inputs.variant != dense

    // A model trace past its cell budget keeps only `attention`; scores, scaled and logits are then
    // empty and head_stages() (run.hpp) recomputes them when a view asks.
    bool has_scores() const { return scores.size() > 0; }
};

// One side of the attention: the query text, or the key/value text for cross-attention.
struct SequenceTrace {
    std::vector<std::string> tokens;  // n
    Matrix embeddings;                // (n, D)
    Matrix positional;                // (n, D) additive encoding; zeros for none/rope/alibi/relative
    Matrix input;                     // (n, D) embeddings + positional: the residual stream entering layer 0
};

// One attention layer with what surrounds it.
struct LayerTrace {
    Matrix input;                      // (n, D) residual stream entering the layer
    Matrix attention_input;            // (n, D) what the query projection sees (the synthetic engine: input;
                                       //        a pre-LN model: ln_1(input))
    Matrix key_input;                  // (m, D) what the key/value projections see (== attention_input
                                       //        for self-attention)
    Matrix W_Q, W_K, W_V, W_O;         // (D, D) empty for a model trace that does not keep weights
    Vector b_Q, b_K, b_V, b_O;         // (D) a model's biases; empty without
    Matrix Q, K, V;                    // (n, D), (m, D), (m, D) projections (with bias), before RoPE
    std::vector<double> alibi_slopes;  // H, ALiBi only
    Matrix relative_table;             // (H, kRelativeBuckets), relative bias only
    std::vector<HeadTrace> heads;      // H
    Matrix concat;                     // (n, D) head outputs side by side
    Matrix output;                     // (n, D) concat W_O + b_O
    Matrix mean_attention;             // (n, m) the heads' attention averaged
    Matrix rollout;                    // (n, n) attention rollout through this layer (self-attention)
    // With a variant: the exact layer output and how far the variant is from it.
    Matrix exact_output;               // (n, D)
    double output_error = 0;           // ||output - exact_output||_F / ||exact_output||_F
    Cost cost, dense_cost;             // the variant's and exact attention's cost model (all heads)
};

struct TokenPrediction {
    int id = 0;
    std::string piece;                 // the token's text
    double probability = 0;
};

// What a loaded model is, for panels and the trace's `model` record.
struct ModelSummary {
    std::string family;                // "gpt2"
    int n_layer = 0, n_head = 0, n_kv_head = 0, d_model = 0, d_head = 0, n_ctx = 0, vocab_size = 0;
};

struct Trace {
    Inputs inputs;                     // what produced this trace (for a model: d_model, heads, pe, mask as it has them)
    Backend backend = Backend::Cpu;    // which backend computed it (inputs.backend asks; cpu is the fallback)
    std::string backend_note;          // why it is not the one asked for; empty when it is
    SequenceTrace query;               // the text
    SequenceTrace keys;                // == query for self-attention
    bool cross = false;
    int d_head = 0;
    MaskMatrix allowed;                // (n, m) true where query i may attend to key j
    Matrix position_similarity;        // (n, n) query.positional query.positional^T
    Matrix rope_angles;                // (n, d / 2) RoPE rotation angles; RoPE only
    std::vector<LayerTrace> layers;    // 1 for the synthetic engine; n_layer for a model

    // A loaded model's own: its description, token ids and the next-token top 5.
    std::optional<ModelSummary> model;
    std::vector<int> token_ids;        // n
    std::vector<TokenPrediction> next_tokens;

    bool has_model() const { return model.has_value(); }
    bool has_variant() const { return inputs.variant.kind != VariantKind::Dense; }
    int n() const { return static_cast<int>(query.tokens.size()); }
    int m() const { return static_cast<int>(keys.tokens.size()); }
    int layer_count() const { return static_cast<int>(layers.size()); }
    int head_count() const { return layers.empty() ? 0 : static_cast<int>(layers[0].heads.size()); }
    // Layer l clamped into range: view state may outlive the trace it was chosen on.
    const LayerTrace& layer(int l) const;
};

}  // namespace attnscope
