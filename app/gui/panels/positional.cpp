// Positional panel: the encoding, waves over position, PE PE^T, RoPE angles, ALiBi and relative biases.
#include "gui/panels/positional.hpp"

#include <imgui.h>

namespace attnscope::gui {

Edits draw_positional_panel(const Trace&, const Selection&, PositionalPanelState&) {
    ImGui::TextDisabled("(not built yet)");
    return {};
}

}  // namespace attnscope::gui
