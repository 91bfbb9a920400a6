#include "attnscope/random.hpp"

#include <cmath>
#include <numbers>

namespace attnscope {

std::uint64_t Rng::next_u64() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

double Rng::uniform() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

double Rng::normal() {
    const double u1 = 1.0 - uniform();  // (0, 1]: log stays finite
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

std::uint64_t hash64(std::string_view s, std::uint64_t salt) {
    std::uint64_t h = 0xCBF29CE484222325ull;
    for (unsigned char c : s) h = (h ^ c) * 0x100000001B3ull;
    Rng mix(h ^ (salt * 0x9E3779B97F4A7C15ull));
    return mix.next_u64();
}

Matrix random_normal(int rows, int cols, double stddev, std::uint64_t seed, std::string_view name) {
    Rng rng(hash64(name, seed));
    Matrix m(rows, cols);
    for (int r = 0; r < rows; ++r)
        for (int c = 0; c < cols; ++c) m(r, c) = stddev * rng.normal();
    return m;
}

}  // namespace attnscope
