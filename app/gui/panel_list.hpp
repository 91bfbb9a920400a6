#pragma once
// Every panel, listed once: its id, title, the steps it shows, its
// default tile, its state and how to draw it. The View menu, the frame loop, `attnscope render
// --panel`, lessons and the layout all walk this list: adding a panel is its own file plus one row
// in panel_list.cpp (and, to be part of a workspace, its id in that workspace's row).
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gui/edits.hpp"
#include "gui/steps.hpp"
#include "gui/workspaces.hpp"

namespace attnscope::gui {

struct AppState;

struct PanelInfo {
    const char* id;           // for `attnscope render --panel ID` and lessons
    const char* title;        // the window title
    std::vector<Step> steps;  // the steps this panel shows; highlighted when current
    Tile tile;                // where it goes when opened outside its workspaces
    bool needs_trace;         // drawn only when there is a trace (otherwise the frame says why)
    std::shared_ptr<void> (*make_state)();
    Edits (*draw)(AppState& app, void* state);
};

const std::vector<PanelInfo>& panels();
const PanelInfo* find_panel(std::string_view id);

// The app's copy of each panel's open flag and state, in panels() order; at first the first
// workspace's panels are open.
struct PanelSlot {
    bool open = false;
    std::shared_ptr<void> state;
};
std::vector<PanelSlot> make_panel_slots();

}  // namespace attnscope::gui
