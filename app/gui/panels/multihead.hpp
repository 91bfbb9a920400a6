#pragma once
// Multi-head panel: the split into heads, every head's weights, the concatenation and W_O, token lines.
#include "attnscope/trace.hpp"
#include "gui/edits.hpp"
#include "gui/widgets/heatmap.hpp"

namespace attnscope::gui {

struct MultiheadPanelState {
    Heatmap split;
};
Edits draw_multihead_panel(const Trace& trace, const Selection& sel, MultiheadPanelState& state);

}  // namespace attnscope::gui
