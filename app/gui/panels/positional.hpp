#pragma once
// Positional panel: the encoding, waves over position, PE PE^T, RoPE angles, ALiBi and relative biases.
#include "attnscope/trace.hpp"
#include "gui/edits.hpp"
#include "gui/widgets/heatmap.hpp"

namespace attnscope::gui {

struct PositionalPanelState {
    int wave_dims[4] = {-1, -1, -1, -1};  // columns of PE drawn as waves; -1: 0, 1, d/4, d/2 of the trace's d_model
    int wave_d_model = 0;                 // the d_model wave_dims were chosen for
    bool wrap_angles = false;             // show RoPE angles modulo 2 pi
    Matrix wrapped_angles;                // the display copy when wrap_angles is on
    Heatmap encoding, similarity, rope, bias;
};
Edits draw_positional_panel(const Trace& trace, const Selection& sel, PositionalPanelState& state);

}  // namespace attnscope::gui
