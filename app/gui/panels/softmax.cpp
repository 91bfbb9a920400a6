// Softmax panel: the selected query's attention distribution over the keys.
#include "gui/panels/softmax.hpp"

#include <imgui.h>

namespace attnscope::gui {

Edits draw_softmax_panel(const Trace&, const Selection&, SoftmaxPanelState&) {
    ImGui::TextDisabled("(not built yet)");
    return {};
}

}  // namespace attnscope::gui
