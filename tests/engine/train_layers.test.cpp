// Gradient checks: every layer's backward (and the whole model's) against central finite
// differences of the forward, in double precision. Each check uses the scalar
// loss = sum(out * R) for a fixed random R, so d loss / d out = R is what the backward receives.
#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <sstream>
#include <vector>

#include "attnscope/random.hpp"
#include "attnscope/train.hpp"
#include "attnscope/train_layers.hpp"

using namespace attnscope;
using namespace attnscope::train;

namespace {

std::vector<double> randn(std::size_t n, std::uint64_t seed, double scale = 1.0) {
    Rng rng(seed);
    std::vector<double> v(n);
    for (double& x : v) x = scale * rng.normal();
    return v;
}

double dot(const std::vector<double>& a, const std::vector<double>& b) {
    double s = 0;
    for (std::size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
    return s;
}

// Requires analytic[i] to match (loss(x + h e_i) - loss(x - h e_i)) / 2h for every i.
void check_gradient(const char* what, std::vector<double>& x, const std::vector<double>& analytic,
                    const std::function<double()>& loss, double tol = 1e-6) {
    REQUIRE(analytic.size() == x.size());
    const double h = 1e-5;
    for (std::size_t i = 0; i < x.size(); ++i) {
        const double saved = x[i];
        x[i] = saved + h;
        const double up = loss();
        x[i] = saved - h;
        const double down = loss();
        x[i] = saved;
        const double numeric = (up - down) / (2 * h);
        const double scale = std::max({1.0, std::abs(numeric), std::abs(analytic[i])});
        if (std::abs(numeric - analytic[i]) > tol * scale) {
            std::ostringstream msg;
            msg.precision(12);
            msg << what << "[" << i << "]: analytic " << analytic[i] << ", finite difference " << numeric;
            FAIL(msg.str());
        }
    }
    SUCCEED(what << ": " << x.size() << " gradients match");
}

}  // namespace

TEST_CASE("encoder backward matches finite differences, repeated tokens summing") {
    const int B = 2, T = 3, C = 4, V = 5, maxT = 4;
    const std::vector<int> tokens = {1, 3, 1, 4, 1, 0};  // token 1 three times
    std::vector<double> wte = randn(V * C, 1), wpe = randn(maxT * C, 2), R = randn(B * T * C, 3);
    std::vector<double> out(B * T * C);
    auto loss = [&] {
        encoder_forward(out.data(), tokens.data(), wte.data(), wpe.data(), B, T, C);
        return dot(out, R);
    };
    std::vector<double> dwte(V * C, 0.0), dwpe(maxT * C, 0.0);
    encoder_backward(dwte.data(), dwpe.data(), R.data(), tokens.data(), B, T, C);
    check_gradient("dwte", wte, dwte, loss);
    check_gradient("dwpe", wpe, dwpe, loss);
    // The position row past T gets nothing.
    for (int c = 0; c < C; ++c) REQUIRE(dwpe[3 * C + c] == 0.0);
}

TEST_CASE("layernorm forward normalizes rows and its backward matches finite differences") {
    const int N = 4, C = 6;
    std::vector<double> inp = randn(N * C, 4, 2.0), w = randn(C, 5), b = randn(C, 6), R = randn(N * C, 7);
    std::vector<double> out(N * C), mean(N), rstd(N);
    auto loss = [&] {
        layernorm_forward(out.data(), mean.data(), rstd.data(), inp.data(), w.data(), b.data(), N, C, 1e-5);
        return dot(out, R);
    };
    loss();
    {  // weight 1, bias 0: each row has mean 0 and variance 1 (up to eps)
        std::vector<double> ones(C, 1.0), zeros(C, 0.0), o(N * C);
        layernorm_forward(o.data(), mean.data(), rstd.data(), inp.data(), ones.data(), zeros.data(), N, C, 1e-5);
        for (int i = 0; i < N; ++i) {
            double m = 0, v = 0;
            for (int c = 0; c < C; ++c) m += o[i * C + c] / C;
            for (int c = 0; c < C; ++c) v += (o[i * C + c] - m) * (o[i * C + c] - m) / C;
            REQUIRE(std::abs(m) < 1e-12);
            REQUIRE(std::abs(v - 1) < 1e-4);
        }
    }
    loss();
    std::vector<double> dinp(N * C, 0.0), dw(C, 0.0), db(C, 0.0);
    layernorm_backward(dinp.data(), dw.data(), db.data(), R.data(), inp.data(), w.data(), mean.data(), rstd.data(), N, C);
    check_gradient("dinp", inp, dinp, loss);
    check_gradient("dweight", w, dw, loss);
    check_gradient("dbias", b, db, loss);
}

TEST_CASE("matmul backward matches finite differences") {
    const int N = 5, C = 4, OC = 3;
    std::vector<double> inp = randn(N * C, 8), w = randn(C * OC, 9), b = randn(OC, 10), R = randn(N * OC, 11);
    std::vector<double> out(N * OC);
    auto loss = [&] {
        matmul_forward(out.data(), inp.data(), w.data(), b.data(), N, C, OC);
        return dot(out, R);
    };
    loss();
    // out[0][1] by hand: sum_c inp[0][c] w[c][1] + b[1]
    double o01 = b[1];
    for (int c = 0; c < C; ++c) o01 += inp[c] * w[c * OC + 1];
    REQUIRE(std::abs(out[1] - o01) < 1e-12);
    std::vector<double> dinp(N * C, 0.0), dw(C * OC, 0.0), db(OC, 0.0);
    matmul_backward(dinp.data(), dw.data(), db.data(), R.data(), inp.data(), w.data(), N, C, OC);
    check_gradient("dinp", inp, dinp, loss);
    check_gradient("dweight", w, dw, loss);
    check_gradient("dbias", b, db, loss);
}

TEST_CASE("attention forward is causal with rows summing to 1, and its backward matches finite differences") {
    const int B = 2, T = 5, C = 6, NH = 2;
    std::vector<double> qkv = randn(B * T * 3 * C, 12), R = randn(B * T * C, 13);
    std::vector<double> out(B * T * C), att(B * NH * T * T);
    auto loss = [&] {
        attention_forward(out.data(), att.data(), qkv.data(), B, T, C, NH);
        return dot(out, R);
    };
    loss();
    for (int bh = 0; bh < B * NH; ++bh)
        for (int i = 0; i < T; ++i) {
            double sum = 0;
            for (int j = 0; j < T; ++j) {
                const double a = att[(bh * T + i) * T + j];
                if (j > i) REQUIRE(a == 0.0);
                sum += a;
            }
            REQUIRE(std::abs(sum - 1) < 1e-12);
        }
    // The first query sees only itself: its output is its own V.
    for (int c = 0; c < C; ++c) REQUIRE(std::abs(out[c] - qkv[2 * C + c]) < 1e-12);
    std::vector<double> dqkv(B * T * 3 * C, 0.0);
    attention_backward(dqkv.data(), R.data(), qkv.data(), att.data(), B, T, C, NH);
    check_gradient("dqkv", qkv, dqkv, loss);
}

TEST_CASE("gelu matches its formula and its backward matches finite differences") {
    const int N = 9;
    std::vector<double> inp = randn(N, 14, 2.0), R = randn(N, 15), out(N);
    inp[0] = 0.0;
    auto loss = [&] {
        gelu_forward(out.data(), inp.data(), N);
        return dot(out, R);
    };
    loss();
    REQUIRE(out[0] == 0.0);
    const double x = inp[1];
    REQUIRE(std::abs(out[1] - 0.5 * x * (1 + std::tanh(std::sqrt(2 / M_PI) * (x + 0.044715 * x * x * x)))) < 1e-14);
    std::vector<double> dinp(N, 0.0);
    gelu_backward(dinp.data(), inp.data(), R.data(), N);
    check_gradient("dinp", inp, dinp, loss);
}

TEST_CASE("residual backward matches finite differences") {
    const int N = 7;
    std::vector<double> a = randn(N, 16), b = randn(N, 17), R = randn(N, 18), out(N);
    auto loss = [&] {
        residual_forward(out.data(), a.data(), b.data(), N);
        return dot(out, R);
    };
    std::vector<double> da(N, 0.0), db(N, 0.0);
    residual_backward(da.data(), db.data(), R.data(), N);
    check_gradient("da", a, da, loss);
    check_gradient("db", b, db, loss);
}

TEST_CASE("tied head backward matches finite differences") {
    const int N = 4, C = 5, V = 6;
    std::vector<double> inp = randn(N * C, 19), wte = randn(V * C, 20), R = randn(N * V, 21), out(N * V);
    auto loss = [&] {
        logits_forward(out.data(), inp.data(), wte.data(), N, C, V);
        return dot(out, R);
    };
    std::vector<double> dinp(N * C, 0.0), dwte(V * C, 0.0);
    logits_backward(dinp.data(), dwte.data(), R.data(), inp.data(), wte.data(), N, C, V);
    check_gradient("dinp", inp, dinp, loss);
    check_gradient("dwte", wte, dwte, loss);
}

TEST_CASE("cross-entropy skips unscored rows and its backward matches finite differences") {
    const int N = 4, V = 5;
    const std::vector<int> targets = {2, -1, 0, 4};
    std::vector<double> logits = randn(N * V, 22, 3.0), probs(N * V), losses(N);
    auto loss = [&] { return crossentropy_forward(probs.data(), losses.data(), logits.data(), targets.data(), N, V); };
    const double mean = loss();
    // By hand: row 0's loss = log(sum exp) - logit[target]
    double z = 0;
    for (int v = 0; v < V; ++v) z += std::exp(logits[v]);
    REQUIRE(std::abs(losses[0] - (std::log(z) - logits[2])) < 1e-12);
    REQUIRE(losses[1] == 0.0);
    REQUIRE(std::abs(mean - (losses[0] + losses[2] + losses[3]) / 3) < 1e-12);
    std::vector<double> dlogits(N * V, 0.0);
    crossentropy_backward(dlogits.data(), probs.data(), targets.data(), N, V);
    for (int v = 0; v < V; ++v) REQUIRE(dlogits[V + v] == 0.0);
    check_gradient("dlogits", logits, dlogits, loss);
}

TEST_CASE("the whole model's backward matches finite differences for every parameter") {
    const Gpt2Config cfg{2, 2, 8, 6, 7};  // layers, heads, n_embd, n_ctx, vocab
    Model<double> model(cfg);
    init_gpt2(model, 3);
    // Larger weights than GPT-2's 0.02 so that every path carries a visible gradient.
    for (double& w : model.params()) w *= 10;
    const int B = 2, T = 5;
    const std::vector<int> tokens = {1, 4, 4, 0, 6, 2, 3, 5, 1, 1};
    const std::vector<int> targets = {4, -1, 0, 6, 2, 3, 5, 1, -1, 0};
    model.zero_grad();
    model.forward(tokens.data(), targets.data(), B, T);
    model.backward();
    const std::vector<double> analytic = model.grads();
    std::vector<double>& params = model.params();
    auto loss = [&] { return model.forward(tokens.data(), targets.data(), B, T); };
    check_gradient("model parameters", params, analytic, loss, 1e-6);
    // Sanity: some gradient reaches every tensor kind (wte, wpe, a block's weights, ln_f).
    const ParamLayout& p = model.layout();
    for (long begin : {p.wte, p.wpe, p.qkvw, p.attprojw, p.fcw, p.fcprojw, p.lnfw}) {
        double sum = 0;
        for (long i = begin; i < begin + 8; ++i) sum += std::abs(analytic[i]);
        REQUIRE(sum > 0);
    }
}

TEST_CASE("the float model's loss and gradients agree with the double model's") {
    const Gpt2Config cfg{1, 2, 8, 8, 9};
    Model<double> md(cfg);
    init_gpt2(md, 5);
    Model<float> mf(cfg);
    for (std::size_t i = 0; i < md.params().size(); ++i) mf.params()[i] = static_cast<float>(md.params()[i]);
    const std::vector<int> tokens = {1, 2, 3, 4, 5, 6, 7, 8}, targets = {2, 3, 4, 5, 6, 7, 8, 0};
    const double ld = md.forward(tokens.data(), targets.data(), 1, 8);
    const double lf = mf.forward(tokens.data(), targets.data(), 1, 8);
    REQUIRE(std::abs(ld - std::log(9.0)) < 0.05);  // tiny init weights: near-uniform predictions
    REQUIRE(std::abs(ld - lf) < 1e-5);
    md.zero_grad(), mf.zero_grad();
    md.backward(), mf.backward();
    for (std::size_t i = 0; i < md.grads().size(); ++i) REQUIRE(std::abs(md.grads()[i] - mf.grads()[i]) < 1e-4);
}
