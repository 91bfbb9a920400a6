#include "gui/panel_list.hpp"

#include "gui/app_state.hpp"
#include "gui/panels/attention.hpp"
#include "gui/panels/compare.hpp"
#include "gui/panels/export.hpp"
#include "gui/panels/input.hpp"
#include "gui/panels/lessons.hpp"
#include "gui/panels/matrices.hpp"
#include "gui/panels/model.hpp"
#include "gui/panels/multihead.hpp"
#include "gui/panels/positional.hpp"
#include "gui/panels/scaling.hpp"
#include "gui/panels/softmax.hpp"
#include "gui/panels/stepper.hpp"
#include "gui/panels/training.hpp"

namespace attnscope::gui {
namespace {

template <class State>
std::shared_ptr<void> make() {
    return std::make_shared<State>();
}

template <class State>
State& as(void* state) {
    return *static_cast<State*>(state);
}

const ModelSummary* shown_model(const AppState& app) {
    return !app.inputs.model.empty() && app.trace && app.trace->has_model() ? &*app.trace->model : nullptr;
}

}  // namespace

const std::vector<PanelInfo>& panels() {
    // Left: what goes in and where we are. Middle: attention itself. Right: the matrices around it.
    static const std::vector<PanelInfo> all = {
        {"input", "Input", {Step::Tokenize}, {0, 0.27f, 0.42f}, false, make<InputPanelState>,
         [](AppState& a, void* s) {
             return draw_input_panel(a.inputs, shown_model(a), a.error, a.backend_status, as<InputPanelState>(s));
         }},
        {"stepper", "Stepper", {}, {0, 0.27f, 0.58f}, true, make<StepperState>,
         [](AppState& a, void* s) { return draw_stepper_panel(*a.trace, a.selection, as<StepperState>(s)); }},
        {"attention", "Attention heatmap", {Step::Scores, Step::Scale, Step::Mask, Step::Softmax}, {1, 0.38f, 0.62f}, true, make<AttentionPanelState>,
         [](AppState& a, void* s) { return draw_attention_panel(*a.trace, a.selection, as<AttentionPanelState>(s)); }},
        {"softmax", "Softmax", {Step::Softmax, Step::WeightValues}, {1, 0.38f, 0.38f}, true,
         make<SoftmaxPanelState>,
         [](AppState& a, void* s) { return draw_softmax_panel(*a.trace, a.selection, as<SoftmaxPanelState>(s)); }},
        {"matrices", "Matrices", {Step::Embed, Step::AddPositional, Step::ProjectQKV, Step::SplitHeads}, {2, 0.35f, 0.5f}, true, make<MatricesPanelState>,
         [](AppState& a, void* s) { return draw_matrices_panel(*a.trace, a.selection, as<MatricesPanelState>(s)); }},
        {"multihead", "Multi-head", {Step::SplitHeads, Step::WeightValues, Step::Concat, Step::OutputProjection},
         {2, 0.35f, 0.5f}, true, make<MultiheadPanelState>,
         [](AppState& a, void* s) { return draw_multihead_panel(*a.trace, a.selection, as<MultiheadPanelState>(s)); }},
        {"positional", "Positional encoding", {Step::AddPositional}, {2, 0.35f, 0.5f}, true,
         make<PositionalPanelState>,
         [](AppState& a, void* s) { return draw_positional_panel(*a.trace, a.selection, as<PositionalPanelState>(s)); }},
        {"export", "Export", {}, {0, 0.27f, 0.35f}, true, make<ExportPanelState>,
         [](AppState& a, void* s) { return draw_export_panel(*a.trace, a.selection, as<ExportPanelState>(s)); }},
        {"compare", "Compare variants", {}, {1, 0.6f, 1.0f}, true, make<ComparePanelState>,
         [](AppState& a, void* s) { return draw_compare_panel(*a.trace, a.compared, a.selection, as<ComparePanelState>(s)); }},
        {"lessons", "Lessons", {}, {0, 0.3f, 0.6f}, true, make<LessonsPanelState>,
         [](AppState& a, void* s) { return draw_lessons_panel(*a.trace, a.selection, as<LessonsPanelState>(s)); }},
        {"model", "Model", {}, {1, 0.46f, 1.0f}, false, make<ModelPanelState>,
         [](AppState& a, void* s) {
             return draw_model_panel(a.trace ? &*a.trace : nullptr, a.inputs, a.error, a.runner->status(), a.selection,
                                     as<ModelPanelState>(s));
         }},
        {"training", "Training", {}, {1, 0.7f, 1.0f}, false, make<TrainingPanelState>,
         [](AppState& a, void* s) { return draw_training_panel(a.inputs, as<TrainingPanelState>(s)); }},
        {"scaling", "Scaling", {}, {1, 0.7f, 1.0f}, false, make<ScalingPanelState>,
         [](AppState&, void* s) { return draw_scaling_panel(as<ScalingPanelState>(s)); }},
    };
    return all;
}

const PanelInfo* find_panel(std::string_view id) {
    for (const PanelInfo& p : panels())
        if (id == p.id) return &p;
    return nullptr;
}

std::vector<PanelSlot> make_panel_slots() {
    std::vector<PanelSlot> slots;
    for (const PanelInfo& p : panels()) slots.push_back({in_workspace(workspaces().front(), p.id), p.make_state()});
    return slots;
}

}  // namespace attnscope::gui
