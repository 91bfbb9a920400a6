#pragma once
// Model panel: open a GPT-2 model folder, the layers x heads grid of attention thumbnails, the
// aggregates (mean over heads, attention rollout), token-to-token lines for the chosen head, and
// the next-token top 5. A button goes back to the synthetic single-layer engine.
#include <optional>
#include <string>
#include <vector>

#include "attnscope/trace.hpp"
#include "gui/edits.hpp"
#include "gui/runner.hpp"
#include "gui/widgets/file_browser.hpp"
#include "gui/widgets/heatmap.hpp"

namespace attnscope::gui {

enum class ModelView { Heads, MeanOverHeads, Rollout };

struct ModelPanelState {
    std::string path;              // the path box
    std::optional<std::string> box_model;  // the inputs.model the path box last showed; another one replaces the box
    ModelView view = ModelView::Heads;
    std::vector<Heatmap> thumbnails;  // layers x heads, or one per layer for the aggregates
    FileBrowser browser;              // Browse...: pick a model folder
};

// Inputs that run the given model folder (or the synthetic engine for ""), dropping what a model
// refuses (cross-attention text, edited cells, a variant).
Edits switch_model(const Inputs& inputs, const std::string& model);

// Works without a trace (`error` says why there is none): the path box is always there.
// Opening a folder hands back Inputs with the model set; the runner loads it (status.progress).
Edits draw_model_panel(const Trace* trace, const Inputs& inputs, const std::string& error, const RunStatus& status,
                       const Selection& sel, ModelPanelState& state);

}  // namespace attnscope::gui
