#pragma once
// What a frame said in words, for tests: panels note the lines a reader must see (the Stepper's
// steps, why a control is disabled), and `attnscope render --layout-json` writes them beside the
// heatmaps' places. Emptied when a new frame starts.
#include <string>
#include <vector>

namespace attnscope::gui {

struct DrawnText {
    std::string panel;
    std::string text;
};

void note_text(const char* panel, std::string text);
std::vector<DrawnText> texts_drawn_this_frame();

}  // namespace attnscope::gui
