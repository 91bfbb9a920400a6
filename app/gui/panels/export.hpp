#pragma once
// Export panel: PNG of a heatmap, CSV and NPY of a matrix, the trace as JSON, session save and load.
#include <string>
#include <vector>

#include "attnscope/trace.hpp"
#include "gui/edits.hpp"
#include "gui/widgets/heatmap.hpp"

namespace attnscope::gui {

struct ExportPanelState {
    std::string folder = ".";
    std::string matrix;  // the chosen matrix's name; empty: the selected head's attention
    std::string session_path = "attnscope-session.json";
    std::string status;  // the last result or error, shown in place
    bool status_is_error = false;
    Heatmap preview;
};
Edits draw_export_panel(const Trace& trace, const Selection& sel, ExportPanelState& state);

// One matrix of the trace as the panel lists it.
struct NamedMatrix {
    std::string name;   // the file name's stem, e.g. "head2_attention"
    std::string group;  // the heading it is listed under, e.g. "head 2"
    const Matrix* values = nullptr;
    bool weights = false;  // attention weights: Viridis 0..1; anything else: Diverging around 0
    const std::vector<std::string>* row_labels = nullptr;
    const std::vector<std::string>* col_labels = nullptr;
};
// Every matrix of the trace, in the order of the forward pass. Points into `trace`.
std::vector<NamedMatrix> trace_matrices(const Trace& trace, const LayerTrace& layer);

// What the panel's buttons do. Each reports its outcome in state.status (an error says how
// to fix it) and never throws.
enum class ExportFormat { Csv, Npy, Png };
void export_matrix(const NamedMatrix& m, ExportFormat format, ExportPanelState& state);  // to state.folder
void export_trace(const Trace& trace, ExportPanelState& state);                           // to state.folder
void save_session(const Trace& trace, const Selection& sel, ExportPanelState& state);     // to state.session_path
Edits load_session(ExportPanelState& state);  // from state.session_path; empty Edits on failure

struct RgbaImage {
    int width = 0, height = 0;
    std::vector<unsigned char> rgba;  // rows top first
};
// The matrix through a colormap, one square block of pixels per cell (nearest neighbour), at
// least `min_width` pixels wide where the height allows; non-finite (masked) cells are kMaskedColor.
// Throws attnscope::Error for an empty matrix.
RgbaImage matrix_image(const Matrix& m, Colormap map, double lo, double hi, int min_width = 512);

}  // namespace attnscope::gui
