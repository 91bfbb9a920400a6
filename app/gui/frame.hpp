#pragma once
// One frame of the GUI: the menu bar and every open panel window, then the edits applied.
#include <string>
#include <vector>

#include "gui/app_state.hpp"

namespace attnscope::gui {

struct FrameLayout {
    bool tile = false;  // place the open windows in a grid that fills the screen (screenshots)
};

void draw_frame(AppState& app, const FrameLayout& layout);
void apply_theme(Theme theme);

}  // namespace attnscope::gui
