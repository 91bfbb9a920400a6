#pragma once
// Efficient attention variants, for comparison against exact attention.
// Shapes: n queries, m keys, d = d_head, per head.
//   Sparse variants choose a pattern: an (n, m) mask combined with the attention mask;
//   softmax then runs over the kept keys only (rows still sum to 1).
//   Low-rank variants replace the (n, m) weights by an effective matrix A_eff built from
//   smaller factors; the head's output is A_eff V in every case.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "attnscope/attention.hpp"
#include "attnscope/matrix.hpp"

namespace attnscope {

enum class VariantKind { Dense, Local, Strided, Fixed, BigBird, TopK, Linformer, Nystrom, Performer, Svd };
inline constexpr VariantKind kAllVariants[] = {
    VariantKind::Dense,  VariantKind::Local,     VariantKind::Strided, VariantKind::Fixed,     VariantKind::BigBird,
    VariantKind::TopK,   VariantKind::Linformer, VariantKind::Nystrom, VariantKind::Performer, VariantKind::Svd};

const char* name(VariantKind v);  // dense, local, strided, fixed, bigbird, topk, linformer, nystrom, performer, svd
VariantKind parse_variant(std::string_view s);
bool is_sparse(VariantKind v);    // local, strided, fixed, bigbird, topk
bool is_low_rank(VariantKind v);  // linformer, nystrom, performer, svd
// How a low-rank variant makes the weights it applies to V (its effective matrix), in symbols;
// empty for the others, whose weights are a softmax.
const char* effective_weights_formula(VariantKind v);

// Every variant's parameters; each variant reads only its own.
struct VariantParams {
    VariantKind kind = VariantKind::Dense;
    int window = 2;                 // local: keys within window*dilation on each side; bigbird: blocks each side
    int dilation = 1;               // local: keep every dilation-th key in the window
    std::vector<int> global_tokens; // local: positions that attend everywhere and are attended by all
    int stride = 4;                 // strided: l; fixed: block length l
    int summary = 1;                // fixed: c summary positions at the end of each block
    int block = 2;                  // bigbird: block size b
    int globals = 1;                // bigbird: the first g tokens are global
    int random_blocks = 1;          // bigbird: r random key blocks per query block (seeded)
    int top_k = 4;                  // topk: keys kept per query
    int k = 4;                      // linformer: projected length
    int landmarks = 4;              // nystrom: m landmarks (segment means)
    int features = 16;              // performer: random features
    int rank = 4;                   // svd: kept singular values
    int pinv_iterations = 6;        // nystrom: pseudo-inverse iterations (Nystromformer uses 6)
    bool operator==(const VariantParams&) const = default;
};

// --- Every variant parameter, once ---------------------------------------------------------
// CLI options, validate(), the inputs' JSON, the Compare and Scaling sliders and bench walk this
// table: adding a parameter is a field in VariantParams and one row in variant_param_table().

// An upper bound: a fixed number, or relative to the sequence (n queries, m keys) or to another
// parameter, plus `offset`. validate() evaluates it at n = m = kMaxTokens (inputs.hpp), the cap.
enum class UpperBound {
    Fixed,     // offset
    Keys,      // m + offset
    KeyUnits,  // the variant's key units + offset: m, or key blocks ceil(m / block) for bigbird
    Tokens,    // min(n, m) + offset: the computation needs the value within it (not just sensible)
    Param,     // the value of `param` + offset
};

struct VariantParamInfo {
    const char* name;                                  // JSON key; CLI option "--" + name with '_' -> '-'
    const char* label;                                 // in messages and sliders ("random blocks")
    int VariantParams::*field;                         // null for the list row (global_tokens)
    std::vector<int> VariantParams::*list;             // each entry in range; null for int rows
    std::vector<VariantKind> kinds;                    // the variants that read it
    int lo;                                            // fixed lower bound
    UpperBound hi;
    int hi_offset;
    int VariantParams::*hi_param;                      // UpperBound::Param only
    const char* help;                                  // one line (CLI help, slider tooltip)
    const char* example;                               // the fix in messages: "--window 2"
    const char* option_override = nullptr;             // a CLI option not derived from name ("--global")
    bool log_slider = false;                           // wide ranges: logarithmic sliders
    // Bench only: 0 asks for a value chosen per length n (auto_help says which); null: no such value.
    int (*auto_value)(int n) = nullptr;
    const char* auto_help = nullptr;

    std::string option() const;                        // "--top-k", "--global"
    bool reads(VariantKind kind) const;
    int default_value() const;                         // from VariantParams{}; the list row: 0
    int upper(const VariantParams& v, int n, int m) const;  // the upper bound at n queries, m keys
    std::string range_text() const;                    // "1..keys", "0..key blocks", "1..stride"
    // What the parameter means to one reader: help's "kind: ..." part ("local: a; bigbird: b"), unprefixed.
    std::string help_for(VariantKind kind) const;
};

const std::vector<VariantParamInfo>& variant_param_table();
std::vector<const VariantParamInfo*> variant_params_of(VariantKind kind);  // in table order
const VariantParamInfo* find_variant_param(std::string_view name);         // null when unknown

// Sparse patterns, (n, m), true = kept. Definitions (0-based i query, j key):
// local:   |i - j| <= window*dilation and (i - j) % dilation == 0, or i or j is global.
MaskMatrix local_pattern(int n, int m, int window, int dilation, const std::vector<int>& global_tokens);
// strided (Child et al.): |i - j| < stride, or (i - j) % stride == 0.
MaskMatrix strided_pattern(int n, int m, int stride);
// fixed (Child et al.): j in i's block of length l, or j % l >= l - c (the block's summary positions).
MaskMatrix fixed_pattern(int n, int m, int block, int summary);
// bigbird: blocks of size b (the last may be short); query block qb keeps key blocks
// within `window` blocks, `random_blocks` other key blocks drawn with `seed`, and the first
// `globals` tokens attend and are attended everywhere.
MaskMatrix bigbird_pattern(int n, int m, int block, int window, int globals, int random_blocks, std::uint64_t seed);
// (query blocks, key blocks): the block part of that pattern, the window and the random blocks.
MaskMatrix bigbird_blocks(int query_blocks, int key_blocks, int window, int random_blocks, std::uint64_t seed);
// topk: per row, the k largest finite logits (ties to the lower index).
MaskMatrix topk_pattern(const Matrix& logits, int k);

// Low-rank factors, per head.
// Linformer: K' = E K, V' = F V with E, F (k, m); P = softmax(Q K'^T / sqrt(d) / T) (n, k);
// output = P V' = (P F) V, so A_eff = P F.
Matrix linformer_projection(int k, int m, std::uint64_t seed, std::string_view name);  // N(0, 1/k)
Matrix linformer_effective(const Matrix& Q, const Matrix& K, const Matrix& E, const Matrix& F, double temperature);

// Nystrom (Xiong et al.): landmarks are means of m contiguous segments of Q and K (segment s
// covers rows [floor(s n / m), floor((s+1) n / m))). With scale c = 1 / (sqrt(d) T):
// A_eff = softmax(c Q K~^T) pinv(softmax(c Q~ K~^T)) softmax(c Q~ K^T).
Matrix segment_means(const Matrix& x, int segments);
// The iterative Moore-Penrose pseudo-inverse of Razavi et al., as in Nystromformer. Few
// iterations act as a regularizer: with an ill-conditioned landmark matrix the exact
// pseudo-inverse (many iterations) blows the approximation up; Nystromformer's 6 do not.
Matrix iterative_pinv(const Matrix& a, int iterations);
inline constexpr int kPinvIterations = VariantParams{}.pinv_iterations;
Matrix nystrom_effective(const Matrix& Q, const Matrix& K, const Matrix& Q_landmarks, const Matrix& K_landmarks,
                         double temperature, int pinv_iterations);

// Performer FAVOR+ (Choromanski et al.): W (features, d) has orthogonal rows in blocks of d,
// each scaled to the norm of a Gaussian vector. With x scaled by (d^(1/4) sqrt(T))^-1,
// phi(x) = exp(W x - |x|^2 / 2) / sqrt(features). A_eff = rows of phi(Q) phi(K)^T normalized.
Matrix performer_features(int features, int d, std::uint64_t seed);
Matrix performer_phi(const Matrix& x, const Matrix& W, double temperature);  // (rows, features)
// Masked pairs get no kernel weight (causal Performer computes the same with prefix sums).
Matrix performer_effective(const Matrix& Q, const Matrix& K, const Matrix& W, double temperature,
                           const MaskMatrix& allowed);

// The best rank-r approximation of the exact weights (Eckart-Young): U_r S_r V_r^T.
struct TruncatedSvd {
    Matrix U;         // (n, r)
    Vector S;         // (r)
    Matrix V;         // (m, r)
    Matrix effective; // (n, m)
};
TruncatedSvd truncated_svd(const Matrix& attention, int rank);
Vector singular_values(const Matrix& a);  // descending

}  // namespace attnscope
