#pragma once
// Internal to engine/src/kernels: the online-softmax tile machinery every kernel shares.
// Shapes: rows <= kQueryTile query rows of one head, keys of that head, d = d_head.
//   Qs (rows, d) the queries already multiplied by the logit scale c
//   S  (rows, keys <= kKeyTile) one score tile, overwritten by its unnormalized weights
//   state: max (rows), sum (rows), acc (rows, d) the unnormalized output
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

// The running softmax state of a block of query rows (views into the caller's storage).
struct RowState {
    float* max;  // (rows) -inf until a visible key arrives
    float* sum;  // (rows)
    RowsF acc;   // (rows, d)
};
void reset(RowState& st);
// Adds one score tile (masked entries -inf): S becomes exp(S - max'), acc = a acc + S V.
void add_tile(RowState& st, RowsF S, ConstRowsF V);
// acc /= sum in place; rows that saw no visible key become zeros.
void finish(RowState& st);
// Folds another state for the same rows (over other keys) into st.
void merge(RowState& st, const float* max2, const float* sum2, ConstRowsF acc2);

// x[j] = exp(x[j] - shift), exactly 0 below exp's normal range (so -inf gives 0); returns the sum.
float exp_shift_sum(float* x, int count, float shift);

// Per-thread scratch for one query block: the scaled queries, a score tile, the state vectors.
struct TileScratch {
    MatrixF Qs;                       // (kQueryTile, d)
    MatrixF S;                        // (kQueryTile, kKeyTile)
    std::vector<float> max, sum;      // (kQueryTile)
    explicit TileScratch(int d) : Qs(kQueryTile, d), S(kQueryTile, kKeyTile), max(kQueryTile), sum(kQueryTile) {}
    static std::size_t bytes(int d) { return sizeof(float) * (kQueryTile * (d + kKeyTile + 2)); }
    // Qs rows [0, rows) = c * q.
    ConstRowsF scaled(ConstRowsF q, float c) {
        Qs.topRows(q.rows()) = c * q;
        return Qs.topRows(q.rows());
    }
};

// How much of a (query range, key range) tile a pattern keeps.
enum class Cover { None, Some, All };

// Pattern rules: cover() classifies a tile by its position ranges (inclusive); hide(i, row, kpos,
// count) writes -inf where query position i may not see the tile's keys.
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
    void hide(int i, float* row, Positions kpos, int count) const {
        const int lo = kpos.lower(i - half, count), hi = kpos.upper(i + half, count);
        std::fill(row, row + lo, kNegInf);
        std::fill(row + hi, row + count, kNegInf);
    }
};
struct NotSelf {  // j != i
    Cover cover(int qlo, int qhi, int klo, int khi) const { return klo > qhi || khi < qlo ? Cover::All : Cover::Some; }
    void hide(int i, float* row, Positions kpos, int count) const {
        const int k = kpos.lower(i, count);
        if (k < count && kpos[k] == i) row[k] = kNegInf;
    }
};
template <class Keep>  // any predicate keep(i, j), checked cell by cell (for short key lists)
struct Predicate {
    Keep keep;
    Cover cover(int, int, int, int) const { return Cover::Some; }
    void hide(int i, float* row, Positions kpos, int count) const {
        for (int k = 0; k < count; ++k)
            if (!keep(i, kpos[k])) row[k] = kNegInf;
    }
};
template <class Keep>
Predicate<Keep> predicate(Keep keep) { return Predicate<Keep>{keep}; }

// Hides, in one score tile, what the key mask hides: causal (j > i) and padded keys.
void hide_masked(RowsF S, Positions qpos, Positions kpos, const KeyMask& mask, bool causal_part);
bool any_padding(const KeyMask& mask, Positions kpos, int count);

// Attends a block of query rows to a run of keys, one key tile at a time, keeping only what
// `rule` and `mask` allow. Positions are increasing, so causal tiles past the block stop the loop.
template <class Rule>
void attend_keys(RowState& st, ConstRowsF Qs, Positions qpos, ConstRowsF K, ConstRowsF V, Positions kpos,
                 const KeyMask& mask, const Rule& rule, MatrixF& S) {
    const int rows = static_cast<int>(Qs.rows()), keys = static_cast<int>(K.rows());
    if (rows == 0) return;
    const int qlo = qpos[0], qhi = qpos[rows - 1];
    for (int k0 = 0; k0 < keys; k0 += kKeyTile) {
        const int count = std::min(kKeyTile, keys - k0);
        const Positions tile = kpos.from(k0);
        const int klo = tile[0], khi = tile[count - 1];
        if (mask.causal && klo > qhi) break;
        const Cover cover = rule.cover(qlo, qhi, klo, khi);
        if (cover == Cover::None) continue;
        const bool causal_part = mask.causal && khi > qlo;
        auto St = S.topLeftCorner(rows, count);  // (rows, count)
        St.noalias() = Qs * K.middleRows(k0, count).transpose();
        if (cover == Cover::Some)
            for (int r = 0; r < rows; ++r) rule.hide(qpos[r], &St(r, 0), tile, count);
        if (causal_part || any_padding(mask, tile, count)) hide_masked(St, qpos, tile, mask, causal_part);
        add_tile(st, St, V.middleRows(k0, count));
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
long long sparse_kept_pairs(const VariantParams& v, int heads, int n, int m, bool causal, std::uint64_t seed);  // all heads
std::size_t sparse_scratch_bytes(const VariantParams& v, int heads, int n, int m, int d, int threads);
std::size_t low_rank_scratch_bytes(const VariantParams& v, int heads, int n, int m, int d, int threads);

}  // namespace attnscope::kernels
