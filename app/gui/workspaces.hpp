#pragma once
// Workspaces: named sets of panels (Step through, Learn, Inspect a model, Compare variants,
// Scaling, Train) tiled in columns to fill the area below the menu bar, so that no two windows
// overlap. The layout re-tiles when the window is resized or a panel opens or closes, until the
// user moves or resizes a window; Reset layout tiles again. Listed once here: the menu bar, the
// welcome card and `attnscope render --workspace` walk this list.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace attnscope::gui {

struct AppState;

// Where a panel goes: a column (0 left .. 2 right), the column's share of the width, and the
// panel's share of its column's height.
struct Tile {
    int column;
    float width, weight;
};

struct WorkspacePanel {
    const char* panel;  // a panels() id
    Tile tile;
};

struct Workspace {
    const char* id;     // for `attnscope render --workspace ID`
    const char* title;  // on the menu bar
    const char* help;   // its tooltip
    std::vector<WorkspacePanel> panels;
};

const std::vector<Workspace>& workspaces();
const Workspace* find_workspace(std::string_view id);  // null when unknown
int workspace_index(std::string_view id);               // of a known id
std::string workspace_ids();                            // "step, learn, ..." for messages
bool in_workspace(const Workspace& w, std::string_view panel);

struct Rect {
    float x0, y0, x1, y1;
};

// The rectangle of each open panel (in panels() order; empty for closed ones) tiling `area`:
// where the workspace places a panel, else the panel's own default tile. Columns share the width
// by the widest share asked in each; panels share their column's height by weight, in panels() order.
std::vector<std::optional<Rect>> tile_panels(const Workspace& w, const std::vector<bool>& open, Rect area);

// The layout's state between frames.
struct LayoutState {
    int workspace = 0;       // index into workspaces()
    bool arranged = false;   // the user moved or resized a window: no re-tiling until Reset layout
    bool retile = true;      // tile on the next frame
    bool welcome = false;    // show the welcome card (the app shows it until it is dismissed)
    float width = 0, height = 0;                 // the area last tiled
    float menu_height = 0;
    std::vector<std::optional<Rect>> placed;     // where each panel's window was after the last tiling
};

// Opens exactly the workspace's panels and tiles them on the next frame.
void open_workspace(AppState& app, int index);

// The live app keeps the workspace, whether the user arranged its windows and whether the welcome
// card was dismissed in its imgui.ini. Call after ImGui's context exists and before its first
// frame: reads the file (if any) and opens the saved workspace, else app's own; `app` must
// outlive the context, which writes the file when it goes.
void keep_layout_in_ini(AppState& app);

}  // namespace attnscope::gui
