#pragma once
// Every panel: one file each, one function draw_xxx(...) -> Edits, and its own state.
// Panels read the Trace through const& and never compute; they hand edits back.
#include <string>

#include "attnscope/trace.hpp"
#include "gui/edits.hpp"
#include "gui/widgets/heatmap.hpp"

namespace attnscope::gui {

// Input: the sentence, the cross-attention text, dimensions and options, presets.
struct InputPanelState {
    std::string text, cross_text;  // what is typed; applied when it changes
    bool synced = false;           // false: copy from the inputs on the next frame
};
Edits draw_input_panel(const Inputs& inputs, const std::string& error, InputPanelState& state);

// Stepper: the forward pass as named steps, Prev / Next / Play.
struct StepperState {
    bool playing = false;
    double last_advance = 0.0;     // ImGui time of the last automatic step
    float seconds_per_step = 1.5f;
};
Edits draw_stepper_panel(const Trace& trace, const Selection& sel, StepperState& state);

// Attention: one head's scores, scaled scores, logits or weights as a labelled heatmap.
enum class AttentionStage { Scores, Scaled, Logits, Weights };
struct AttentionPanelState {
    bool follow_step = true;  // show the stage of the current step
    AttentionStage stage = AttentionStage::Weights;
    Heatmap heatmap;
};
Edits draw_attention_panel(const Trace& trace, const Selection& sel, AttentionPanelState& state);

}  // namespace attnscope::gui
