#pragma once
// One variant beside exact attention in the Compare panel: the same inputs with that variant.
#include <optional>
#include <string>

#include "attnscope/trace.hpp"

namespace attnscope::gui {

inline constexpr int kMaxCompared = 3;

struct ComparedRun {
    VariantParams variant;
    std::optional<Trace> trace;  // empty when this variant cannot run on these inputs
    std::string error;           // why, e.g. "linformer ... cannot hide single keys": shown in its column
};

}  // namespace attnscope::gui
