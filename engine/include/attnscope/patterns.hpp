#pragma once
// The sparse patterns' one definition, shaders/patterns.glsl, seen from C++: the reference
// (variants.cpp), the GPU backend and the shaders all read the same predicates and kind numbers.
#include <cstdlib>

#include "attnscope/variants.hpp"

namespace attnscope::patterns {
using std::abs;
#define PATTERN_FUNCTION inline
#include "patterns.glsl"
#undef PATTERN_FUNCTION
}  // namespace attnscope::patterns

namespace attnscope {

// The shaders' kind number (patterns::kPattern*) for a variant; kPatternDense for non-pattern kinds.
int pattern_kind(VariantKind kind);

}  // namespace attnscope
