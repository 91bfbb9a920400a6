#pragma once
// Softmax panel: the selected query's attention distribution over the keys.
#include "attnscope/trace.hpp"
#include "gui/edits.hpp"
#include "gui/widgets/heatmap.hpp"

namespace attnscope::gui {

struct SoftmaxPanelState {
    bool sorted = false;  // bars by weight, largest first: the shape of the distribution at a glance
};
Edits draw_softmax_panel(const Trace& trace, const Selection& sel, SoftmaxPanelState& state);

}  // namespace attnscope::gui
