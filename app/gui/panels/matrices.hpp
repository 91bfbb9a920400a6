#pragma once
// Matrices panel: X, PE, input, W_Q/W_K/W_V/W_O and per-head Q/K/V; click a cell to edit it.
#include <string>
#include <vector>

#include "attnscope/trace.hpp"
#include "gui/edits.hpp"
#include "gui/widgets/heatmap.hpp"

namespace attnscope::gui {

enum class MatrixView { Embeddings, Positional, Input, WQ, WK, WV, WO, Q, K, V, HeadQ, HeadK, HeadV };
inline constexpr int kMatrixViewCount = 13;

// The cell whose edit popup is open: `matrix` is the engine's editable name.
struct CellEditor {
    std::string matrix;
    int row = 0, col = 0;
    double value = 0.0;
    double shown = 0.0;     // the cell's value when the editor opened: setting it again records nothing
    std::string note;       // shown in the popup, e.g. that a Q_h cell is edited before RoPE
    bool focus = false;     // put the keyboard in the field when the popup opens
    std::string refused;    // why the value typed was not set (not finite, too large)
};

struct MatricesPanelState {
    bool follow_step = true;  // show the matrix of the current step
    MatrixView view = MatrixView::Input;
    bool key_side = false;    // cross-attention: X, PE and input of the key/value text
    Heatmap heatmap;
    CellEditor editor;
    std::vector<std::string> row_dims, col_dims;  // "0", "1", ...: the widget keeps pointers to labels
};
Edits draw_matrices_panel(const Trace& trace, const Selection& sel, MatricesPanelState& state);

}  // namespace attnscope::gui
