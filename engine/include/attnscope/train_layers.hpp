#pragma once
// The layers of a GPT-2-style model as forward/backward pairs, for training (after llm.c's train_gpt2.c).
// Shape legend:
//   B  batch (sequences)        T  time (tokens per sequence)      C  channels (n_embd)
//   NH heads                    hs C / NH (head size)              V  vocabulary
//   N  rows = B * T             OC output channels of a matmul
// Buffers are plain row-major arrays: (B, T, C) means element [b][t][c] at (b * T + t) * C + c.
// Every backward ADDS into its gradients (dinp, dweight, ...), so gradients from several uses of
// one tensor (the residual stream, the tied embedding) sum; zero them before a backward pass.
// Templated on the scalar: float for training, double for the gradient checks.
namespace attnscope::train {

// out = wte[tokens] + wpe[t]
template <class F>
void encoder_forward(F* out /*(B,T,C)*/, const int* tokens /*(B,T)*/, const F* wte /*(V,C)*/,
                     const F* wpe /*(maxT,C)*/, int B, int T, int C);
template <class F>
void encoder_backward(F* dwte /*(V,C)*/, F* dwpe /*(maxT,C)*/, const F* dout /*(B,T,C)*/,
                      const int* tokens /*(B,T)*/, int B, int T, int C);

// out = (inp - mean) * rstd * weight + bias, per row; mean and rstd are kept for the backward.
template <class F>
void layernorm_forward(F* out /*(N,C)*/, F* mean /*(N)*/, F* rstd /*(N)*/, const F* inp /*(N,C)*/,
                       const F* weight /*(C)*/, const F* bias /*(C)*/, int N, int C, F eps);
template <class F>
void layernorm_backward(F* dinp /*(N,C)*/, F* dweight /*(C)*/, F* dbias /*(C)*/, const F* dout /*(N,C)*/,
                        const F* inp /*(N,C)*/, const F* weight /*(C)*/, const F* mean /*(N)*/,
                        const F* rstd /*(N)*/, int N, int C);

// out = inp weight + bias (Hugging Face Conv1D: weight is (in, out)); bias may be null.
template <class F>
void matmul_forward(F* out /*(N,OC)*/, const F* inp /*(N,C)*/, const F* weight /*(C,OC)*/,
                    const F* bias /*(OC) or null*/, int N, int C, int OC);
template <class F>
void matmul_backward(F* dinp /*(N,C)*/, F* dweight /*(C,OC)*/, F* dbias /*(OC) or null*/, const F* dout /*(N,OC)*/,
                     const F* inp /*(N,C)*/, const F* weight /*(C,OC)*/, int N, int C, int OC);

// Causal multi-head attention on qkv = [Q | K | V]: per head, att = softmax(Q K^T / sqrt(hs)) with
// keys after the query masked (weight 0), out = att V; heads concatenated along C.
template <class F>
void attention_forward(F* out /*(B,T,C)*/, F* att /*(B,NH,T,T)*/, const F* qkv /*(B,T,3C)*/, int B, int T, int C,
                       int NH);
template <class F>
void attention_backward(F* dqkv /*(B,T,3C)*/, const F* dout /*(B,T,C)*/, const F* qkv /*(B,T,3C)*/,
                        const F* att /*(B,NH,T,T)*/, int B, int T, int C, int NH);

// GPT-2's GELU, the tanh approximation: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
template <class F>
void gelu_forward(F* out /*(N)*/, const F* inp /*(N)*/, int N);
template <class F>
void gelu_backward(F* dinp /*(N)*/, const F* inp /*(N)*/, const F* dout /*(N)*/, int N);

// out = a + b
template <class F>
void residual_forward(F* out /*(N)*/, const F* a /*(N)*/, const F* b /*(N)*/, int N);
template <class F>
void residual_backward(F* da /*(N)*/, F* db /*(N)*/, const F* dout /*(N)*/, int N);

// The tied head: logits = inp wte^T.
template <class F>
void logits_forward(F* logits /*(N,V)*/, const F* inp /*(N,C)*/, const F* wte /*(V,C)*/, int N, int C, int V);
template <class F>
void logits_backward(F* dinp /*(N,C)*/, F* dwte /*(V,C)*/, const F* dlogits /*(N,V)*/, const F* inp /*(N,C)*/,
                     const F* wte /*(V,C)*/, int N, int C, int V);

// Softmax cross-entropy over the rows whose target is >= 0 (target -1: not scored). probs and
// losses (0 where not scored) are kept; returns the mean loss over the scored rows (0 if none).
template <class F>
F crossentropy_forward(F* probs /*(N,V)*/, F* losses /*(N)*/, const F* logits /*(N,V)*/, const int* targets /*(N)*/,
                       int N, int V);
// d(mean loss)/d logits = (probs - onehot(target)) / scored rows, on scored rows; 0 elsewhere.
template <class F>
void crossentropy_backward(F* dlogits /*(N,V)*/, const F* probs /*(N,V)*/, const int* targets /*(N)*/, int N, int V);

}  // namespace attnscope::train
