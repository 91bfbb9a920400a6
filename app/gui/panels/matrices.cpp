// Matrices panel: X, PE, input, W_Q/W_K/W_V/W_O and per-head Q/K/V; click a cell to edit it.
#include "gui/panels/matrices.hpp"

#include <imgui.h>

namespace attnscope::gui {

Edits draw_matrices_panel(const Trace&, const Selection&, MatricesPanelState&) {
    ImGui::TextDisabled("(not built yet)");
    return {};
}

}  // namespace attnscope::gui
