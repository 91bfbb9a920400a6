// The Compare panel's column headers: each variant's kind, parameter sliders and cost, and the
// exact column's legend (see compare_grid.hpp).
#include <imgui.h>

#include <algorithm>
#include <string>
#include <vector>

#include "gui/panels/compare_grid.hpp"
#include "gui/widgets/heatmap.hpp"
#include "gui/widgets/plot.hpp"

namespace attnscope::gui::compare {
namespace {

const char* kind_help(VariantKind k) {
    switch (k) {
        case VariantKind::Dense: return "exact attention";
        case VariantKind::Local: return "each query sees the keys within a window around it";
        case VariantKind::Strided: return "a local band plus every stride-th key (Child et al., sparse transformer)";
        case VariantKind::Fixed: return "its own block plus each block's summary positions (Child et al.)";
        case VariantKind::BigBird: return "neighbouring blocks, random blocks and global tokens (Zaheer et al.)";
        case VariantKind::TopK: return "the k largest logits of each query (needs every score first)";
        case VariantKind::Linformer: return "keys and values projected to length k (Wang et al.): rank <= k";
        case VariantKind::Nystrom: return "landmarks approximate the softmax matrix (Xiong et al.): rank <= landmarks";
        case VariantKind::Performer: return "random features approximate exp(q.k) (Choromanski et al.): rank <= features";
        case VariantKind::Svd: return "the best rank-r matrix (Eckart-Young): a bound to compare with, not a fast method";
    }
    return "";
}

struct ParamSlider {
    const char* label;
    int VariantParams::*field;
    int lo, hi;
    std::string help;
    bool log = false;
};

// The kind's parameters (its rows of variant_param_table()), with the table's ranges at n queries
// and m keys.
std::vector<ParamSlider> param_sliders(const VariantParams& v, int n, int m) {
    std::vector<ParamSlider> s;
    for (const VariantParamInfo* p : variant_params_of(v.kind)) {
        if (!p->field) continue;  // the list row (global tokens) has no slider
        // A slider needs two ends.
        s.push_back({p->label, p->field, p->lo, std::max(p->upper(v, n, m), p->lo + 1), p->help_for(v.kind), p->log_slider});
    }
    return s;
}

}  // namespace

void clamp_to_sliders(VariantParams& v, int n, int m) {
    for (int pass = 0; pass < 2; ++pass)  // twice: summary's range follows the clamped stride
        for (const ParamSlider& p : param_sliders(v, n, m)) v.*p.field = std::clamp(v.*p.field, p.lo, p.hi);
}

namespace {

void colour_swatch(int index) {
    const ImVec2 p = ImGui::GetCursorScreenPos();
    const float h = ImGui::GetFrameHeight();
    ImGui::GetWindowDrawList()->AddRectFilled(p, ImVec2(p.x + h * 0.45f, p.y + h), kColumnColors[index], 2.0f);
    ImGui::Dummy(ImVec2(h * 0.45f, h));
    ImGui::SameLine();
}

bool kind_combo(VariantParams& v, int n, int m, float width) {
    bool changed = false;
    ImGui::SetNextItemWidth(width);
    if (ImGui::BeginCombo("##kind", name(v.kind))) {
        for (VariantKind k : kAllVariants) {
            if (k == VariantKind::Dense) continue;
            if (ImGui::Selectable(name(k), k == v.kind) && k != v.kind) {
                v.kind = k;
                clamp_to_sliders(v, n, m);
                changed = true;
            }
            if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", kind_help(k));
        }
        ImGui::EndCombo();
    }
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", kind_help(v.kind));
    return changed;
}

// Two sliders to a line where they fit: BigBird's four would otherwise make every header tall.
bool param_slider_rows(VariantParams& v, int n, int m) {
    const std::vector<ParamSlider> sliders = param_sliders(v, n, m);
    const ImGuiStyle& st = ImGui::GetStyle();
    float label_w = 0;
    for (const ParamSlider& p : sliders) label_w = std::max(label_w, ImGui::CalcTextSize(p.label).x + st.ItemInnerSpacing.x);
    const float avail = ImGui::GetContentRegionAvail().x;
    const float pair_w = (avail - st.ItemSpacing.x) / 2 - label_w;
    const bool pairs = sliders.size() > 1 && pair_w >= ImGui::GetFontSize() * 3.5f;
    bool changed = false;
    for (size_t i = 0; i < sliders.size(); ++i) {
        const ParamSlider& p = sliders[i];
        if (pairs && i % 2 == 1) ImGui::SameLine();
        int value = v.*p.field;
        ImGui::SetNextItemWidth(pairs ? pair_w : std::max(avail - label_w, 40.0f));
        if (ImGui::SliderInt(p.label, &value, p.lo, p.hi, "%d", p.log ? ImGuiSliderFlags_Logarithmic : 0)) {
            v.*p.field = value;
            changed = true;
        }
        if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s: %s (%d..%d here)", p.label, p.help.c_str(), p.lo, p.hi);
    }
    return changed;
}

void cost_line(const Cost& c, const Cost& dense) {
    const std::string flops = si(c.flops) + " FLOPs (" + ratio(c.flops, dense.flops) + ")";
    const std::string bytes = si(c.bytes, "B") + " (" + ratio(c.bytes, dense.bytes) + ")";
    const std::string one_line = flops + " · " + bytes;
    // Two lines rather than ImGui's wrap, which may break a ratio after its decimal point.
    if (ImGui::CalcTextSize(one_line.c_str()).x <= ImGui::GetContentRegionAvail().x) {
        ImGui::TextUnformatted(one_line.c_str());
    } else {
        ImGui::BeginGroup();
        ImGui::TextUnformatted(flops.c_str());
        ImGui::TextUnformatted(bytes.c_str());
        ImGui::EndGroup();
    }
    if (ImGui::IsItemHovered())
        ImGui::SetTooltip("Cost model, one layer, all heads, fp32; ratios to dense attention\n(%s FLOPs, %s).",
                          si(dense.flops).c_str(), si(dense.bytes, "B").c_str());
}

}  // namespace

// A variant's header; edits g.lineup in place.
void draw_variant_header(Grid& g, const Column& c) {
    VariantParams& v = g.lineup[c.index];
    const int n = g.exact.n(), m = g.exact.m();
    colour_swatch(c.index);
    const float remove_w = ImGui::CalcTextSize("x").x + ImGui::GetStyle().FramePadding.x * 2 + ImGui::GetStyle().ItemSpacing.x;
    const bool kind_changed = kind_combo(v, n, m, ImGui::GetContentRegionAvail().x - remove_w);
    ImGui::SameLine();
    if (ImGui::Button("x")) g.remove = c.index;  // erased after every header has drawn from g.lineup
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("Remove this column");
    const bool params_changed = param_slider_rows(v, n, m);
    if (kind_changed || params_changed) g.out.compared = g.lineup;
    if (c.trace) cost_line(c.trace->layers[0].cost, c.trace->layers[0].dense_cost);
}

// The exact column's header also holds the weights' legend: the header row is as tall as the
// variants' sliders anyway, and every pixel below goes to the maps.
void draw_exact_header(Grid& g) {
    ImGui::AlignTextToFramePadding();
    ImGui::TextUnformatted("exact");
    ImGui::SameLine();
    ImGui::TextDisabled("(dense softmax)");
    if (!g.scales.note.empty()) {
        ImGui::SameLine();
        ImGui::Checkbox("0..1", &g.state.unit_scale);
        if (ImGui::IsItemHovered())
            ImGui::SetTooltip("Clip the shared weights scale to 0..1: the exact and sparse maps get their full\n"
                              "contrast back, and low-rank values outside 0..1 show as the scale's ends.");
    }
    draw_colorbar(Colormap::Viridis, g.scales.lo, g.scales.hi, !g.exact.allowed.all());
    ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
    ImGui::TextWrapped("Weights: one scale for all columns. %s", g.scales.note.c_str());
    ImGui::PopStyleColor();
}

void draw_empty_state(Grid& g) {
    ImGui::AlignTextToFramePadding();
    ImGui::TextUnformatted("Add a variant to compare");
    ImGui::TextDisabled("Sparse: local, strided, fixed, bigbird, topk.\nLow-rank: linformer, nystrom, performer, svd.");
    if (ImGui::Button("+ add variant")) {
        VariantParams v;
        v.kind = kAddOrder[0];
        g.out.compared = std::vector<VariantParams>{v};
    }
}

}  // namespace attnscope::gui::compare
