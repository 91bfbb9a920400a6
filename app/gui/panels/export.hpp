#pragma once
// Export panel: PNG of a heatmap, CSV and NPY of a matrix, the trace as JSON, session save and load.
#include <string>
#include <vector>

#include "attnscope/trace.hpp"
#include "gui/edits.hpp"
#include "gui/figure.hpp"
#include "gui/widgets/file_browser.hpp"
#include "gui/widgets/heatmap.hpp"

namespace attnscope::gui {

struct ExportPanelState {
    std::string folder = ".";
    std::string matrix;  // the chosen matrix's name; empty: the selected head's attention
    std::string session_path = "attnscope-session.json";
    std::string status;  // the last result or error, shown in place
    bool status_is_error = false;
    Heatmap preview;
    FileBrowser folder_browser, session_browser;
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
// The session file is state.session_path, in state.folder unless it is an absolute path.
void save_session(const Trace& trace, const Selection& sel, ExportPanelState& state);
Edits load_session(ExportPanelState& state);  // empty Edits on failure
// `file` in the panel's folder, or `file` itself when it is an absolute path.
std::string in_folder(const ExportPanelState& state, const std::string& file);

// The PNG the panel writes: heatmap_figure of the matrix, titled with its name and shape, its
// tokens on the axes, coloured as the preview (weights 0..1, anything else diverging around 0).
std::string matrix_png(const NamedMatrix& m);

}  // namespace attnscope::gui
