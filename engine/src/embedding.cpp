#include "attnscope/embedding.hpp"

#include "attnscope/random.hpp"

namespace attnscope {

Matrix embed(const std::vector<std::string>& tokens, int d_model, std::uint64_t seed) {
    Matrix x(static_cast<int>(tokens.size()), d_model);  // (n, d_model)
    for (int i = 0; i < x.rows(); ++i)
        x.row(i) = random_normal(1, d_model, 1.0, seed, "token:" + tokens[i]);
    return x;
}

}  // namespace attnscope
