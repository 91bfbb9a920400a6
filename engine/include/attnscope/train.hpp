#pragma once
// Training a GPT-2-style model: parameters and activations in flat buffers (as llm.c's train_gpt2.c),
// a forward pass that keeps what the backward needs, the backward pass, gradient clipping and AdamW.
// The architecture is gpt2.hpp's: token + position embeddings, pre-LN blocks (causal multi-head
// attention, GELU-tanh MLP), a final LayerNorm and the head tied to the token embeddings.
// Shape legend (see train_layers.hpp):
//   B batch   T tokens per sequence (T <= maxT = n_ctx)   C n_embd   NH n_head   L n_layer   V vocab_size
#include <cstdint>
#include <vector>

#include "attnscope/gpt2.hpp"

namespace attnscope::train {

// Where each parameter tensor starts in the flat parameter buffer (and, the same, in its gradient):
// the rows of the weight table (gpt2_weights.hpp) in order, each per-layer row stacked (L, ...).
// The named offsets are those rows' offsets, for the forward and backward passes.
struct ParamLayout {
    std::vector<long> offsets;  // one per row of kGpt2WeightTable
    long wte = 0;       // (V, C)
    long wpe = 0;       // (maxT, C)
    long ln1w = 0;      // (L, C)
    long ln1b = 0;      // (L, C)
    long qkvw = 0;      // (L, C, 3C)
    long qkvb = 0;      // (L, 3C)
    long attprojw = 0;  // (L, C, C)
    long attprojb = 0;  // (L, C)
    long ln2w = 0;      // (L, C)
    long ln2b = 0;      // (L, C)
    long fcw = 0;       // (L, C, 4C)
    long fcb = 0;       // (L, 4C)
    long fcprojw = 0;   // (L, 4C, C)
    long fcprojb = 0;   // (L, C)
    long lnfw = 0;      // (C)
    long lnfb = 0;      // (C)
    long total = 0;
};
ParamLayout param_layout(const Gpt2Config& c);
// Throws Error when the sizes cannot make a model (e.g. heads not dividing n_embd), saying what to pick.
void check_config(const Gpt2Config& c);

// Everything the forward pass keeps for the backward pass, for one (B, T).
template <class F>
struct Activations {
    std::vector<F> encoded;                    // (B, T, C)
    std::vector<F> ln1, ln1_mean, ln1_rstd;    // (L, B, T, C), (L, B, T), (L, B, T)
    std::vector<F> qkv;                        // (L, B, T, 3C)
    std::vector<F> atty;                       // (L, B, T, C)  heads' outputs, concatenated
    std::vector<F> att;                        // (L, B, NH, T, T)  attention weights
    std::vector<F> attproj;                    // (L, B, T, C)
    std::vector<F> residual2;                  // (L, B, T, C)  stream after attention
    std::vector<F> ln2, ln2_mean, ln2_rstd;    // (L, B, T, C), (L, B, T), (L, B, T)
    std::vector<F> fch, fch_gelu;              // (L, B, T, 4C)
    std::vector<F> fcproj;                     // (L, B, T, C)
    std::vector<F> residual3;                  // (L, B, T, C)  stream after the MLP
    std::vector<F> lnf, lnf_mean, lnf_rstd;    // (B, T, C), (B, T), (B, T)
    std::vector<F> logits, probs;              // (B, T, V)
    std::vector<F> losses;                     // (B, T)
    void resize(const Gpt2Config& c, int B, int T);
    void zero();
};

template <class F>
class Model {
public:
    explicit Model(const Gpt2Config& config);  // parameters zero; see init_gpt2 / from_gpt2

    const Gpt2Config& config() const { return config_; }
    const ParamLayout& layout() const { return layout_; }
    std::vector<F>& params() { return params_; }
    const std::vector<F>& params() const { return params_; }
    std::vector<F>& grads() { return grads_; }
    const std::vector<F>& grads() const { return grads_; }

    // Runs tokens (B, T) through the model. With targets (B, T; -1 = not scored) it also computes
    // the loss and returns its mean over the scored positions; without, returns 0.
    F forward(const int* tokens, const int* targets, int B, int T);
    // Adds d(mean loss)/d(parameters) of the last forward (which had targets) into grads().
    void backward();
    void zero_grad();

    int batch() const { return B_; }
    int time() const { return T_; }
    const Activations<F>& acts() const { return acts_; }
    const std::vector<int>& tokens() const { return tokens_; }    // (B, T) of the last forward
    const std::vector<int>& targets() const { return targets_; }  // (B, T); empty if it had none
    // Layer l's attention weights of the last forward: (B, NH, T, T).
    const F* attention(int layer) const;

private:
    Gpt2Config config_;
    ParamLayout layout_;
    std::vector<F> params_, grads_;
    Activations<F> acts_, dacts_;
    std::vector<int> tokens_, targets_;  // (B, T) of the last forward
    int B_ = 0, T_ = 0;
    bool has_targets_ = false;
};

// GPT-2's initialisation: weights N(0, 0.02), the residual projections (attn.c_proj, mlp.c_proj)
// N(0, 0.02 / sqrt(2 L)), biases 0, LayerNorm gains 1. Deterministic in seed.
template <class F>
void init_gpt2(Model<F>& model, std::uint64_t seed);

// Scales the gradients so that their global L2 norm is at most max_norm; returns the norm before.
template <class F>
double clip_grad_norm(std::vector<F>& grads, double max_norm);

// 1 for each parameter AdamW decays (the weight table's decay column: the matrices, not biases or
// LayerNorm gains), 0 for the others; (total).
std::vector<char> weight_decay_mask(const Gpt2Config& c);

// AdamW (decoupled weight decay, on the matrices only: not on biases or LayerNorm gains).
struct AdamW {
    double lr = 1e-3, beta1 = 0.9, beta2 = 0.99, eps = 1e-8, weight_decay = 0.0;
    long step = 0;
    std::vector<float> m, v;  // first and second moments, one per parameter
    template <class F>
    void update(Model<F>& model, double lr_now);
};

// Conversions to and from the loader's weights: save_gpt2(dir, to_gpt2(model)) writes a folder
// load_gpt2 reads back.
Gpt2Weights to_gpt2(const Model<float>& model);
Model<float> from_gpt2(const Gpt2Weights& w);

}  // namespace attnscope::train
