#pragma once
// Seeded token embeddings: a token's vector depends only on (token string, seed),
// so the same word gets the same vector wherever it appears.
#include <cstdint>
#include <string>
#include <vector>

#include "attnscope/matrix.hpp"

namespace attnscope {

// (n, d_model): row i is the embedding of tokens[i], entries N(0, 1).
Matrix embed(const std::vector<std::string>& tokens, int d_model, std::uint64_t seed);

}  // namespace attnscope
