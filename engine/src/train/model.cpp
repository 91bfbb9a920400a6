// The training model: forward and backward through every layer in order (see train.hpp for the layout).
#include "attnscope/train.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <string_view>
#include <type_traits>

#include "attnscope/error.hpp"
#include "attnscope/gpt2_weights.hpp"
#include "attnscope/random.hpp"
#include "attnscope/train_layers.hpp"

namespace attnscope::train {

namespace {

// The offset of the table row named `name`; a compile error if the table has no such row.
template <std::size_t N>
struct RowName {
    char text[N];
    consteval RowName(const char (&s)[N]) { std::copy(s, s + N, text); }
};
template <RowName name>
long offset_of(const ParamLayout& p) {
    constexpr int row = gpt2_weight_row(std::string_view(name.text, sizeof(name.text) - 1));
    static_assert(row >= 0, "the weight table (gpt2_weights.hpp) has no row of this name");
    return p.offsets[row];
}

}  // namespace

ParamLayout param_layout(const Gpt2Config& cfg) {
    ParamLayout p;
    long at = 0;
    for (const Gpt2WeightRow& row : gpt2_weight_table()) {
        p.offsets.push_back(at);
        at += static_cast<long>(row.stacked_count(cfg));
    }
    p.total = at;
    // The tensors the forward and backward passes reach by name.
    p.wte = offset_of<"wte.weight">(p);
    p.wpe = offset_of<"wpe.weight">(p);
    p.ln1w = offset_of<"h.{i}.ln_1.weight">(p);
    p.ln1b = offset_of<"h.{i}.ln_1.bias">(p);
    p.qkvw = offset_of<"h.{i}.attn.c_attn.weight">(p);
    p.qkvb = offset_of<"h.{i}.attn.c_attn.bias">(p);
    p.attprojw = offset_of<"h.{i}.attn.c_proj.weight">(p);
    p.attprojb = offset_of<"h.{i}.attn.c_proj.bias">(p);
    p.ln2w = offset_of<"h.{i}.ln_2.weight">(p);
    p.ln2b = offset_of<"h.{i}.ln_2.bias">(p);
    p.fcw = offset_of<"h.{i}.mlp.c_fc.weight">(p);
    p.fcb = offset_of<"h.{i}.mlp.c_fc.bias">(p);
    p.fcprojw = offset_of<"h.{i}.mlp.c_proj.weight">(p);
    p.fcprojb = offset_of<"h.{i}.mlp.c_proj.bias">(p);
    p.lnfw = offset_of<"ln_f.weight">(p);
    p.lnfb = offset_of<"ln_f.bias">(p);
    return p;
}

std::vector<char> weight_decay_mask(const Gpt2Config& c) {
    const ParamLayout p = param_layout(c);
    std::vector<char> decays(p.total, 0);
    const auto table = gpt2_weight_table();
    for (std::size_t r = 0; r < table.size(); ++r)
        if (table[r].decay)
            std::fill_n(decays.begin() + p.offsets[r], table[r].stacked_count(c), char{1});
    return decays;
}

void check_config(const Gpt2Config& c) {
    auto positive = [](const char* what, int v) {
        if (v < 1) throw Error(std::string(what) + " (" + std::to_string(v) + ") must be at least 1");
    };
    positive("n_layer", c.n_layer);
    positive("n_head", c.n_head);
    positive("n_embd", c.n_embd);
    positive("n_ctx", c.n_ctx);
    positive("vocab_size", c.vocab_size);
    if (c.n_embd % c.n_head != 0)
        throw Error("heads (" + std::to_string(c.n_head) + ") must divide d_model (" + std::to_string(c.n_embd) +
                    "): pick a d_model that is a multiple of the heads");
    if (static_cast<double>(param_layout(c).total) > 2e8)
        throw Error("the model is too large to train here (" + std::to_string(param_layout(c).total) +
                    " parameters): use fewer layers, a smaller d_model or a smaller vocabulary");
}

template <class F>
void Activations<F>::resize(const Gpt2Config& c, int B, int T) {
    const long L = c.n_layer, C = c.n_embd, NH = c.n_head, V = c.vocab_size, BT = static_cast<long>(B) * T;
    encoded.assign(BT * C, 0);
    for (auto* v : {&ln1, &atty, &attproj, &residual2, &ln2, &fcproj, &residual3}) v->assign(L * BT * C, 0);
    for (auto* v : {&ln1_mean, &ln1_rstd, &ln2_mean, &ln2_rstd}) v->assign(L * BT, 0);
    qkv.assign(L * BT * 3 * C, 0);
    att.assign(L * B * NH * T * T, 0);
    fch.assign(L * BT * 4 * C, 0);
    fch_gelu.assign(L * BT * 4 * C, 0);
    lnf.assign(BT * C, 0);
    lnf_mean.assign(BT, 0);
    lnf_rstd.assign(BT, 0);
    logits.assign(BT * V, 0);
    probs.assign(BT * V, 0);
    losses.assign(BT, 0);
}

template <class F>
void Activations<F>::zero() {
    for (auto* v : {&encoded, &ln1, &ln1_mean, &ln1_rstd, &qkv, &atty, &att, &attproj, &residual2, &ln2, &ln2_mean,
                    &ln2_rstd, &fch, &fch_gelu, &fcproj, &residual3, &lnf, &lnf_mean, &lnf_rstd, &logits, &probs,
                    &losses})
        std::fill(v->begin(), v->end(), F(0));
}

template <class F>
Model<F>::Model(const Gpt2Config& config) : config_(config) {
    check_config(config);
    layout_ = param_layout(config);
    params_.assign(layout_.total, F(0));
    grads_.assign(layout_.total, F(0));
}

template <class F>
const F* Model<F>::attention(int layer) const {
    return acts_.att.data() + static_cast<long>(layer) * B_ * config_.n_head * T_ * T_;
}

template <class F>
void Model<F>::zero_grad() {
    std::fill(grads_.begin(), grads_.end(), F(0));
}

template <class F>
F Model<F>::forward(const int* tokens, const int* targets, int B, int T) {
    const int L = config_.n_layer, C = config_.n_embd, NH = config_.n_head, V = config_.vocab_size;
    if (B < 1 || T < 1) throw Error("a batch needs at least one sequence of at least one token");
    if (T > config_.n_ctx)
        throw Error("sequences of " + std::to_string(T) + " tokens are longer than the model's context (" +
                    std::to_string(config_.n_ctx) + "): use a larger n_ctx or shorter inputs");
    const long BT = static_cast<long>(B) * T;
    for (long i = 0; i < BT; ++i)
        if (tokens[i] < 0 || tokens[i] >= V)
            throw Error("token id " + std::to_string(tokens[i]) + " is outside the vocabulary (0.." +
                        std::to_string(V - 1) + ")");
    if (B != B_ || T != T_) {
        acts_.resize(config_, B, T);
        dacts_.resize(config_, B, T);
        B_ = B, T_ = T;
    }
    tokens_.assign(tokens, tokens + BT);
    has_targets_ = targets != nullptr;
    if (targets)
        targets_.assign(targets, targets + BT);
    else
        targets_.clear();

    const ParamLayout& p = layout_;
    const F* w = params_.data();
    Activations<F>& a = acts_;
    encoder_forward(a.encoded.data(), tokens, w + p.wte, w + p.wpe, B, T, C);  // (B, T, C)
    for (int l = 0; l < L; ++l) {
        const F* residual = l == 0 ? a.encoded.data() : a.residual3.data() + (l - 1) * BT * C;  // (B, T, C)
        F* ln1 = a.ln1.data() + l * BT * C;                 // (B, T, C)
        F* ln1_mean = a.ln1_mean.data() + l * BT;           // (B, T)
        F* ln1_rstd = a.ln1_rstd.data() + l * BT;           // (B, T)
        F* qkv = a.qkv.data() + l * BT * 3 * C;             // (B, T, 3C)
        F* atty = a.atty.data() + l * BT * C;               // (B, T, C)
        F* att = a.att.data() + static_cast<long>(l) * B * NH * T * T;  // (B, NH, T, T)
        F* attproj = a.attproj.data() + l * BT * C;         // (B, T, C)
        F* residual2 = a.residual2.data() + l * BT * C;     // (B, T, C)
        F* ln2 = a.ln2.data() + l * BT * C;                 // (B, T, C)
        F* ln2_mean = a.ln2_mean.data() + l * BT;           // (B, T)
        F* ln2_rstd = a.ln2_rstd.data() + l * BT;           // (B, T)
        F* fch = a.fch.data() + l * BT * 4 * C;             // (B, T, 4C)
        F* fch_gelu = a.fch_gelu.data() + l * BT * 4 * C;   // (B, T, 4C)
        F* fcproj = a.fcproj.data() + l * BT * C;           // (B, T, C)
        F* residual3 = a.residual3.data() + l * BT * C;     // (B, T, C)
        const F eps = static_cast<F>(config_.layer_norm_epsilon);

        layernorm_forward(ln1, ln1_mean, ln1_rstd, residual, w + p.ln1w + l * C, w + p.ln1b + l * C, BT, C, eps);
        matmul_forward(qkv, ln1, w + p.qkvw + l * C * 3 * C, w + p.qkvb + l * 3 * C, BT, C, 3 * C);
        attention_forward(atty, att, qkv, B, T, C, NH);
        matmul_forward(attproj, atty, w + p.attprojw + l * C * C, w + p.attprojb + l * C, BT, C, C);
        residual_forward(residual2, residual, attproj, BT * C);
        layernorm_forward(ln2, ln2_mean, ln2_rstd, residual2, w + p.ln2w + l * C, w + p.ln2b + l * C, BT, C, eps);
        matmul_forward(fch, ln2, w + p.fcw + l * C * 4 * C, w + p.fcb + l * 4 * C, BT, C, 4 * C);
        gelu_forward(fch_gelu, fch, BT * 4 * C);
        matmul_forward(fcproj, fch_gelu, w + p.fcprojw + l * 4 * C * C, w + p.fcprojb + l * C, BT, 4 * C, C);
        residual_forward(residual3, residual2, fcproj, BT * C);
    }
    const F* last = a.residual3.data() + (L - 1) * BT * C;  // (B, T, C)
    layernorm_forward(a.lnf.data(), a.lnf_mean.data(), a.lnf_rstd.data(), last, w + p.lnfw, w + p.lnfb, BT, C,
                      static_cast<F>(config_.layer_norm_epsilon));
    logits_forward(a.logits.data(), a.lnf.data(), w + p.wte, BT, C, V);  // (B, T, V)
    if (!targets) return F(0);
    for (long i = 0; i < BT; ++i)
        if (targets[i] < -1 || targets[i] >= V)
            throw Error("target id " + std::to_string(targets[i]) + " is outside the vocabulary (0.." +
                        std::to_string(V - 1) + "; -1 = not scored)");
    return crossentropy_forward(a.probs.data(), a.losses.data(), a.logits.data(), targets, BT, V);
}

template <class F>
void Model<F>::backward() {
    if (!has_targets_) throw Error("backward() needs a forward pass with targets first");
    const int B = B_, T = T_, L = config_.n_layer, C = config_.n_embd, NH = config_.n_head, V = config_.vocab_size;
    const long BT = static_cast<long>(B) * T;
    const ParamLayout& p = layout_;
    const F* w = params_.data();
    F* g = grads_.data();
    const Activations<F>& a = acts_;
    Activations<F>& d = dacts_;  // d(loss)/d(activation), same layout
    d.zero();

    crossentropy_backward(d.logits.data(), a.probs.data(), targets_.data(), BT, V);
    logits_backward(d.lnf.data(), g + p.wte, d.logits.data(), a.lnf.data(), w + p.wte, BT, C, V);
    F* dlast = d.residual3.data() + (L - 1) * BT * C;  // (B, T, C)
    const F* last = a.residual3.data() + (L - 1) * BT * C;
    layernorm_backward(dlast, g + p.lnfw, g + p.lnfb, d.lnf.data(), last, w + p.lnfw, a.lnf_mean.data(),
                       a.lnf_rstd.data(), BT, C);
    for (int l = L - 1; l >= 0; --l) {
        const F* residual = l == 0 ? a.encoded.data() : a.residual3.data() + (l - 1) * BT * C;  // (B, T, C)
        F* dresidual = l == 0 ? d.encoded.data() : d.residual3.data() + (l - 1) * BT * C;      // (B, T, C)
        const long o = l * BT * C, o3 = l * BT * 3 * C, o4 = l * BT * 4 * C, on = l * BT;
        const long oatt = static_cast<long>(l) * B * NH * T * T;

        residual_backward(d.residual2.data() + o, d.fcproj.data() + o, d.residual3.data() + o, BT * C);
        matmul_backward(d.fch_gelu.data() + o4, g + p.fcprojw + l * 4 * C * C, g + p.fcprojb + l * C,
                        d.fcproj.data() + o, a.fch_gelu.data() + o4, w + p.fcprojw + l * 4 * C * C, BT, 4 * C, C);
        gelu_backward(d.fch.data() + o4, a.fch.data() + o4, d.fch_gelu.data() + o4, BT * 4 * C);
        matmul_backward(d.ln2.data() + o, g + p.fcw + l * C * 4 * C, g + p.fcb + l * 4 * C, d.fch.data() + o4,
                        a.ln2.data() + o, w + p.fcw + l * C * 4 * C, BT, C, 4 * C);
        layernorm_backward(d.residual2.data() + o, g + p.ln2w + l * C, g + p.ln2b + l * C, d.ln2.data() + o,
                           a.residual2.data() + o, w + p.ln2w + l * C, a.ln2_mean.data() + on,
                           a.ln2_rstd.data() + on, BT, C);
        residual_backward(dresidual, d.attproj.data() + o, d.residual2.data() + o, BT * C);
        matmul_backward(d.atty.data() + o, g + p.attprojw + l * C * C, g + p.attprojb + l * C, d.attproj.data() + o,
                        a.atty.data() + o, w + p.attprojw + l * C * C, BT, C, C);
        attention_backward(d.qkv.data() + o3, d.atty.data() + o, a.qkv.data() + o3, a.att.data() + oatt, B, T, C, NH);
        matmul_backward(d.ln1.data() + o, g + p.qkvw + l * C * 3 * C, g + p.qkvb + l * 3 * C, d.qkv.data() + o3,
                        a.ln1.data() + o, w + p.qkvw + l * C * 3 * C, BT, C, 3 * C);
        layernorm_backward(dresidual, g + p.ln1w + l * C, g + p.ln1b + l * C, d.ln1.data() + o, residual,
                           w + p.ln1w + l * C, a.ln1_mean.data() + on, a.ln1_rstd.data() + on, BT, C);
    }
    encoder_backward(g + p.wte, g + p.wpe, d.encoded.data(), tokens_.data(), B, T, C);
}

template <class F>
void init_gpt2(Model<F>& model, std::uint64_t seed) {
    const Gpt2Config& c = model.config();
    const ParamLayout& p = model.layout();
    std::vector<F>& w = model.params();
    // One stream through the normal rows in table order (each per-layer row's layers in turn).
    Rng rng(hash64("init_gpt2", seed));
    const double residual_std = 0.02 / std::sqrt(2.0 * c.n_layer);  // each block adds two residual branches
    const auto table = gpt2_weight_table();
    for (std::size_t r = 0; r < table.size(); ++r) {
        const auto begin = w.begin() + p.offsets[r];
        const long size = static_cast<long>(table[r].stacked_count(c));
        const auto normal = [&](double stddev) {
            for (long i = 0; i < size; ++i) begin[i] = static_cast<F>(stddev * rng.normal());
        };
        switch (table[r].init) {
            case TrainInit::normal: normal(0.02); break;
            case TrainInit::residual_normal: normal(residual_std); break;
            case TrainInit::ones: std::fill_n(begin, size, F(1)); break;
            case TrainInit::zeros: std::fill_n(begin, size, F(0)); break;
        }
    }
}

template <class F>
double clip_grad_norm(std::vector<F>& grads, double max_norm) {
    double sum = 0;
    for (F x : grads) sum += static_cast<double>(x) * x;
    const double norm = std::sqrt(sum);
    if (norm > max_norm && norm > 0) {
        const F s = static_cast<F>(max_norm / norm);
        for (F& x : grads) x *= s;
    }
    return norm;
}

template <class F>
void AdamW::update(Model<F>& model, double lr_now) {
    std::vector<F>& w = model.params();
    const std::vector<F>& g = model.grads();
    if (m.size() != w.size()) m.assign(w.size(), 0.0f), v.assign(w.size(), 0.0f), step = 0;
    ++step;
    const double c1 = 1.0 - std::pow(beta1, static_cast<double>(step));  // bias corrections
    const double c2 = 1.0 - std::pow(beta2, static_cast<double>(step));
    // Decay the matrices only: biases and LayerNorm gains are not shrunk towards 0.
    const std::vector<char> decays = weight_decay_mask(model.config());
    for (std::size_t i = 0; i < w.size(); ++i) {
        const double gi = g[i];
        m[i] = static_cast<float>(beta1 * m[i] + (1 - beta1) * gi);
        v[i] = static_cast<float>(beta2 * v[i] + (1 - beta2) * gi * gi);
        const double step_i = (m[i] / c1) / (std::sqrt(v[i] / c2) + eps);
        const double wd = decays[i] ? weight_decay * w[i] : 0.0;
        w[i] = static_cast<F>(w[i] - lr_now * (step_i + wd));
    }
}

// --- conversion to and from the loader's weights ---

namespace {

// Where a tensor of the loader's weights lives in the flat buffer: its row's stacked block, then its layer.
long flat_offset(const ParamLayout& p, const Gpt2WeightRef& ref) {
    return p.offsets[ref.index] + (ref.layer < 0 ? 0 : static_cast<long>(ref.layer) * ref.rows * std::max<long>(ref.cols, 1));
}

}  // namespace

Gpt2Weights to_gpt2(const Model<float>& model) {
    const ParamLayout& p = model.layout();
    const float* w = model.params().data();
    Gpt2Weights out;
    out.config = model.config();
    out.h.resize(out.config.n_layer);
    for_each_gpt2_weight(out, [&](const Gpt2WeightRef& ref, auto& t) {
        if constexpr (std::is_same_v<std::decay_t<decltype(t)>, MatrixF>)
            t.resize(ref.rows, ref.cols);
        else
            t.resize(ref.rows);
        std::copy_n(w + flat_offset(p, ref), t.size(), t.data());
    });
    return out;
}

Model<float> from_gpt2(const Gpt2Weights& in) {
    const Gpt2Config& c = in.config;
    Model<float> model(c);
    const ParamLayout& p = model.layout();
    float* w = model.params().data();
    if (static_cast<int>(in.h.size()) != c.n_layer)
        throw Error("weights have " + std::to_string(in.h.size()) + " blocks, config.json says n_layer " +
                    std::to_string(c.n_layer));
    for_each_gpt2_weight(in, [&](const Gpt2WeightRef& ref, const auto& t) {
        const long expected = static_cast<long>(ref.row.count(c));
        if (t.size() != expected)
            throw Error("weights " + ref.name + " have " + std::to_string(t.size()) + " values, expected " +
                        std::to_string(expected) + " from config.json");
        std::copy_n(t.data(), expected, w + flat_offset(p, ref));
    });
    return model;
}

template struct Activations<float>;
template struct Activations<double>;
template class Model<float>;
template class Model<double>;
template void init_gpt2<float>(Model<float>&, std::uint64_t);
template void init_gpt2<double>(Model<double>&, std::uint64_t);
template double clip_grad_norm<float>(std::vector<float>&, double);
template double clip_grad_norm<double>(std::vector<double>&, double);
template void AdamW::update<float>(Model<float>&, double);
template void AdamW::update<double>(Model<double>&, double);

}  // namespace attnscope::train
