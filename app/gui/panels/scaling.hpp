#pragma once
// Scaling panel: times the fast kernels over sequence lengths n as a background job (the same
// engine sweep as `attnscope bench`), and plots time and peak memory against n on log-log axes
// per variant as the points arrive, with each variant's fitted exponent and, dashed, the cost
// model's FLOPs at the machine's measured peak.
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "attnscope/bench.hpp"
#include "gui/edits.hpp"
#include "gui/job.hpp"

namespace attnscope::gui {

// What the sweep thread posts for the panel, under `mutex`.
struct ScalingResults {
    std::mutex mutex;
    BenchConfig config;  // the sweep these belong to
    bool have_peak = false;
    FmaPeak peak;
    std::string isa;                           // kernel_isa_description()
    std::vector<std::vector<double>> theory;  // [variant][size]: cost-model flops / peak, seconds
    std::vector<BenchRow> rows;
    std::vector<BenchNote> notes;
    bool finished = false;
};

struct ScalingPanelState {
    // The next sweep: variants, lengths (powers of two), heads, d_head, budget, variant parameters.
    BenchConfig config = default_scaling_config();
    std::unique_ptr<BackgroundJob> job = std::make_unique<BackgroundJob>();
    std::shared_ptr<ScalingResults> results;  // the latest sweep's, or null before the first
    bool start_on_open = false;   // start a sweep the first time the panel is drawn
    bool wait_for_sweep = false;  // and finish it within that frame (screenshots)

    static BenchConfig default_scaling_config();
};

// Starts a sweep of state.config (cancelling one that runs).
void start_scaling_sweep(ScalingPanelState& state);

Edits draw_scaling_panel(ScalingPanelState& state);

}  // namespace attnscope::gui
