// The layers of a GPT-2-style model as forward/backward pairs (see train_layers.hpp for the shape legend).
// Matrix products go through Eigen maps over the plain buffers; everything else is a loop one reads
// next to its formula.
#include "attnscope/train_layers.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <cblas.h>
#include <limits>
#include <type_traits>

namespace attnscope::train {
namespace {

template <class F>
using Mat = Eigen::Matrix<F, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class F>
using MapM = Eigen::Map<Mat<F>>;
template <class F>
using MapCM = Eigen::Map<const Mat<F>>;
// A column block of a wider row-major buffer, e.g. one head's Q inside qkv (row stride 3C).
template <class F>
using StridedM = Eigen::Map<Mat<F>, 0, Eigen::OuterStride<>>;
template <class F>
using StridedCM = Eigen::Map<const Mat<F>, 0, Eigen::OuterStride<>>;
template <class F>
using MapV = Eigen::Map<Eigen::Matrix<F, 1, Eigen::Dynamic>>;
template <class F>
using MapCV = Eigen::Map<const Eigen::Matrix<F, 1, Eigen::Dynamic>>;

}  // namespace

// --- encoder: token + position embeddings ---

template <class F>
void encoder_forward(F* out, const int* tokens, const F* wte, const F* wpe, int B, int T, int C) {
    for (int b = 0; b < B; ++b)
        for (int t = 0; t < T; ++t) {
            F* o = out + (static_cast<long>(b) * T + t) * C;                        // (C)
            const F* e = wte + static_cast<long>(tokens[b * T + t]) * C;            // (C)
            const F* p = wpe + static_cast<long>(t) * C;                            // (C)
            for (int c = 0; c < C; ++c) o[c] = e[c] + p[c];
        }
}

template <class F>
void encoder_backward(F* dwte, F* dwpe, const F* dout, const int* tokens, int B, int T, int C) {
    for (int b = 0; b < B; ++b)
        for (int t = 0; t < T; ++t) {
            const F* d = dout + (static_cast<long>(b) * T + t) * C;                 // (C)
            F* de = dwte + static_cast<long>(tokens[b * T + t]) * C;                // (C)
            F* dp = dwpe + static_cast<long>(t) * C;                                // (C)
            for (int c = 0; c < C; ++c) de[c] += d[c], dp[c] += d[c];
        }
}

// --- layer norm ---

template <class F>
void layernorm_forward(F* out, F* mean, F* rstd, const F* inp, const F* weight, const F* bias, int N, int C, F eps) {
    for (int i = 0; i < N; ++i) {
        const F* x = inp + static_cast<long>(i) * C;  // (C)
        F m = 0;
        for (int c = 0; c < C; ++c) m += x[c];
        m /= C;
        F var = 0;
        for (int c = 0; c < C; ++c) var += (x[c] - m) * (x[c] - m);
        var /= C;
        const F s = F(1) / std::sqrt(var + eps);
        F* o = out + static_cast<long>(i) * C;  // (C)
        for (int c = 0; c < C; ++c) o[c] = (x[c] - m) * s * weight[c] + bias[c];
        mean[i] = m, rstd[i] = s;
    }
}

template <class F>
void layernorm_backward(F* dinp, F* dweight, F* dbias, const F* dout, const F* inp, const F* weight, const F* mean,
                        const F* rstd, int N, int C) {
    for (int i = 0; i < N; ++i) {
        const F* x = inp + static_cast<long>(i) * C;   // (C)
        const F* d = dout + static_cast<long>(i) * C;  // (C)
        F* dx = dinp + static_cast<long>(i) * C;       // (C)
        // norm = (x - mean) rstd; dnorm = weight * dout. The mean and the variance depend on every x,
        // which subtracts dnorm's mean and its projection on norm.
        F dnorm_mean = 0, dnorm_norm_mean = 0;
        for (int c = 0; c < C; ++c) {
            const F norm = (x[c] - mean[i]) * rstd[i];
            const F dnorm = weight[c] * d[c];
            dnorm_mean += dnorm, dnorm_norm_mean += dnorm * norm;
        }
        dnorm_mean /= C, dnorm_norm_mean /= C;
        for (int c = 0; c < C; ++c) {
            const F norm = (x[c] - mean[i]) * rstd[i];
            const F dnorm = weight[c] * d[c];
            dbias[c] += d[c];
            dweight[c] += norm * d[c];
            dx[c] += (dnorm - dnorm_mean - norm * dnorm_norm_mean) * rstd[i];
        }
    }
}

// --- matmul (Conv1D) ---

// Float products go to OpenBLAS's sgemm (Debian's libopenblas: AVX2 / AVX-512 kernels picked at run
// time, its own threads); double products (the gradient checks) stay with Eigen.
template <class F>
void matmul_forward(F* out, const F* inp, const F* weight, const F* bias, int N, int C, int OC) {
    MapM<F> o(out, N, OC);
    if constexpr (std::is_same_v<F, float>)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, OC, C, 1.0f, inp, C, weight, OC, 0.0f, out, OC);
    else
        o.noalias() = MapCM<F>(inp, N, C) * MapCM<F>(weight, C, OC);
    if (bias) o.rowwise() += MapCV<F>(bias, OC);
}

template <class F>
void matmul_backward(F* dinp, F* dweight, F* dbias, const F* dout, const F* inp, const F* weight, int N, int C,
                     int OC) {
    const MapCM<F> d(dout, N, OC);
    if constexpr (std::is_same_v<F, float>) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, N, C, OC, 1.0f, dout, OC, weight, OC, 1.0f, dinp, C);
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, C, OC, N, 1.0f, inp, C, dout, OC, 1.0f, dweight, OC);
    } else {
        MapM<F>(dinp, N, C).noalias() += d * MapCM<F>(weight, C, OC).transpose();
        MapM<F>(dweight, C, OC).noalias() += MapCM<F>(inp, N, C).transpose() * d;
    }
    if (dbias) MapV<F>(dbias, OC) += d.colwise().sum();
}

// --- causal multi-head attention ---

template <class F>
void attention_forward(F* out, F* att, const F* qkv, int B, int T, int C, int NH) {
    const int hs = C / NH;
    const F scale = F(1) / std::sqrt(static_cast<F>(hs));
#pragma omp parallel for collapse(2) schedule(static) if (B * NH > 1 && static_cast<long>(B) * T * T * C > 4000000)
    for (int b = 0; b < B; ++b)
        for (int h = 0; h < NH; ++h) {
            const F* base = qkv + static_cast<long>(b) * T * 3 * C;
            const StridedCM<F> Q(base + h * hs, T, hs, Eigen::OuterStride<>(3 * C));          // (T, hs)
            const StridedCM<F> K(base + C + h * hs, T, hs, Eigen::OuterStride<>(3 * C));      // (T, hs)
            const StridedCM<F> V(base + 2 * C + h * hs, T, hs, Eigen::OuterStride<>(3 * C));  // (T, hs)
            MapM<F> A(att + (static_cast<long>(b) * NH + h) * T * T, T, T);                   // (T, T)
            A.noalias() = (Q * K.transpose()) * scale;
            for (int i = 0; i < T; ++i) {  // softmax over the keys j <= i; later keys get weight 0
                F mx = -std::numeric_limits<F>::infinity();
                for (int j = 0; j <= i; ++j) mx = std::max(mx, A(i, j));
                F sum = 0;
                for (int j = 0; j <= i; ++j) sum += (A(i, j) = std::exp(A(i, j) - mx));
                for (int j = 0; j <= i; ++j) A(i, j) /= sum;
                for (int j = i + 1; j < T; ++j) A(i, j) = 0;
            }
            StridedM<F> O(out + static_cast<long>(b) * T * C + h * hs, T, hs, Eigen::OuterStride<>(C));  // (T, hs)
            O.noalias() = A * V;
        }
}

template <class F>
void attention_backward(F* dqkv, const F* dout, const F* qkv, const F* att, int B, int T, int C, int NH) {
    const int hs = C / NH;
    const F scale = F(1) / std::sqrt(static_cast<F>(hs));
#pragma omp parallel for collapse(2) schedule(static) if (B * NH > 1 && static_cast<long>(B) * T * T * C > 4000000)
    for (int b = 0; b < B; ++b)
        for (int h = 0; h < NH; ++h) {
            const long row0 = static_cast<long>(b) * T * 3 * C;
            const Eigen::OuterStride<> s3(3 * C);
            const StridedCM<F> Q(qkv + row0 + h * hs, T, hs, s3);          // (T, hs)
            const StridedCM<F> K(qkv + row0 + C + h * hs, T, hs, s3);      // (T, hs)
            const StridedCM<F> V(qkv + row0 + 2 * C + h * hs, T, hs, s3);  // (T, hs)
            StridedM<F> dQ(dqkv + row0 + h * hs, T, hs, s3);               // (T, hs)
            StridedM<F> dK(dqkv + row0 + C + h * hs, T, hs, s3);           // (T, hs)
            StridedM<F> dV(dqkv + row0 + 2 * C + h * hs, T, hs, s3);       // (T, hs)
            const MapCM<F> A(att + (static_cast<long>(b) * NH + h) * T * T, T, T);                        // (T, T)
            const StridedCM<F> dO(dout + static_cast<long>(b) * T * C + h * hs, T, hs, Eigen::OuterStride<>(C));  // (T, hs)
            dV.noalias() += A.transpose() * dO;
            Mat<F> dA = dO * V.transpose();  // (T, T)
            // Softmax backward: d logit_ij = a_ij (dA_ij - sum_k a_ik dA_ik). Masked weights are 0,
            // so masked logits get no gradient.
            for (int i = 0; i < T; ++i) {
                const F dot = A.row(i).dot(dA.row(i));
                for (int j = 0; j < T; ++j) dA(i, j) = A(i, j) * (dA(i, j) - dot) * scale;
            }
            dQ.noalias() += dA * K;
            dK.noalias() += dA.transpose() * Q;
        }
}

// --- GELU ---

namespace {
template <class F>
constexpr F kGeluScale = static_cast<F>(0.7978845608028654);  // sqrt(2 / pi)
}

template <class F>
void gelu_forward(F* out, const F* inp, int N) {
    for (int i = 0; i < N; ++i) {
        const F x = inp[i];
        out[i] = F(0.5) * x * (F(1) + std::tanh(kGeluScale<F> * (x + F(0.044715) * x * x * x)));
    }
}

template <class F>
void gelu_backward(F* dinp, const F* inp, const F* dout, int N) {
    for (int i = 0; i < N; ++i) {
        const F x = inp[i];
        const F th = std::tanh(kGeluScale<F> * (x + F(0.044715) * x * x * x));
        const F sech2 = F(1) - th * th;
        const F grad = F(0.5) * (F(1) + th) + F(0.5) * x * sech2 * kGeluScale<F> * (F(1) + F(3 * 0.044715) * x * x);
        dinp[i] += grad * dout[i];
    }
}

// --- residual ---

template <class F>
void residual_forward(F* out, const F* a, const F* b, int N) {
    for (int i = 0; i < N; ++i) out[i] = a[i] + b[i];
}

template <class F>
void residual_backward(F* da, F* db, const F* dout, int N) {
    for (int i = 0; i < N; ++i) da[i] += dout[i], db[i] += dout[i];
}

// --- tied head and loss ---

template <class F>
void logits_forward(F* logits, const F* inp, const F* wte, int N, int C, int V) {
    if constexpr (std::is_same_v<F, float>)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, N, V, C, 1.0f, inp, C, wte, C, 0.0f, logits, V);
    else
        MapM<F>(logits, N, V).noalias() = MapCM<F>(inp, N, C) * MapCM<F>(wte, V, C).transpose();
}

template <class F>
void logits_backward(F* dinp, F* dwte, const F* dlogits, const F* inp, const F* wte, int N, int C, int V) {
    if constexpr (std::is_same_v<F, float>) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, C, V, 1.0f, dlogits, V, wte, C, 1.0f, dinp, C);
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, V, C, N, 1.0f, dlogits, V, inp, C, 1.0f, dwte, C);
    } else {
        const MapCM<F> d(dlogits, N, V);
        MapM<F>(dinp, N, C).noalias() += d * MapCM<F>(wte, V, C);
        MapM<F>(dwte, V, C).noalias() += d.transpose() * MapCM<F>(inp, N, C);
    }
}

template <class F>
F crossentropy_forward(F* probs, F* losses, const F* logits, const int* targets, int N, int V) {
    F total = 0;
    int scored = 0;
    for (int i = 0; i < N; ++i) {
        const F* z = logits + static_cast<long>(i) * V;  // (V)
        F* p = probs + static_cast<long>(i) * V;         // (V)
        const F mx = *std::max_element(z, z + V);
        F sum = 0;
        for (int v = 0; v < V; ++v) sum += (p[v] = std::exp(z[v] - mx));
        for (int v = 0; v < V; ++v) p[v] /= sum;
        losses[i] = 0;
        if (targets[i] < 0) continue;
        losses[i] = -(z[targets[i]] - mx - std::log(sum));  // -log p[target], without underflow
        total += losses[i];
        ++scored;
    }
    return scored ? total / scored : F(0);
}

template <class F>
void crossentropy_backward(F* dlogits, const F* probs, const int* targets, int N, int V) {
    const int scored = static_cast<int>(std::count_if(targets, targets + N, [](int t) { return t >= 0; }));
    if (scored == 0) return;
    const F w = F(1) / scored;
    for (int i = 0; i < N; ++i) {
        if (targets[i] < 0) continue;
        const F* p = probs + static_cast<long>(i) * V;  // (V)
        F* d = dlogits + static_cast<long>(i) * V;      // (V)
        for (int v = 0; v < V; ++v) d[v] += w * (p[v] - (v == targets[i] ? F(1) : F(0)));
    }
}

#define ATTNSCOPE_TRAIN_LAYERS(F)                                                                   \
    template void encoder_forward<F>(F*, const int*, const F*, const F*, int, int, int);              \
    template void encoder_backward<F>(F*, F*, const F*, const int*, int, int, int);                   \
    template void layernorm_forward<F>(F*, F*, F*, const F*, const F*, const F*, int, int, F);        \
    template void layernorm_backward<F>(F*, F*, F*, const F*, const F*, const F*, const F*, const F*, \
                                        int, int);                                                  \
    template void matmul_forward<F>(F*, const F*, const F*, const F*, int, int, int);                 \
    template void matmul_backward<F>(F*, F*, F*, const F*, const F*, const F*, int, int, int);        \
    template void attention_forward<F>(F*, F*, const F*, int, int, int, int);                         \
    template void attention_backward<F>(F*, const F*, const F*, const F*, int, int, int, int);        \
    template void gelu_forward<F>(F*, const F*, int);                                                 \
    template void gelu_backward<F>(F*, const F*, const F*, int);                                      \
    template void residual_forward<F>(F*, const F*, const F*, int);                                   \
    template void residual_backward<F>(F*, F*, const F*, int);                                        \
    template void logits_forward<F>(F*, const F*, const F*, int, int, int);                           \
    template void logits_backward<F>(F*, F*, const F*, const F*, const F*, int, int, int);            \
    template F crossentropy_forward<F>(F*, F*, const F*, const int*, int, int);                       \
    template void crossentropy_backward<F>(F*, const F*, const int*, int, int);

ATTNSCOPE_TRAIN_LAYERS(float)
ATTNSCOPE_TRAIN_LAYERS(double)

}  // namespace attnscope::train
