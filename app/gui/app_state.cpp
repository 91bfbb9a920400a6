#include "gui/app_state.hpp"

#include <algorithm>

#include "attnscope/error.hpp"
#include "attnscope/gpu/device.hpp"
#include "attnscope/gpu/run_gpu.hpp"
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

void run_into(const Inputs& inputs, gpu::Device* device, std::optional<Trace>& trace, std::string& error,
              std::string& warning) {
    try {
        trace = gpu::run_on_backend(inputs, device, warning);
        error.clear();
    } catch (const Error& e) {
        trace.reset();
        error = e.what();
    }
}

}  // namespace

void rerun(AppState& app) {
    std::string warning;
    run_into(app.inputs, app.gpu, app.trace, app.error, warning);
    app.backend_status = !warning.empty() ? warning
                         : !app.trace     ? std::string()
                         : app.trace->backend == Backend::Gpu
                             ? "computed on the GPU: " + app.gpu->renderer()
                             : "computed on the CPU";
    for (ComparedRun& c : app.compared) {
        if (!app.windows.compare) {  // each run has an SVD of every head's weights: only when shown
            c.trace.reset();
            c.error = "not computed while the Compare window is closed";
            continue;
        }
        Inputs with_variant = app.inputs;
        with_variant.variant = c.variant;
        run_into(with_variant, app.gpu, c.trace, c.error, warning);
    }
    app.selection.layer = app.inputs.layer;
    if (app.trace) {
        app.selection.head = std::clamp(app.selection.head, 0, static_cast<int>(app.trace->heads.size()) - 1);
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
        app.selection.head = std::clamp(app.selection.head, 0, static_cast<int>(app.trace->heads.size()) - 1);
        app.selection.query = std::clamp(app.selection.query, 0, app.trace->n() - 1);
    }
}

}  // namespace attnscope::gui
