// The GPT-2 forward pass in float, every matrix product split across the OpenMP threads.
// Shape legend: n tokens, D = n_embd, H = n_head, d = d_head = D / H, V = vocab_size.
//   x (n, D) residual stream; per block: a = ln_1(x), [Q | K | V] = a W_attn + b (n, 3D),
//   per head A_h = softmax(causal(Q_h K_h^T / sqrt(d))) (n, n), concat = [A_1 V_1 | ... ] (n, D),
//   x += concat W_proj + b;  x += gelu(ln_2(x) W_fc + b) W_mlp_proj + b.
//   Logits for the next token: ln_f(x[n-1]) wte^T (V), the output head tied to the embeddings.
#include <algorithm>
#include <cmath>
#include <limits>
#include <omp.h>

#include "attnscope/error.hpp"
#include "attnscope/gpt2.hpp"

namespace attnscope {
namespace {

MatrixF layer_norm(const MatrixF& x, const VectorF& weight, const VectorF& bias, float eps) {
    MatrixF y(x.rows(), x.cols());  // (n, D)
    for (Eigen::Index i = 0; i < x.rows(); ++i) {
        const float mean = x.row(i).mean();
        const float var = (x.row(i).array() - mean).square().mean();
        y.row(i) = ((x.row(i).array() - mean) / std::sqrt(var + eps) * weight.transpose().array() + bias.transpose().array()).matrix();
    }
    return y;
}

// y = x W + b with W (in, out): the output columns are split into one block per thread (Eigen's own
// threading is off engine-wide; see engine/CMakeLists.txt).
MatrixF linear(const MatrixF& x, const MatrixF& W, const VectorF& b) {
    MatrixF y(x.rows(), W.cols());  // (n, out)
    const Eigen::Index cols = W.cols();
    const Eigen::Index threads = std::max(1, omp_get_max_threads());
    const Eigen::Index chunk = std::max<Eigen::Index>(16, ((cols + threads - 1) / threads + 15) / 16 * 16);
    const Eigen::Index blocks = (cols + chunk - 1) / chunk;
#pragma omp parallel for schedule(static)
    for (Eigen::Index k = 0; k < blocks; ++k) {
        const Eigen::Index c0 = k * chunk, width = std::min(chunk, cols - c0);
        y.middleCols(c0, width).noalias() = x * W.middleCols(c0, width);
    }
    y.rowwise() += b.transpose();
    return y;
}

// GELU, tanh form (GPT-2's "gelu_new").
void gelu(MatrixF& x) {
    const float c = std::sqrt(2.0f / 3.14159265358979f);
    x = (0.5f * x.array() * (1.0f + (c * (x.array() + 0.044715f * x.array().cube())).tanh())).matrix();
}

// Causal multi-head attention on qkv (n, 3D); returns the concatenated head outputs (n, D).
MatrixF attention(const MatrixF& qkv, int heads) {
    const Eigen::Index n = qkv.rows(), D = qkv.cols() / 3, d = D / heads;
    const float scale = 1.0f / std::sqrt(static_cast<float>(d));
    MatrixF concat(n, D);
#pragma omp parallel for schedule(static)
    for (int h = 0; h < heads; ++h) {
        MatrixF s = scale * qkv.middleCols(h * d, d) * qkv.middleCols(D + h * d, d).transpose();  // (n, n)
        for (Eigen::Index i = 0; i < n; ++i) {
            const float mx = s.row(i).head(i + 1).maxCoeff();
            s.row(i).head(i + 1) = (s.row(i).head(i + 1).array() - mx).exp().matrix();
            s.row(i).head(i + 1) /= s.row(i).head(i + 1).sum();
            s.row(i).tail(n - i - 1).setZero();
        }
        concat.middleCols(h * d, d).noalias() = s * qkv.middleCols(2 * D + h * d, d);  // (n, d)
    }
    return concat;
}

}  // namespace

VectorF gpt2_forward(const Gpt2Weights& w, const std::vector<int>& ids, std::vector<Gpt2LayerRecord>* record) {
    const Gpt2Config& c = w.config;
    const int n = static_cast<int>(ids.size());
    if (n == 0) throw Error("no tokens to run the model on: type a sentence");
    if (n > c.n_ctx)
        throw Error("the text has " + std::to_string(n) + " tokens but the model's context holds " + std::to_string(c.n_ctx) +
                    " (n_positions): shorten the text");
    MatrixF x(n, c.n_embd);  // (n, D)
    for (int i = 0; i < n; ++i) {
        if (ids[i] < 0 || ids[i] >= c.vocab_size)
            throw Error("token id " + std::to_string(ids[i]) + " is outside the model's vocabulary (" +
                        std::to_string(c.vocab_size) + "): the tokenizer files do not match config.json");
        x.row(i) = w.wte.row(ids[i]) + w.wpe.row(i);
    }
    if (record) record->clear();
    for (const Gpt2Block& b : w.h) {
        MatrixF a = layer_norm(x, b.ln_1_weight, b.ln_1_bias, c.layer_norm_epsilon);  // (n, D)
        MatrixF qkv = linear(a, b.attn_c_attn_weight, b.attn_c_attn_bias);           // (n, 3D)
        MatrixF concat = attention(qkv, c.n_head);                                    // (n, D)
        MatrixF out = linear(concat, b.attn_c_proj_weight, b.attn_c_proj_bias);      // (n, D)
        if (record) record->push_back({x, std::move(a), std::move(qkv), std::move(concat), out});
        x += out;
        MatrixF hidden = linear(layer_norm(x, b.ln_2_weight, b.ln_2_bias, c.layer_norm_epsilon), b.mlp_c_fc_weight,
                                b.mlp_c_fc_bias);  // (n, 4D)
        gelu(hidden);
        x += linear(hidden, b.mlp_c_proj_weight, b.mlp_c_proj_bias);
    }
    const MatrixF last = layer_norm(x.bottomRows(1), w.ln_f_weight, w.ln_f_bias, c.layer_norm_epsilon);  // (1, D)
    VectorF logits(c.vocab_size);  // (V)
    const Eigen::Index V = c.vocab_size, threads = std::max(1, omp_get_max_threads());
    const Eigen::Index chunk = (V + threads - 1) / threads;
#pragma omp parallel for schedule(static)
    for (Eigen::Index k = 0; k < threads; ++k) {
        const Eigen::Index r0 = k * chunk, rows = std::max<Eigen::Index>(0, std::min(chunk, V - r0));
        if (rows > 0) logits.segment(r0, rows).noalias() = w.wte.middleRows(r0, rows) * last.row(0).transpose();
    }
    return logits;
}

}  // namespace attnscope
