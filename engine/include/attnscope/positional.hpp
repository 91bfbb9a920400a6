#pragma once
// Positional encodings. Additive ones (sinusoidal, learned) are added to the input;
// RoPE rotates Q and K inside each head; ALiBi and the relative bias add a per-head
// (n, m) bias to the logits.
#include <cstdint>
#include <vector>

#include "attnscope/matrix.hpp"

namespace attnscope {

inline constexpr int kLearnedPositions = 512;  // rows of the learned position table

// (n, d): PE[p, 2i] = sin(p / 10000^(2i/d)), PE[p, 2i+1] = cos(p / 10000^(2i/d)).
Matrix sinusoidal_encoding(int n, int d);
// The angle of PE[p, k]: p / 10000^(2 floor(k/2) / d), and the wave's period 2 pi 10000^(2 floor(k/2) / d).
double sinusoidal_angle(int p, int k, int d);
double sinusoidal_period(int k, int d);

// (n, d): the first n rows of a seeded (kLearnedPositions, d) table, N(0, 0.1^2).
// Throws Error when n > kLearnedPositions.
Matrix learned_encoding(int n, int d, std::uint64_t seed);

// RoPE, interleaved pair layout (RoFormer): within a head, dimensions (2i, 2i+1)
// are rotated by the angle pos * 10000^(-2i/d_head); an odd last dimension is left as is.
// x: (n, d_head), row r at position positions[r]. Returns the rotated copy.
Matrix rope_rotate(const Matrix& x, const std::vector<int>& positions);
double rope_angle(int position, int pair, int d_head);
// The rotation rate of pair i: 10000^(-2i / d_head), so that rope_angle = position * rate.
double rope_rate(int pair, int d_head);
// (n, d_head / 2): angle[pos, pair] = rope_angle(pos, pair, d_head), for display.
Matrix rope_angle_table(int n, int d_head);

// (n, n): PE PE^T, how alike the encodings of two positions are.
Matrix position_similarity(const Matrix& pe);

// ALiBi slopes for H heads: 2^(-8(h+1)/H) when H is a power of two; otherwise the
// slopes of the nearest lower power of two P followed by every other slope of 2P
// (Press et al.'s reference rule).
std::vector<double> alibi_slopes(int heads);
// (n, m): bias[i, j] = -slope * |i - j|.
Matrix alibi_bias(int n, int m, double slope);

// T5 relative position bias: the offset j - i falls into one of 32 buckets
// (exact up to 8 apart, then logarithmic up to 128; separate buckets per direction
// unless causal); each (head, bucket) has a seeded scalar N(0, 1).
inline constexpr int kRelativeBuckets = 32;
inline constexpr int kRelativeMaxDistance = 128;
int t5_bucket(int relative_position, bool bidirectional);
// (H, kRelativeBuckets): the learned scalars for every head and bucket.
Matrix relative_bias_table(int heads, std::uint64_t seed);
// (n, m): bias[i, j] = table[head, bucket(j - i)].
Matrix relative_bias(int n, int m, const Matrix& table, int head, bool bidirectional);

}  // namespace attnscope
