#pragma once
// Fast CPU attention kernels (fp32, OpenMP), each checked against a plain reference beside it.
//
// Shape legend (one attention layer):
//   H heads, n queries, m keys/values, d = d_head, c = 1 / (sqrt(d) T) the logit scale.
//   Multi-head tensors are stacked by head, row-major: Q is (H*n, d) and head h owns rows
//   [h*n, (h+1)*n); K and V are (H*m, d); every kernel writes out (H*n, d).
//   Per head, out = A V with A (n, m) the variant's attention weights exactly as variants.hpp
//   defines them (the traced engine's definitions); no fast kernel ever forms A or any
//   (n, m) matrix: memory is O((n + m) d) plus per-thread tiles.
//
// The dense kernel is FlashAttention's recurrence on the CPU: queries in tiles of
// kQueryTile rows, keys in tiles of at most kKeyTile; per tile S = c Q_t K_t^T, then per query
// row a running max mx, running sum l and unnormalized output o:
//   mx' = max(mx, max_j S_ij),  p_ij = exp(S_ij - mx'),  a = exp(mx - mx'),
//   l' = a l + sum_j p_ij,      o' = a o + P V_t,       finally out = o / l (0 when l = 0).
// The tile products are register-blocked micro-kernels on float vectors, one query per vector
// lane: SSE2, AVX2 + FMA or AVX-512, whichever is the widest the CPU supports, picked at run time
// (see kernel_isa()); a -DATTNSCOPE_NATIVE=ON build compiles one copy for its machine.
// The sparse kernels run the same recurrence over only the key tiles their pattern keeps;
// the low-rank kernels work through their (k, d), (landmarks, d) or (features, d) factors.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <Eigen/Dense>

#include "attnscope/variants.hpp"

namespace attnscope {

using MatrixF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using VectorF = Eigen::VectorXf;

inline constexpr int kQueryTile = 64;  // query rows per tile
inline constexpr int kKeyTile = 256;   // keys per tile at most: a (kKeyTile, kQueryTile) score tile stays in L2

// Keys a query may not see, on top of a sparse variant's own pattern (as attention_mask()).
struct KeyMask {
    bool causal = false;               // hide key j from query i when j > i
    std::vector<bool> key_is_padding;  // (m) or empty: hide these keys from every query
};

// One attention problem for every kernel: stacked heads (see the legend above).
struct AttentionProblem {
    MatrixF Q;  // (H*n, d)
    MatrixF K;  // (H*m, d)
    MatrixF V;  // (H*m, d)
    int heads = 1;
    KeyMask mask;
    double temperature = 1.0;

    int n() const { return heads > 0 ? static_cast<int>(Q.rows()) / heads : 0; }
    int m() const { return heads > 0 ? static_cast<int>(K.rows()) / heads : 0; }
    int d() const { return static_cast<int>(Q.cols()); }
};

// Throws Error unless the shapes, heads, padding length and temperature fit together.
void check_problem(const AttentionProblem& p);

// --- dense (exact) ---
// Tiled, fused, multithreaded over (head, query tile); never forms (n, m).
void dense_attention_fused(MatrixF& out, const AttentionProblem& p);
// Plain and materializing: per head the whole (n, m) logits, softmax_rows, then A V.
void dense_attention_reference(MatrixF& out, const AttentionProblem& p);

// --- sparse: the variants.hpp patterns, combined with p.mask ---
// local: |i - j| <= window*dilation and (i - j) % dilation == 0, or i or j global. O(n window d).
void local_attention(MatrixF& out, const AttentionProblem& p, int window, int dilation = 1,
                     const std::vector<int>& global_tokens = {});
// strided: |i - j| < stride or (i - j) % stride == 0. O(n (stride + m / stride) d).
void strided_attention(MatrixF& out, const AttentionProblem& p, int stride);
// bigbird: block-sparse; head h draws its random blocks with head_seed(h, seed), as run() does.
// O(n (2 window + 1 + random_blocks) block d + globals (n + m) d).
void bigbird_attention(MatrixF& out, const AttentionProblem& p, int block, int window, int globals, int random_blocks,
                       std::uint64_t seed);

// --- low rank (like the traced engine they ignore p.mask, except the Performer) ---
// linformer: E, F (H*k, m), head h owns rows [h*k, (h+1)*k). out = softmax(c Q (E K)^T) (F V). O(n k d).
void linformer_attention(MatrixF& out, const AttentionProblem& p, const MatrixF& E, const MatrixF& F);
// nystrom: landmarks = segment means; out = softmax(c Q K~^T) pinv(softmax(c Q~ K~^T)) (softmax(c Q~ K^T) V),
// the last factor by the fused recurrence; pinv (iterative_pinv) in double. O(n landmarks d + landmarks^3).
void nystrom_attention(MatrixF& out, const AttentionProblem& p, int landmarks, int pinv_iterations = kPinvIterations);
// performer: W (H*r, d), head h owns rows [h*r, (h+1)*r). Positive random features; causal by
// blocked prefix sums; per-row (queries) and global (keys) max shifts, which cancel exactly. O(n r d).
void performer_attention(MatrixF& out, const AttentionProblem& p, const MatrixF& W);

// --- variant parameters drawn exactly as run() draws them ---
std::uint64_t head_seed(int h, std::uint64_t seed);  // hash64("head<h>", seed)
// (H*k, m): head h's linformer_projection(k, m, head_seed(h, seed), name) in fp32; name is
// "linformer/E" or "linformer/F".
MatrixF linformer_projections(int heads, int k, int m, std::uint64_t seed, std::string_view name);
// (H*r, d): head h's performer_features(r, d, head_seed(h, seed)) in fp32.
MatrixF performer_feature_maps(int heads, int features, int d, std::uint64_t seed);

// The parameters a variant needs besides VariantParams (empty where unused).
struct VariantWeights {
    MatrixF E, F;  // linformer (H*k, m)
    MatrixF W;     // performer (H*r, d)
};
VariantWeights draw_variant_weights(const VariantParams& v, int heads, int m, int d, std::uint64_t seed);

// Kinds with a fast kernel here: dense, local, strided, bigbird, linformer, nystrom, performer.
bool has_fast_kernel(VariantKind kind);
// The fast kernel for v (throws Error for kinds without one).
void attention_fast(MatrixF& out, const AttentionProblem& p, const VariantParams& v, const VariantWeights& w,
                    std::uint64_t seed);
// The traced definitions, per head in double through variants.hpp and attention.hpp, then cast:
// materializes (n, m) per head, for tests and small benchmarks only.
void attention_reference(MatrixF& out, const AttentionProblem& p, const VariantParams& v, const VariantWeights& w,
                         std::uint64_t seed);

// Kept (query, key) pairs of a sparse variant, averaged over heads (BigBird's random blocks differ
// by head), with the causal mask if asked and no padding, without forming the pattern: what
// attention_cost() takes as `kept`, as run() computes it. Other kinds: the (causal) dense count.
long long kept_pairs(const VariantParams& v, int heads, int n, int m, bool causal, std::uint64_t seed);

// Bytes the fast kernel allocates beyond its inputs and output, from its tile sizes, when run
// with `threads` threads (per-thread tiles, per-head factors, partial sums).
std::size_t kernel_scratch_bytes(const VariantParams& v, int heads, int n, int m, int d, int threads);

// --- threads and the machine ---
void set_kernel_threads(int threads);  // 0: OpenMP's default (all cores)
int kernel_threads();

// The instruction set the tile micro-kernels, the vector exp and the peak microbenchmark run with.
// The default build compiles them for several (sse2, avx2 = AVX2 + FMA, avx512 = AVX-512F + FMA)
// and picks the widest this CPU supports on first use; a -DATTNSCOPE_NATIVE=ON build compiles one,
// "native". The rest of the engine stays at the build's baseline.
std::string kernel_isa();
std::string kernel_isa_description();           // e.g. "avx2 (AVX2 + FMA, 256-bit; runtime dispatch)"
std::vector<std::string> compiled_kernel_isas();  // widest last
std::vector<std::string> supported_kernel_isas(); // the compiled ones this CPU can run, widest last
// Switches every kernel to `isa` (one of supported_kernel_isas()); throws Error naming the choices
// otherwise. Not while kernels run on other threads.
void set_kernel_isa(const std::string& isa);

// Peak fp32 multiply-add throughput of the kernels' instruction set (kernel_isa()) on `threads` threads,
// measured by a short microbenchmark: independent accumulator chains on its widest vectors.
struct FmaPeak {
    double gflops = 0;      // 2 flops per lane per multiply-add, per second of wall time
    double cpu_gflops = 0;  // the same per second of the process's CPU time: on a shared machine,
                            // what the threads did while they actually ran
    int threads = 0;
    std::string instructions;  // e.g. "SSE2 mul+add (128-bit)", "AVX-512 FMA (512-bit)"
    bool fused = false;        // true when the instruction set has FMA
};
FmaPeak measure_fma_peak(int threads, double seconds = 0.25);

}  // namespace attnscope
