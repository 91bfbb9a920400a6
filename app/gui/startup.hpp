#pragma once
// What the GUI opens on: the default model shipped in assets/models/default when it can be found,
// else the synthetic single-layer engine.
#include <string>
#include <vector>

#include "gui/app_state.hpp"

namespace attnscope::gui {

// The first existing of $ATTNSCOPE_ASSETS/RELATIVE, the source tree's assets/RELATIVE and
// <exe dir>/../share/attnscope/assets/RELATIVE; empty if none. `searched` (if given) lists them all.
std::string find_asset(const std::string& relative, std::vector<std::string>* searched = nullptr);

// The interactive start state: inputs.model = the default model folder (with the Model panel
// open) when find_asset("models/default") finds one.
AppState startup_state();

}  // namespace attnscope::gui
