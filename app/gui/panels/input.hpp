#pragma once
// Input panel: the sentence, the cross-attention text, dimensions and options, presets.
#include <string>

#include "attnscope/trace.hpp"
#include "gui/edits.hpp"
#include "gui/widgets/heatmap.hpp"

namespace attnscope::gui {

struct InputPanelState {
    std::string text, cross_text;  // what is typed; applied when it changes
    bool synced = false;           // false: copy from the inputs on the next frame
};
// Works without a trace: `error` says why there is none.
// `backend_status` says which backend computed the trace, or why the GPU could not.
// `model`: the loaded model's description while one is open (its sizes replace the synthetic
// engine's controls, which are shown disabled with the reason), else null.
Edits draw_input_panel(const Inputs& inputs, const ModelSummary* model, const std::string& error,
                       const std::string& backend_status, InputPanelState& state);

}  // namespace attnscope::gui
