#pragma once
// Multi-head panel: the split into heads, every head's weights, the concatenation and W_O, token lines.
#include <vector>

#include "attnscope/trace.hpp"
#include "gui/edits.hpp"
#include "gui/widgets/heatmap.hpp"

namespace attnscope::gui {

enum class MultiheadSection { Split, Heads, Concat, Lines };
inline constexpr int kMultiheadSections = 4;

struct MultiheadPanelState {
    bool follow_step = true;        // open the section of the current step when the step changes
    bool open[kMultiheadSections] = {true, true, true, true};
    int last_step = -1;             // the step the sections were last arranged for
    int split_matrix = 0;           // 0: Q, 1: K, 2: V
    bool all_queries = false;       // token lines: every query's strongest keys, faintly
    Heatmap split;
    std::vector<Heatmap> heads;     // one per head
    Heatmap concat, w_o, output;
};
Edits draw_multihead_panel(const Trace& trace, const Selection& sel, MultiheadPanelState& state);

}  // namespace attnscope::gui
