#pragma once
// Model panel: open a GPT-2 model folder, the layers x heads grid of attention thumbnails, the
// aggregates (mean over heads, attention rollout), token-to-token lines for the chosen head, and
// the next-token top 5. A button goes back to the synthetic single-layer engine.
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "attnscope/trace.hpp"
#include "gui/edits.hpp"
#include "gui/job.hpp"
#include "gui/widgets/heatmap.hpp"

namespace attnscope::gui {

// A model folder loading on a BackgroundJob; the frame loop polls it.
struct ModelLoad {
    BackgroundJob job;
    std::mutex mutex;
    std::string loaded;  // guarded: the folder the job finished loading, until the panel takes it
};

enum class ModelView { Heads, MeanOverHeads, Rollout };

struct ModelPanelState {
    std::string path;              // the path box
    bool synced = false;           // false: copy inputs.model into the path box on the next frame
    std::string loading;           // the folder being loaded
    std::shared_ptr<ModelLoad> load = std::make_shared<ModelLoad>();
    ModelView view = ModelView::Heads;
    std::vector<Heatmap> thumbnails;  // layers x heads, or one per layer for the aggregates
};

// Works without a trace (`error` says why there is none): the path box is always there.
Edits draw_model_panel(const Trace* trace, const Inputs& inputs, const std::string& error, const Selection& sel,
                       ModelPanelState& state);

}  // namespace attnscope::gui
