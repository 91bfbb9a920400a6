// The GPT-2 forward pass for inference and tracing, one sequence (B = 1), through the same block
// functions training uses (train_layers.hpp: encoder, layernorm, matmul, attention, gelu, residual,
// logits), so that a traced head's attention is exactly what the model computed.
// Shape legend: n tokens, D = n_embd, H = n_head, d = d_head = D / H, V = vocab_size.
//   x (n, D) residual stream; per block: a = ln_1(x), [Q | K | V] = a W_attn + b (n, 3D),
//   per head A_h = softmax(causal(Q_h K_h^T / sqrt(d))) (n, n), concat = [A_1 V_1 | ... ] (n, D),
//   x += concat W_proj + b;  x += gelu(ln_2(x) W_fc + b) W_mlp_proj + b.
//   Logits for the next token: ln_f(x[n-1]) wte^T (V), the output head tied to the embeddings.
#include "attnscope/error.hpp"
#include "attnscope/gpt2.hpp"
#include "attnscope/train_layers.hpp"

namespace attnscope {

using namespace train;

VectorF gpt2_forward(const Gpt2Weights& w, const std::vector<int>& ids, std::vector<Gpt2LayerRecord>* record) {
    if (record) record->clear();
    return gpt2_forward(w, ids, [record](int, Gpt2LayerRecord&& r) {
        if (record) record->push_back(std::move(r));
    });
}

VectorF gpt2_forward(const Gpt2Weights& w, const std::vector<int>& ids,
                     const std::function<void(int layer, Gpt2LayerRecord&& record)>& sink) {
    const Gpt2Config& c = w.config;
    const int n = static_cast<int>(ids.size()), D = c.n_embd, H = c.n_head;
    if (n == 0) throw Error("no tokens to run the model on: type a sentence");
    if (n > c.n_ctx)
        throw Error("the text has " + std::to_string(n) + " tokens but the model's context holds " + std::to_string(c.n_ctx) +
                    " (n_positions): shorten the text");
    for (int id : ids)
        if (id < 0 || id >= c.vocab_size)
            throw Error("token id " + std::to_string(id) + " is outside the model's vocabulary (" +
                        std::to_string(c.vocab_size) + "): the text has a token the model never learned, or the tokenizer files do not match config.json");
    MatrixF x(n, D);  // (n, D)
    encoder_forward(x.data(), ids.data(), w.wte.data(), w.wpe.data(), 1, n, D);
    VectorF mean(n), rstd(n);  // (n) kept by layernorm_forward for a backward pass; unused here
    const float eps = c.layer_norm_epsilon;
    for (int l = 0; l < c.n_layer; ++l) {
        const Gpt2Block& b = w.h[l];
        Gpt2LayerRecord r;
        r.input = x;
        r.ln_1.resize(n, D);
        layernorm_forward(r.ln_1.data(), mean.data(), rstd.data(), x.data(), b.ln_1_weight.data(), b.ln_1_bias.data(), n, D, eps);
        r.qkv.resize(n, 3 * D);
        matmul_forward(r.qkv.data(), r.ln_1.data(), b.attn_c_attn_weight.data(), b.attn_c_attn_bias.data(), n, D, 3 * D);
        r.concat.resize(n, D);
        r.attention.resize(static_cast<Eigen::Index>(H) * n, n);  // (H n, n): head h's rows [h n, (h+1) n)
        attention_forward(r.concat.data(), r.attention.data(), r.qkv.data(), 1, n, D, H);
        r.attn_output.resize(n, D);
        matmul_forward(r.attn_output.data(), r.concat.data(), b.attn_c_proj_weight.data(), b.attn_c_proj_bias.data(), n, D, D);
        residual_forward(x.data(), x.data(), r.attn_output.data(), n * D);

        MatrixF a2(n, D), hidden(n, 4 * D), act(n, 4 * D), mlp(n, D);
        layernorm_forward(a2.data(), mean.data(), rstd.data(), x.data(), b.ln_2_weight.data(), b.ln_2_bias.data(), n, D, eps);
        matmul_forward(hidden.data(), a2.data(), b.mlp_c_fc_weight.data(), b.mlp_c_fc_bias.data(), n, D, 4 * D);
        gelu_forward(act.data(), hidden.data(), n * 4 * D);
        matmul_forward(mlp.data(), act.data(), b.mlp_c_proj_weight.data(), b.mlp_c_proj_bias.data(), n, 4 * D, D);
        residual_forward(x.data(), x.data(), mlp.data(), n * D);
        sink(l, std::move(r));
    }
    MatrixF last(1, D);  // (1, D) ln_f of the last token
    Eigen::VectorXf m1(1), r1(1);
    layernorm_forward(last.data(), m1.data(), r1.data(), x.data() + static_cast<long>(n - 1) * D, w.ln_f_weight.data(),
                      w.ln_f_bias.data(), 1, D, eps);
    VectorF logits(c.vocab_size);  // (V)
    logits_forward(logits.data(), last.data(), w.wte.data(), 1, D, c.vocab_size);
    return logits;
}

}  // namespace attnscope
