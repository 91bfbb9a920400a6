#pragma once
// Stepper panel: the forward pass as named steps; Prev / Next / Play.
#include "attnscope/trace.hpp"
#include "gui/edits.hpp"
#include "gui/widgets/heatmap.hpp"

namespace attnscope::gui {

struct StepperState {
    bool playing = false;
    double last_advance = 0.0;  // ImGui time of the last automatic step
    float seconds_per_step = 1.5f;
};
Edits draw_stepper_panel(const Trace& trace, const Selection& sel, StepperState& state);

}  // namespace attnscope::gui
