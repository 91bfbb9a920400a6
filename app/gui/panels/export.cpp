// Export panel: PNG of a heatmap, CSV and NPY of a matrix, the trace as JSON, session save and load.
#include "gui/panels/export.hpp"

#include <imgui.h>

namespace attnscope::gui {

Edits draw_export_panel(const Trace&, const Selection&, ExportPanelState&) {
    ImGui::TextDisabled("(not built yet)");
    return {};
}

}  // namespace attnscope::gui
