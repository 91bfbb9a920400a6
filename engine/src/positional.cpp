#include "attnscope/positional.hpp"

#include <cmath>
#include <cstdlib>

#include "attnscope/error.hpp"
#include "attnscope/random.hpp"

namespace attnscope {

double sinusoidal_angle(int p, int k, int d) { return p / std::pow(10000.0, 2.0 * (k / 2) / d); }

double sinusoidal_period(int k, int d) { return 2 * 3.14159265358979323846 * std::pow(10000.0, 2.0 * (k / 2) / d); }

Matrix sinusoidal_encoding(int n, int d) {
    Matrix pe(n, d);  // (n, d)
    for (int p = 0; p < n; ++p)
        for (int k = 0; k < d; ++k) {
            const double angle = sinusoidal_angle(p, k, d);
            pe(p, k) = (k % 2 == 0) ? std::sin(angle) : std::cos(angle);
        }
    return pe;
}

Matrix learned_encoding(int n, int d, std::uint64_t seed) {
    if (n > kLearnedPositions)
        throw Error("the learned position table has " + std::to_string(kLearnedPositions) + " rows but the text has " +
                    std::to_string(n) + " tokens: shorten the text, or choose the sinusoidal positional encoding");
    return random_normal(kLearnedPositions, d, 0.1, seed, "learned_positions").topRows(n);
}

double rope_rate(int pair, int d_head) { return std::pow(10000.0, -2.0 * pair / d_head); }

double rope_angle(int position, int pair, int d_head) { return position * rope_rate(pair, d_head); }

Matrix rope_angle_table(int n, int d_head) {
    Matrix angles(n, d_head / 2);  // (n, d_head / 2)
    for (int p = 0; p < n; ++p)
        for (int pair = 0; pair < d_head / 2; ++pair) angles(p, pair) = rope_angle(p, pair, d_head);
    return angles;
}

Matrix position_similarity(const Matrix& pe) { return pe * pe.transpose(); }

Matrix rope_rotate(const Matrix& x, const std::vector<int>& positions) {
    const int d_head = static_cast<int>(x.cols());
    Matrix out = x;  // (n, d_head)
    for (int r = 0; r < x.rows(); ++r)
        for (int pair = 0; 2 * pair + 1 < d_head; ++pair) {
            const double a = rope_angle(positions[r], pair, d_head);
            const double c = std::cos(a), s = std::sin(a);
            const double x0 = x(r, 2 * pair), x1 = x(r, 2 * pair + 1);
            out(r, 2 * pair) = x0 * c - x1 * s;
            out(r, 2 * pair + 1) = x0 * s + x1 * c;
        }
    return out;
}

std::vector<double> alibi_slopes(int heads) {
    int power = 1;
    while (power * 2 <= heads) power *= 2;
    std::vector<double> slopes;
    for (int h = 0; h < power; ++h) slopes.push_back(std::pow(2.0, -8.0 * (h + 1) / power));
    for (int h = 0; static_cast<int>(slopes.size()) < heads; h += 2)
        slopes.push_back(std::pow(2.0, -8.0 * (h + 1) / (2 * power)));
    return slopes;
}

Matrix alibi_bias(int n, int m, double slope) {
    Matrix b(n, m);  // (n, m)
    for (int i = 0; i < n; ++i)
        for (int j = 0; j < m; ++j) b(i, j) = -slope * std::abs(i - j);
    return b;
}

// Follows T5's _relative_position_bucket: relative_position = key - query.
int t5_bucket(int relative_position, bool bidirectional) {
    int buckets = kRelativeBuckets;
    int bucket = 0;
    int distance;
    if (bidirectional) {
        buckets /= 2;
        if (relative_position > 0) bucket += buckets;
        distance = std::abs(relative_position);
    } else {
        distance = relative_position < 0 ? -relative_position : 0;
    }
    const int max_exact = buckets / 2;
    if (distance < max_exact) return bucket + distance;
    const int large = max_exact + static_cast<int>(std::log(static_cast<double>(distance) / max_exact) /
                                                   std::log(static_cast<double>(kRelativeMaxDistance) / max_exact) *
                                                   (buckets - max_exact));
    return bucket + std::min(large, buckets - 1);
}

Matrix relative_bias_table(int heads, std::uint64_t seed) {
    return random_normal(heads, kRelativeBuckets, 1.0, seed, "relative_bias");
}

Matrix relative_bias(int n, int m, const Matrix& table, int head, bool bidirectional) {
    Matrix b(n, m);  // (n, m)
    for (int i = 0; i < n; ++i)
        for (int j = 0; j < m; ++j) b(i, j) = table(head, t5_bucket(j - i, bidirectional));
    return b;
}

}  // namespace attnscope
