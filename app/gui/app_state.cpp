#include "gui/app_state.hpp"

#include <algorithm>

#include "attnscope/error.hpp"
#include "attnscope/run.hpp"
#include "gui/frame.hpp"

namespace attnscope::gui {

std::vector<ComparedRun> default_comparison() {
    std::vector<ComparedRun> runs(3);
    runs[0].variant.kind = VariantKind::Local;
    runs[1].variant.kind = VariantKind::BigBird;
    runs[2].variant.kind = VariantKind::Linformer;
    return runs;
}

namespace {

void run_into(const Inputs& inputs, std::optional<Trace>& trace, std::string& error) {
    try {
        trace = run(inputs);
        error.clear();
    } catch (const Error& e) {
        trace.reset();
        error = e.what();
    }
}

}  // namespace

void rerun(AppState& app) {
    run_into(app.inputs, app.trace, app.error);
    for (ComparedRun& c : app.compared) {
        if (!app.windows.compare) {  // each run has an SVD of every head's weights: only when shown
            c.trace.reset();
            c.error = "not computed while the Compare window is closed";
            continue;
        }
        Inputs with_variant = app.inputs;
        with_variant.variant = c.variant;
        run_into(with_variant, c.trace, c.error);
    }
    if (app.trace) {
        app.selection.head = std::clamp(app.selection.head, 0, app.inputs.heads - 1);
        app.selection.query = std::clamp(app.selection.query, 0, app.trace->n() - 1);
    }
}

void apply(AppState& app, const Edits& edits) {
    if (edits.head) app.selection.head = *edits.head;
    if (edits.query) app.selection.query = *edits.query;
    if (edits.step) app.selection.step = *edits.step;
    for (const std::string& id : edits.open_panels)
        if (const PanelInfo* p = find_panel(id)) app.windows.*p->open = true;
    const bool new_inputs = edits.inputs && !(*edits.inputs == app.inputs);
    if (new_inputs) {
        app.inputs = *edits.inputs;
        app.panels.input.synced = false;  // its text boxes show the new text, e.g. after a session load
    }
    if (edits.compared) {
        app.compared.resize(std::min<size_t>(edits.compared->size(), kMaxCompared));
        for (size_t i = 0; i < app.compared.size(); ++i) app.compared[i].variant = (*edits.compared)[i];
    }
    const bool compare_opened = app.windows.compare && !app.compared.empty() && !app.compared[0].trace &&
                                app.compared[0].error.rfind("not computed", 0) == 0;
    if (new_inputs || edits.compared || compare_opened) {
        rerun(app);
    } else if (app.trace) {
        app.selection.head = std::clamp(app.selection.head, 0, app.inputs.heads - 1);
        app.selection.query = std::clamp(app.selection.query, 0, app.trace->n() - 1);
    }
}

}  // namespace attnscope::gui
