// Attention panel: one head's scores, scaled scores, logits or weights as a heatmap
// with token labels on both axes. Click a row to select that query.
#include <imgui.h>

#include <cmath>

#include "gui/formulas.hpp"
#include "gui/panels/attention.hpp"
#include "gui/widgets/flow.hpp"

namespace attnscope::gui {
namespace {

constexpr const char* kStageNames[] = {"scores", "scaled", "logits", "weights"};
constexpr const char* kStageHelp[] = {"Q K^T, unscaled", "(scores / sqrt(d_head) + bias) / T",
                                      "scaled, -inf where masked", "softmax of each logits row"};

AttentionStage stage_for_step(Step s, AttentionStage fallback) {
    switch (s) {
        case Step::Scores: return AttentionStage::Scores;
        case Step::Scale: return AttentionStage::Scaled;
        case Step::Mask: return AttentionStage::Logits;
        case Step::Softmax:
        case Step::WeightValues: return AttentionStage::Weights;
        default: return fallback;
    }
}

}  // namespace

Edits draw_attention_panel(const Trace& t, const Selection& sel, AttentionPanelState& state) {
    const LayerTrace& layer = t.layer(sel.layer);
    Edits out;
    int head = sel.head;
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 8);
    if (ImGui::SliderInt("head", &head, 0, t.inputs.heads - 1)) out.head = head;
    ImGui::SameLine();
    ImGui::Checkbox("follow step", &state.follow_step);
    const AttentionStage stage = state.follow_step ? stage_for_step(sel.step, state.stage) : state.stage;
    for (int s = 0; s < 4; ++s) {
        if (s > 0) same_line_if_fits(ImGui::GetFrameHeight() + labeled_width(0, kStageNames[s]));
        if (ImGui::RadioButton(kStageNames[s], static_cast<int>(stage) == s)) {
            state.stage = static_cast<AttentionStage>(s);
            state.follow_step = false;
        }
        if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", kStageHelp[s]);
    }

    const HeadTrace& h = layer.heads[sel.head];
    const Matrix& values = stage == AttentionStage::Scores   ? h.scores
                           : stage == AttentionStage::Scaled ? h.scaled
                           : stage == AttentionStage::Logits ? h.logits
                                                             : h.attention;
    HeatmapStyle style;
    style.row_labels = &t.query.tokens;
    style.col_labels = &t.keys.tokens;
    style.highlight_row = sel.query;
    style.max_cell = 44.0f;
    style.allowed = &t.allowed;
    style.max_height = ImGui::GetContentRegionAvail().y - ImGui::GetFontSize() * 3.5f;
    if (stage != AttentionStage::Weights) {  // the default style is weights': viridis over 0..1
        const HeatmapStyle signed_values = diverging_style(values);
        style.map = signed_values.map, style.lo = signed_values.lo, style.hi = signed_values.hi;
    } else {
        color_weights(style, values);
    }
    const HeatmapHit hit = state.heatmap.draw("attention", values, style);
    const bool masked_cells = !t.allowed.all();
    draw_colorbar(style.map, style.lo, style.hi, masked_cells);
    ImGui::TextDisabled("rows: queries, columns: keys. Click a row to select its query.");
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("Mouse wheel zooms, right-drag pans, double right-click resets.");

    if (hit.hovered()) {
        const CellStage cs = stage == AttentionStage::Scores   ? CellStage::Score
                             : stage == AttentionStage::Scaled ? CellStage::Scaled
                             : stage == AttentionStage::Logits ? CellStage::Logit
                                                               : CellStage::Weight;
        ImGui::SetTooltip("%s", explain_cell(t, layer, cs, sel.head, hit.row, hit.col).c_str());
        if (hit.clicked) out.query = hit.row;
    }
    return out;
}

}  // namespace attnscope::gui
