#pragma once
// Attention panel: one head's scores, scaled scores, logits or weights as a labelled heatmap.
#include "attnscope/trace.hpp"
#include "gui/edits.hpp"
#include "gui/widgets/heatmap.hpp"

namespace attnscope::gui {

enum class AttentionStage { Scores, Scaled, Logits, Weights };
struct AttentionPanelState {
    bool follow_step = true;  // show the stage of the current step
    AttentionStage stage = AttentionStage::Weights;
    Heatmap heatmap;
};
Edits draw_attention_panel(const Trace& trace, const Selection& sel, AttentionPanelState& state);

}  // namespace attnscope::gui
