#pragma once
// Everything the GUI holds between frames. The frame loop owns it; panels see
// parts of it through const references and return Edits.
#include <optional>
#include <string_view>
#include <string>

#include "attnscope/inputs.hpp"
#include "attnscope/trace.hpp"
#include "gui/compared_run.hpp"
#include "gui/edits.hpp"
#include "gui/runner.hpp"
#include "gui/panel_list.hpp"
#include "gui/widgets/file_browser.hpp"

namespace attnscope::gui {

enum class Theme { Dark, Light };

// The Compare panel's default line-up: local, BigBird and Linformer.
std::vector<ComparedRun> default_comparison();

struct AppState {
    Inputs inputs;                // the newest inputs; the trace may still be of older ones while a run is on
    std::optional<Trace> trace;   // the last good trace; empty only until the first run succeeds
    std::string error;            // why the newest inputs did not run (the last good trace stays on screen)
    std::string backend_status;   // which backend ran, or why the gpu one could not
    std::shared_ptr<Runner> runner = std::make_shared<Runner>();  // every run happens there, off the frame
    std::vector<ComparedRun> compared = default_comparison();
    Selection selection;
    std::vector<PanelSlot> panel_slots = make_panel_slots();  // open flags and states, in panels() order
    Theme theme = Theme::Dark;
    LayoutState layout;           // the workspace and where its windows are
    std::vector<Inputs> undo, redo;  // earlier inputs (newest last), and those undone
    std::string notice;           // why a dropped or picked file did not open; shown on the menu bar
    FileBrowser file_browser;     // the File menu's
};

// Panel `id`'s open flag and state (State must be the type its row in panel_list.cpp makes).
// Throws std::out_of_range for an id not in panels().
PanelSlot& panel_slot(AppState& app, std::string_view id);
const PanelSlot& panel_slot(const AppState& app, std::string_view id);
inline bool& panel_open(AppState& app, std::string_view id) { return panel_slot(app, id).open; }
inline bool panel_open(const AppState& app, std::string_view id) { return panel_slot(app, id).open; }
template <class State>
State& panel_state(AppState& app, std::string_view id) {
    return *static_cast<State*>(panel_slot(app, id).state.get());
}
template <class State>
const State& panel_state(const AppState& app, std::string_view id) {
    return *static_cast<const State*>(panel_slot(app, id).state.get());
}

// Each panel's open flag, in panels() order.
std::vector<bool> open_flags(const AppState& app);

// Asks the runner for a trace of app.inputs (and the compared variants while Compare is open).
void request_run(AppState& app);
// Takes a finished run into app: its trace replaces the shown one, or its error is shown beside
// the last good trace. Returns whether anything changed.
bool poll_run(AppState& app);
// request_run, then waits for it (start-up, screenshots and tests).
void rerun(AppState& app);
// Applies a frame's edits: new inputs request a run (the old ones go on the undo list); the view
// (layer, head, query, step) changes at once and never recomputes; selections are clamped to the trace.
void apply(AppState& app, const Edits& edits);
// Ctrl+Z and Ctrl+Shift+Z: back to the inputs before the last change, or forward again. False
// when there is nothing to undo (redo).
bool undo(AppState& app);
bool redo(AppState& app);

}  // namespace attnscope::gui
