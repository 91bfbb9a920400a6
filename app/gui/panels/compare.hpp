#pragma once
// Compare panel: exact attention beside up to three efficient variants on one colour scale,
// their patterns, the difference, the metrics table, live parameter sliders and the spectrum.
#include <vector>

#include "attnscope/trace.hpp"
#include "gui/compared_run.hpp"
#include "gui/edits.hpp"
#include "gui/widgets/heatmap.hpp"

namespace attnscope::gui {

struct ComparePanelState {
    Heatmap exact;  // the exact weights
    bool unit_scale = true;  // clip the shared weights scale to 0..1 (low-rank variants can leave it; the legend says so)
    // One per variant column, resized to the line-up: its weights, its pattern, variant - exact.
    std::vector<Heatmap> weights, patterns, differences;
};
// `exact` is the main trace; its own variant (if any) is ignored here: the exact weights are
// heads[h].exact_attention when it has a variant, else heads[h].attention.
Edits draw_compare_panel(const Trace& exact, const std::vector<ComparedRun>& compared, const Selection& sel,
                         ComparePanelState& state);

}  // namespace attnscope::gui
