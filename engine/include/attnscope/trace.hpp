#pragma once
// A Trace is an immutable snapshot of one forward pass: every named stage.
// Panels read it through const Trace&; the CLI writes it as JSON.
#include <string>
#include <vector>

#include "attnscope/attention.hpp"
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
    Matrix output;       // (n, d_head)
};

// One side of the attention: the query text, or the key/value text for cross-attention.
struct SequenceTrace {
    std::vector<std::string> tokens;  // n
    Matrix embeddings;                // (n, d_model)
    Matrix positional;                // (n, d_model) additive encoding; zeros for none/rope/alibi/relative
    Matrix input;                     // (n, d_model) embeddings + positional, what enters attention
};

struct Trace {
    Inputs inputs;                     // what produced this trace
    SequenceTrace query;               // the text
    SequenceTrace keys;                // == query for self-attention
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

    int n() const { return static_cast<int>(query.tokens.size()); }
    int m() const { return static_cast<int>(keys.tokens.size()); }
};

}  // namespace attnscope
