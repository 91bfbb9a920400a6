#pragma once
// The engine's one exception type. The engine never prints and never exits:
// it throws attnscope::Error with a message that names the problem and the fix,
// e.g. "heads (5) must divide d_model (64): try 4 or 8".
#include <stdexcept>
#include <string>

namespace attnscope {

struct Error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

}  // namespace attnscope
