#pragma once
// Positional panel: the encoding, waves over position, PE PE^T, RoPE angles, ALiBi and relative biases.
#include "attnscope/trace.hpp"
#include "gui/edits.hpp"
#include "gui/widgets/heatmap.hpp"

namespace attnscope::gui {

struct PositionalPanelState {
    Heatmap encoding;
};
Edits draw_positional_panel(const Trace& trace, const Selection& sel, PositionalPanelState& state);

}  // namespace attnscope::gui
