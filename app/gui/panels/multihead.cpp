// Multi-head panel: the split into heads, every head's weights, the concatenation and W_O, token lines.
#include "gui/panels/multihead.hpp"

#include <imgui.h>

namespace attnscope::gui {

Edits draw_multihead_panel(const Trace&, const Selection&, MultiheadPanelState&) {
    ImGui::TextDisabled("(not built yet)");
    return {};
}

}  // namespace attnscope::gui
