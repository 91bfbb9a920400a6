#pragma once
#include "attnscope/inputs.hpp"
#include "attnscope/trace.hpp"

namespace attnscope {

// The forward pass: validates the inputs, computes and records every stage.
// Throws Error (with a fix-it message) for inputs it cannot run.
Trace run(const Inputs& inputs);

}  // namespace attnscope
