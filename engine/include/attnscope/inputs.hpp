#pragma once
// Inputs: the only thing a user edits. run(inputs) turns it into a Trace.
#include <cstdint>
#include <string>
#include <vector>

#include "attnscope/options.hpp"
#include "attnscope/variants.hpp"

namespace attnscope {

inline constexpr int kMaxTokens = 1024;   // the trace keeps several (n, m) matrices per head
inline constexpr int kMaxDModel = 4096;
// Below this, scores / T can overflow to inf and the softmax turns into NaN.
inline constexpr double kMinTemperature = 1e-3;

// One overridden cell. `matrix` names a stage the user can edit:
// embeddings, positional, input (query side), cross_embeddings, cross_positional,
// cross_input (key side), W_Q, W_K, W_V, W_O, or Q, K, V (projections before the
// head split and RoPE, (n, d_model)). The edit replaces the computed value.
struct Edit {
    std::string matrix;
    int row = 0;
    int col = 0;
    double value = 0.0;
    bool operator==(const Edit&) const = default;
};

struct Inputs {
    std::string text = "The animal didn't cross the street because it was too tired.";
    std::string cross_text;  // empty: self-attention; else keys and values come from it
    int d_model = 64;
    int heads = 4;
    std::uint64_t seed = 7;
    Positional pe = Positional::Sinusoidal;
    Mask mask = Mask::None;
    double temperature = 1.0;
    bool bos = false;        // prepend <bos> to the text
    int pad_to = 0;          // append <pad> tokens up to this length (0: none)
    std::vector<Edit> edits;
    VariantParams variant;   // dense: exact attention; else compared against it
    std::string model;       // a GPT-2 model folder; empty: the synthetic single-layer engine
    Backend backend = Backend::Cpu;  // gpu: the app runs attnscope_gpu (falls back to cpu without OpenGL 4.3)
    bool operator==(const Inputs&) const = default;
};

// Throws Error naming the bad field and a fix. run() calls it first.
void validate(const Inputs& inputs);
// The part of validate() that needs only the edit: a finite value within +-1e6. Throws Error.
void check_edit_value(const Edit& edit);

// Parses "W_Q[2,3]=0.5" (the CLI's --set syntax).
Edit parse_edit(const std::string& spec);

}  // namespace attnscope
