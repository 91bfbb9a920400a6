#pragma once
// Everything the GUI holds between frames. The frame loop owns it; panels see
// parts of it through const references and return Edits.
#include <optional>
#include <string>

#include "attnscope/inputs.hpp"
#include "attnscope/trace.hpp"
#include "gui/compared_run.hpp"
#include "gui/edits.hpp"
#include "gui/runner.hpp"
#include "gui/panels/compare.hpp"
#include "gui/panels/attention.hpp"
#include "gui/panels/export.hpp"
#include "gui/panels/input.hpp"
#include "gui/panels/lessons.hpp"
#include "gui/panels/matrices.hpp"
#include "gui/panels/model.hpp"
#include "gui/panels/multihead.hpp"
#include "gui/panels/positional.hpp"
#include "gui/panels/scaling.hpp"
#include "gui/panels/softmax.hpp"
#include "gui/panels/stepper.hpp"
#include "gui/panels/training.hpp"

namespace attnscope::gui {

// Which panel windows are open. Positional and Export start closed (View menu) and open
// over the right and left columns.
struct Windows {
    bool input = true, stepper = true, matrices = true, attention = true, softmax = true, multihead = true,
         positional = false, export_files = false, compare = false, lessons = false, model = false,
         training = false, scaling = false;
};

struct PanelStates {
    InputPanelState input;
    StepperState stepper;
    MatricesPanelState matrices;
    AttentionPanelState attention;
    SoftmaxPanelState softmax;
    MultiheadPanelState multihead;
    PositionalPanelState positional;
    ExportPanelState export_files;
    ComparePanelState compare;
    LessonsPanelState lessons;
    ModelPanelState model;
    TrainingPanelState training;
    ScalingPanelState scaling;
};

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
    Windows windows;
    PanelStates panels;
    Theme theme = Theme::Dark;
};

// Asks the runner for a trace of app.inputs (and the compared variants while Compare is open).
void request_run(AppState& app);
// Takes a finished run into app: its trace replaces the shown one, or its error is shown beside
// the last good trace. Returns whether anything changed.
bool poll_run(AppState& app);
// request_run, then waits for it (start-up, screenshots and tests).
void rerun(AppState& app);
// Applies a frame's edits: new inputs request a run; the view (layer, head, query, step) changes at
// once and never recomputes; selections are clamped to the trace.
void apply(AppState& app, const Edits& edits);

}  // namespace attnscope::gui
