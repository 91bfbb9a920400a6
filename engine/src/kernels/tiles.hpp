#pragma once
// Internal to engine/src/kernels: the online-softmax tile machinery every kernel shares.
// Shapes: rows <= kQueryTile query rows of one head, keys of that head, d = d_head; the tile's
// buffers are transposed (see TileScratch).
#include <algorithm>
#include <limits>
#include <vector>

#include "attnscope/kernels.hpp"

namespace attnscope::kernels {

inline constexpr float kNegInf = -std::numeric_limits<float>::infinity();
using RowsF = Eigen::Ref<MatrixF>;
using ConstRowsF = Eigen::Ref<const MatrixF>;

// Where a run of rows sits in its head's sequence: first + k, or table[k]; always increasing.
struct Positions {
    const int* table = nullptr;
    int first = 0;
    int operator[](int k) const { return table ? table[k] : first + k; }
    Positions from(int k) const { return table ? Positions{table + k, 0} : Positions{nullptr, first + k}; }
    // The first k in [0, count) whose position is >= pos (>: upper), or count.
    int lower(int pos, int count) const {
        if (!table) return std::clamp(pos - first, 0, count);
        return static_cast<int>(std::lower_bound(table, table + count, pos) - table);
    }
    int upper(int pos, int count) const { return lower(pos + 1, count); }
};

// Query tiles are laid out in lanes of the kernels' float vectors (simd.hpp): 4, 8 or 16 floats,
// by the instruction set in use (vector_lanes()).
inline constexpr int kMaxLanes = 16;
static_assert(kQueryTile % kMaxLanes == 0, "a query tile is whole vectors of lanes");
int vector_lanes();

// A stored softmax state of `rows` query rows (views into the caller's storage), for kernels
// that combine partial states computed over different keys.
struct RowState {
    float* max;  // (rows) -inf until a visible key arrives
    float* sum;  // (rows)
    RowsF acc;   // (rows, d) unnormalized output
};
// acc /= sum in place; rows that saw no visible key become zeros.
void finish(RowState& st);
// Folds another state for the same rows (over other keys) into st.
void merge(RowState& st, const float* max2, const float* sum2, ConstRowsF acc2);

// x[j] = exp(x[j] - shift), exactly 0 below exp's normal range (so -inf gives 0); returns the sum.
float exp_shift_sum(float* x, int count, float shift);

// Per-thread scratch and running state of one query tile. Everything is transposed, one query
// per vector lane, so that the softmax runs down the key axis with whole vectors and neither
// product needs a packed copy of its operands:
//   QT (d, kQueryTile)       c * Q^T of the tile; lanes [rows, kQueryTile) are zero
//   ST (kKeyTile, kQueryTile) one tile of scores K_t QT, then its unnormalized weights P^T
//   OT (d, kQueryTile)       the unnormalized output O^T += V_t^T P^T
//   max, sum (kQueryTile)    the running max and sum per query; rescale, their last exp(old - new max)
struct TileScratch {
    MatrixF QT, ST, OT;
    VectorF max, sum, rescale;
    int rows = 0;   // queries loaded
    int lanes = 0;  // rows rounded up to whole vectors
    explicit TileScratch(int d)
        : QT(MatrixF::Zero(d, kQueryTile)),
          ST(kKeyTile, kQueryTile),
          OT(d, kQueryTile),
          max(kQueryTile),
          sum(kQueryTile),
          rescale(kQueryTile) {}
    static std::size_t bytes(int d) { return sizeof(float) * (kQueryTile * (2 * d + kKeyTile + 3)); }
    void load_queries(ConstRowsF q, float c);                             // q (rows <= kQueryTile, d)
    void reset();                                                         // no key seen yet
    void load_state(const float* max, const float* sum, ConstRowsF acc);  // continue a stored state
    void store_state(float* max, float* sum, RowsF acc) const;            // unnormalized
    void finish(RowsF out) const;  // out (rows, d) = O / sum, zeros where no key was visible
};

// The tile products (gemm.cpp, through simd()): C (rows, lanes) (+)= sum_k A(r, k) B(k, lanes) with A(r, k) at
// A[r * a_row + k * a_k], B row-major (K, lanes) with stride ldB, C with stride ldC; lanes a
// multiple of vector_lanes(). Register-blocked micro-kernels on whole vectors of lanes.
void tile_product(float* C, long ldC, const float* A, long a_row, long a_k, const float* B, long ldB, int rows,
                  int lanes, int K, bool accumulate);
// The online-softmax step for one score tile in s.ST (count keys, masked entries -inf).
void add_tile(TileScratch& s, int count, ConstRowsF V);

// How much of a (query range, key range) tile a pattern keeps.
enum class Cover { None, Some, All };

// Pattern rules: cover() classifies a tile by its position ranges (inclusive);
// hide(j, row, qpos, rows) writes -inf in one key's row of ST (one entry per query lane)
// wherever query position qpos[lane] may not see key position j.
struct AllKeys {
    Cover cover(int, int, int, int) const { return Cover::All; }
    void hide(int, float*, Positions, int) const {}
};
struct Band {  // |i - j| <= half
    int half;
    Cover cover(int qlo, int qhi, int klo, int khi) const {
        if (klo > qhi + half || khi < qlo - half) return Cover::None;
        if (khi - qlo <= half && qhi - klo <= half) return Cover::All;
        return Cover::Some;
    }
    void hide(int j, float* row, Positions qpos, int rows) const {
        const int lo = qpos.lower(j - half, rows), hi = qpos.upper(j + half, rows);
        std::fill(row, row + lo, kNegInf);
        std::fill(row + hi, row + rows, kNegInf);
    }
};
struct NotSelf {  // j != i
    Cover cover(int qlo, int qhi, int klo, int khi) const { return klo > qhi || khi < qlo ? Cover::All : Cover::Some; }
    void hide(int j, float* row, Positions qpos, int rows) const {
        const int lane = qpos.lower(j, rows);
        if (lane < rows && qpos[lane] == j) row[lane] = kNegInf;
    }
};
template <class Keep>  // any predicate keep(i, j), checked cell by cell (for short key lists)
struct Predicate {
    Keep keep;
    Cover cover(int, int, int, int) const { return Cover::Some; }
    void hide(int j, float* row, Positions qpos, int rows) const {
        for (int lane = 0; lane < rows; ++lane)
            if (!keep(qpos[lane], j)) row[lane] = kNegInf;
    }
};
template <class Keep>
Predicate<Keep> predicate(Keep keep) {
    return Predicate<Keep>{keep};
}

// Hides, in the first `count` key rows of ST, what the key mask hides: keys after the query
// (causal) and padded keys.
void hide_masked(TileScratch& s, int count, Positions qpos, Positions kpos, const KeyMask& mask, bool causal_part);
bool any_padding(const KeyMask& mask, Positions kpos, int count);

// Attends the query rows loaded in `s` to a run of keys, one key tile at a time, keeping only
// what `rule` and `mask` allow. Positions are increasing, so causal tiles past the block stop
// the loop. Key runs are cut into near-equal tiles of at most kKeyTile keys.
template <class Rule>
void attend_keys(TileScratch& s, Positions qpos, ConstRowsF K, ConstRowsF V, Positions kpos, const KeyMask& mask,
                 const Rule& rule) {
    const int rows = s.rows, keys = static_cast<int>(K.rows());
    if (rows == 0 || keys == 0) return;
    const int qlo = qpos[0], qhi = qpos[rows - 1];
    const int tiles = (keys + kKeyTile - 1) / kKeyTile, step = (keys + tiles - 1) / tiles;
    for (int k0 = 0; k0 < keys; k0 += step) {
        const int count = std::min(step, keys - k0);
        const Positions tile = kpos.from(k0);
        const int klo = tile[0], khi = tile[count - 1];
        if (mask.causal && klo > qhi) break;
        const Cover cover = rule.cover(qlo, qhi, klo, khi);
        if (cover == Cover::None) continue;
        const auto Kt = K.middleRows(k0, count);  // (count, d)
        tile_product(s.ST.data(), s.ST.outerStride(), Kt.data(), Kt.outerStride(), 1, s.QT.data(), s.QT.outerStride(),
                     count, s.lanes, static_cast<int>(K.cols()), false);
        if (cover == Cover::Some)
            for (int j = 0; j < count; ++j) rule.hide(tile[j], &s.ST(j, 0), qpos, rows);
        const bool causal_part = mask.causal && khi > qlo;
        if (causal_part || any_padding(mask, tile, count)) hide_masked(s, count, qpos, tile, mask, causal_part);
        add_tile(s, count, V.middleRows(k0, count));
    }
}

// dst rows [0, count) = src rows index[0], ..., index[count - 1].
void gather_rows(RowsF dst, ConstRowsF src, const int* index, int count);

// Splits [0, total) into `parts` near-equal contiguous ranges: range p is [split(p), split(p+1)).
inline int split_point(int total, int parts, int p) {
    return static_cast<int>(static_cast<long long>(total) * p / parts);
}

// Per-kernel bookkeeping behind kept_pairs() and kernel_scratch_bytes() (sparse.cpp, low_rank.cpp).
// BigBird's random key blocks per query block (sorted), drawn exactly as bigbird_pattern() draws them.
std::vector<std::vector<int>> bigbird_random_blocks(int query_blocks, int key_blocks, int window, int random_blocks,
                                                    std::uint64_t seed);
long long sparse_kept_pairs(const VariantParams& v, int heads, int n, int m, bool causal,
                            std::uint64_t seed);  // all heads
std::size_t sparse_scratch_bytes(const VariantParams& v, int heads, int n, int m, int d, int threads);
std::size_t low_rank_scratch_bytes(const VariantParams& v, int heads, int n, int m, int d, int threads);

}  // namespace attnscope::kernels
