#pragma once
// What a frame said in words and where its buttons are, for tests: panels note the lines a reader
// must see (the Stepper's steps, why a control is disabled) and the buttons a test clicks (the
// workspaces, the welcome card's choices, leaving a lesson), and `attnscope render --layout-json`
// (or the live app's $ATTNSCOPE_LAYOUT_JSON) writes them beside the heatmaps' places. Emptied when
// a new frame starts.
#include <string>
#include <vector>

namespace attnscope::gui {

struct DrawnText {
    std::string panel;
    std::string text;
};

void note_text(const char* panel, std::string text);
std::vector<DrawnText> texts_drawn_this_frame();

struct DrawnTarget {
    std::string label;
    float x0, y0, x1, y1;  // the item's rectangle, in ImGui's coordinates
};

// Notes the last item drawn (a button, a menu item) under `label`.
void note_target(std::string label);
std::vector<DrawnTarget> targets_drawn_this_frame();

}  // namespace attnscope::gui
