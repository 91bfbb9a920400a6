#pragma once
// One frame of the GUI: the menu bar and every open panel window, then the edits applied.
#include <string>
#include <vector>

#include "gui/app_state.hpp"

namespace attnscope::gui {

struct PanelInfo {
    const char* id;     // for `attnscope render --panel ID`
    const char* title;  // the window title
    bool Windows::*open;
    std::vector<Step> steps;  // the steps this panel shows; highlighted when current
    float x, y, w, h;         // default place, as fractions of the work area
};
const std::vector<PanelInfo>& panels();
const PanelInfo* find_panel(const std::string& id);

struct FrameLayout {
    bool tile = false;  // place the open windows in a grid that fills the screen (screenshots)
};

void draw_frame(AppState& app, const FrameLayout& layout);
void apply_theme(Theme theme);

}  // namespace attnscope::gui
