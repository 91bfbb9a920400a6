#pragma once
// The two ways the GUI runs: interactively, or headless for a screenshot (attnscope render).
#include <string>
#include <vector>

#include "gui/app_state.hpp"

namespace attnscope::gui {

// Opens the window and runs until it is closed. Throws attnscope::Error without a display.
void run_gui(AppState app);

struct RenderRequest {
    std::string out;                  // PNG path
    int width = 1600, height = 960;
    std::vector<std::string> panels;  // panel ids to show, in a grid; empty: the workspace's
    std::string workspace;            // a workspaces() id; empty: the first
    bool welcome = false;             // show the welcome card
    int frames = 3;                   // frames drawn before the capture (layout settles)
    bool report = false;              // print median and p95 frame time
    bool retype = false;              // change the sentence every frame (runs recompute in the background)
    std::string layout_json;          // if set: write each heatmap's screen rectangle here (for tests)
};

// Draws `app` as requested and writes the last frame as a PNG.
// Throws attnscope::Error for an unknown panel, no display, or an unwritable file.
void render_screenshot(AppState app, const RenderRequest& request);

}  // namespace attnscope::gui
