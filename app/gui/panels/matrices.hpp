#pragma once
// Matrices panel: X, PE, input, W_Q/W_K/W_V/W_O and per-head Q/K/V; click a cell to edit it.
#include "attnscope/trace.hpp"
#include "gui/edits.hpp"
#include "gui/widgets/heatmap.hpp"

namespace attnscope::gui {

struct MatricesPanelState {
    Heatmap heatmap;
};
Edits draw_matrices_panel(const Trace& trace, const Selection& sel, MatricesPanelState& state);

}  // namespace attnscope::gui
