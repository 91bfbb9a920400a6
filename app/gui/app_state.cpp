#include "gui/app_state.hpp"

#include <algorithm>
#include <stdexcept>

#include "attnscope/error.hpp"
#include "gui/frame.hpp"
#include "gui/panels/input.hpp"
#include "gui/workspaces.hpp"

namespace attnscope::gui {

std::vector<ComparedRun> default_comparison() {
    std::vector<ComparedRun> runs(3);
    runs[0].variant.kind = VariantKind::Local;
    runs[1].variant.kind = VariantKind::BigBird;
    runs[2].variant.kind = VariantKind::Linformer;
    return runs;
}

namespace {

void clamp_selection(AppState& app) {
    if (!app.trace) return;
    const Trace& t = *app.trace;
    app.selection.layer = std::clamp(app.selection.layer, 0, t.layer_count() - 1);
    app.selection.head = std::clamp(app.selection.head, 0, t.head_count() - 1);
    app.selection.query = std::clamp(app.selection.query, 0, t.n() - 1);
}

}  // namespace

const PanelSlot& panel_slot(const AppState& app, std::string_view id) {
    const std::vector<PanelInfo>& list = panels();
    for (std::size_t i = 0; i < list.size(); ++i)
        if (id == list[i].id) return app.panel_slots.at(i);
    throw std::out_of_range("no panel '" + std::string(id) + "'");
}

PanelSlot& panel_slot(AppState& app, std::string_view id) {
    return const_cast<PanelSlot&>(panel_slot(static_cast<const AppState&>(app), id));
}

std::vector<bool> open_flags(const AppState& app) {
    std::vector<bool> open;
    for (const PanelSlot& slot : app.panel_slots) open.push_back(slot.open);
    return open;
}

void request_run(AppState& app) {
    RunRequest r;
    r.inputs = app.inputs;
    // Compare's variants are computed only while it is shown: each has an SVD of every head.
    if (panel_open(app, "compare"))
        for (const ComparedRun& c : app.compared) r.compared.push_back(c.variant);
    app.runner->request(std::move(r));
}

bool poll_run(AppState& app) {
    std::optional<RunResult> result = app.runner->take();
    if (!result) return false;
    if (result->trace) {
        app.trace = std::move(result->trace);
        app.error.clear();
        app.backend_status = result->backend_status;
    } else {
        app.error = result->error;
    }
    const bool compared = !result->request.compared.empty();
    for (std::size_t i = 0; i < app.compared.size(); ++i) {
        ComparedRun& c = app.compared[i];
        if (compared && i < result->compared.size() && result->compared[i].variant == c.variant) {
            c = std::move(result->compared[i]);
        } else if (!compared) {
            c.trace.reset();
            c.error = "not computed while the Compare window is closed";
        }
    }
    clamp_selection(app);
    return true;
}

void rerun(AppState& app) {
    request_run(app);
    app.runner->wait_idle();
    poll_run(app);
}

void apply(AppState& app, const Edits& edits) {
    if (edits.layer) app.selection.layer = *edits.layer;
    if (edits.head) app.selection.head = *edits.head;
    if (edits.query) app.selection.query = *edits.query;
    if (edits.step) app.selection.step = *edits.step;
    if (edits.workspace && find_workspace(*edits.workspace)) open_workspace(app, workspace_index(*edits.workspace));
    for (const std::string& id : edits.open_panels)
        if (find_panel(id)) panel_open(app, id) = true;
    const bool new_inputs = edits.inputs && !(*edits.inputs == app.inputs);
    if (new_inputs) {
        constexpr std::size_t kUndoDepth = 200;
        app.undo.push_back(std::move(app.inputs));
        if (app.undo.size() > kUndoDepth) app.undo.erase(app.undo.begin());
        app.redo.clear();
        app.inputs = *edits.inputs;
        panel_state<InputPanelState>(app, "input").synced = false;  // its text boxes show the new text, e.g. after a session load
    }
    if (edits.compared) {
        app.compared.resize(std::min<size_t>(edits.compared->size(), kMaxCompared));
        for (size_t i = 0; i < app.compared.size(); ++i) app.compared[i].variant = (*edits.compared)[i];
    }
    const bool compare_opened = panel_open(app, "compare") && !app.compared.empty() && !app.compared[0].trace &&
                                app.compared[0].error.rfind("not computed", 0) == 0 && !app.runner->busy();
    if (new_inputs || edits.compared || compare_opened) request_run(app);
    clamp_selection(app);
}

namespace {

bool step_history(AppState& app, std::vector<Inputs>& from, std::vector<Inputs>& to) {
    if (from.empty()) return false;
    to.push_back(std::move(app.inputs));
    app.inputs = std::move(from.back());
    from.pop_back();
    panel_state<InputPanelState>(app, "input").synced = false;
    request_run(app);
    return true;
}

}  // namespace

bool undo(AppState& app) { return step_history(app, app.undo, app.redo); }
bool redo(AppState& app) { return step_history(app, app.redo, app.undo); }

}  // namespace attnscope::gui
