#pragma once
// GPT-2: weights (Hugging Face layout), loading/saving a model folder, and the forward pass.
// Shape legend (row-vector convention, float):
//   n        tokens (n <= n_ctx)      D        n_embd          H   n_head    d_head = D / H
//   V        vocab_size               L        n_layer
// A block is pre-LN: x += attn(ln_1(x)); x += mlp(ln_2(x)). Conv1D weights are (in, out): y = x W + b.
// A model folder = config.json + model.safetensors + (vocab.json + merges.txt | encoder.json + vocab.bpe).
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <Eigen/Dense>

namespace attnscope {

using MatrixF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using VectorF = Eigen::VectorXf;

struct Gpt2Config {
    int n_layer = 0, n_head = 0, n_embd = 0, n_ctx = 0, vocab_size = 0;
    float layer_norm_epsilon = 1e-5f;
};
// config.json keys: n_layer, n_head, n_embd, n_positions (or n_ctx), vocab_size, layer_norm_epsilon
// Parses a config.json's text (what load_gpt2 reads first); `path` names it in messages. Throws Error.
Gpt2Config parse_gpt2_config(const std::string& text, const std::string& path = "config.json");

// Every tensor below is one row of the weight table (gpt2_weights.hpp), which loading, saving,
// initialisation and training walk: a new tensor here needs its row there.
struct Gpt2Block {  // Hugging Face h.{i}.*; Conv1D weights are (in, out): y = x W + b
    VectorF ln_1_weight, ln_1_bias;    // (n_embd)
    MatrixF attn_c_attn_weight;        // (n_embd, 3 n_embd) = [W_Q | W_K | W_V]
    VectorF attn_c_attn_bias;          // (3 n_embd)
    MatrixF attn_c_proj_weight;        // (n_embd, n_embd)
    VectorF attn_c_proj_bias;          // (n_embd)
    VectorF ln_2_weight, ln_2_bias;    // (n_embd)
    MatrixF mlp_c_fc_weight;           // (n_embd, 4 n_embd)
    VectorF mlp_c_fc_bias;             // (4 n_embd)
    MatrixF mlp_c_proj_weight;         // (4 n_embd, n_embd)
    VectorF mlp_c_proj_bias;           // (n_embd)
};

struct Gpt2Weights {
    Gpt2Config config;
    MatrixF wte;  // (vocab, n_embd); also the tied output head
    MatrixF wpe;  // (n_ctx, n_embd)
    std::vector<Gpt2Block> h;  // n_layer
    VectorF ln_f_weight, ln_f_bias;  // (n_embd)
};

// DIR/config.json + DIR/model.safetensors (+ tokenizer files beside). Throws Error naming a missing
// file, a missing tensor or a shape that does not match config.json.
Gpt2Weights load_gpt2(const std::string& dir);
// The same, reporting the fraction of tensors read so far (0..1) as it goes.
Gpt2Weights load_gpt2(const std::string& dir, const std::function<void(float)>& progress);
// Writes DIR/config.json + DIR/<weights_file> (F32, HF names, tied lm head). Creates DIR. Refuses
// weights that hold NaN or an infinity (the loader would refuse them).
void save_gpt2(const std::string& dir, const Gpt2Weights& w, const std::string& weights_file = "model.safetensors");
// The config.json save_gpt2 writes for `c`.
std::string gpt2_config_json(const Gpt2Config& c);
// Throws Error unless every tensor of w has the shape w.config asks for.
void check_shapes(const Gpt2Weights& w);

// Random weights of the given shapes, as GPT-2 initializes them (N(0, 0.02) matrices; layer norms
// near 1, biases near 0, both slightly perturbed so that tests exercise them). For benchmarks,
// tests and screenshots: real checkpoints are opened with load_gpt2.
Gpt2Weights random_gpt2(const Gpt2Config& config, std::uint64_t seed);
// The shapes the loader accepts (n_layer <= 256, n_embd <= 16384, n_ctx <= 65536, vocab <= 4M, n_head
// dividing n_embd, at most 2000M parameters); throws Error naming the first that is not.
void check_gpt2_limits(const Gpt2Config& config);
// Writes a byte-level tokenizer (the 256 byte symbols as ids 0..255, then a few English merges)
// as DIR/vocab.json + DIR/merges.txt, so that a synthetic model folder opens like a real one.
// Returns its vocabulary size (<= 512).
int save_byte_tokenizer(const std::string& dir);

// What one block computed, recorded for the trace.
struct Gpt2LayerRecord {
    MatrixF input;        // (n, D) the residual stream entering the block
    MatrixF ln_1;         // (n, D) ln_1(input): what enters attention
    MatrixF qkv;          // (n, 3D) ln_1 W_attn + b = [Q | K | V]; head h owns columns [h d_head, (h+1) d_head) of each
    MatrixF attention;    // (H n, n) head h's causal softmax weights in rows [h n, (h+1) n)
    MatrixF concat;       // (n, D) the heads' outputs side by side
    MatrixF attn_output;  // (n, D) concat W_proj + b, added to the residual stream
};

// The forward pass over token ids (0 < n <= n_ctx, every id < vocab_size; throws Error otherwise).
// Returns the next-token logits after the last token (vocab); with `record`, also every block's
// intermediates (n_layer records). The blocks are training's (train_layers.hpp); matrix products
// run on all OpenMP threads.
VectorF gpt2_forward(const Gpt2Weights& w, const std::vector<int>& ids, std::vector<Gpt2LayerRecord>* record = nullptr);
// The same, handing each block's record to `sink` as soon as the block is done (so that a long text's
// records need not all be in memory at once).
VectorF gpt2_forward(const Gpt2Weights& w, const std::vector<int>& ids,
                     const std::function<void(int layer, Gpt2LayerRecord&& record)>& sink);

}  // namespace attnscope
