#pragma once
// Deterministic, platform-independent random numbers: the same seed gives the
// same matrices on every compiler (std::normal_distribution does not promise that).
#include <cstdint>
#include <string_view>

#include "attnscope/matrix.hpp"

namespace attnscope {

class Rng {
public:
    explicit Rng(std::uint64_t seed) : state_(seed) {}
    std::uint64_t next_u64();   // splitmix64
    double uniform();           // [0, 1)
    double normal();            // N(0, 1), Box-Muller
private:
    std::uint64_t state_;
};

// A stable 64-bit hash (FNV-1a) for deriving per-token and per-matrix streams.
std::uint64_t hash64(std::string_view s, std::uint64_t salt = 0);

// (rows, cols) matrix of N(0, stddev^2) values from the stream named `name` under `seed`.
Matrix random_normal(int rows, int cols, double stddev, std::uint64_t seed, std::string_view name);

}  // namespace attnscope
