#include "gui/app_state.hpp"

#include <algorithm>

#include "attnscope/error.hpp"
#include "attnscope/run.hpp"

namespace attnscope::gui {

void rerun(AppState& app) {
    try {
        app.trace = run(app.inputs);
        app.error.clear();
    } catch (const Error& e) {
        app.trace.reset();
        app.error = e.what();
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
    if (edits.inputs && !(*edits.inputs == app.inputs)) {
        app.inputs = *edits.inputs;
        rerun(app);
    } else if (app.trace) {
        app.selection.head = std::clamp(app.selection.head, 0, app.inputs.heads - 1);
        app.selection.query = std::clamp(app.selection.query, 0, app.trace->n() - 1);
    }
}

}  // namespace attnscope::gui
