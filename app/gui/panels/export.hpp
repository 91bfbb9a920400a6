#pragma once
// Export panel: PNG of a heatmap, CSV and NPY of a matrix, the trace as JSON, session save and load.
#include <string>

#include "attnscope/trace.hpp"
#include "gui/edits.hpp"
#include "gui/widgets/heatmap.hpp"

namespace attnscope::gui {

struct ExportPanelState {
    std::string folder = ".";
    std::string status;  // the last result or error, shown in place
};
Edits draw_export_panel(const Trace& trace, const Selection& sel, ExportPanelState& state);

}  // namespace attnscope::gui
