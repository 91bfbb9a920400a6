// Positional panel: what the chosen positional encoding feeds the model. Additive encodings
// (sinusoidal, learned) as a heatmap, as waves over position and as the similarity of
// positions PE PE^T; RoPE as its rotation angles; ALiBi and T5 relative biases per head.
#include "gui/panels/positional.hpp"

#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "attnscope/positional.hpp"

namespace attnscope::gui {
namespace {

constexpr ImU32 kAccent = IM_COL32(255, 80, 40, 255);  // the heatmap's selected-row colour
constexpr double kPi = 3.14159265358979323846;
// Distinct from each other and from the accent, and readable on both themes.
constexpr ImU32 kWaveColors[4] = {IM_COL32(66, 165, 245, 255), IM_COL32(102, 187, 106, 255),
                                  IM_COL32(186, 104, 200, 255), IM_COL32(255, 193, 7, 255)};
constexpr float kMinSectionLines = 14;  // a section's least height, in font heights; the window scrolls beyond

// "3 cat": this panel is about positions, so rows carry both.
std::vector<std::string> position_labels(const std::vector<std::string>& tokens) {
    std::vector<std::string> labels;
    labels.reserve(tokens.size());
    for (size_t p = 0; p < tokens.size(); ++p) labels.push_back(std::to_string(p) + " " + tokens[p]);
    return labels;
}

bool edited(const Trace& t, const char* matrix, int row, int col) {
    for (const Edit& e : t.inputs.edits)
        if (e.matrix == matrix && e.row == row && e.col == col) return true;
    return false;
}

std::string num(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.4g", v);
    return buf;
}

const char* summary(Positional pe) {
    switch (pe) {
        case Positional::None:
            return "pe = none: no positional information; attention is permutation-equivariant (shuffle the tokens "
                   "and the outputs shuffle with them). Choose an encoding in the Input panel.";
        case Positional::Sinusoidal:
            return "Sinusoidal: PE[p, 2i] = sin(p / 10000^(2i/d)), PE[p, 2i+1] = cos(p / 10000^(2i/d)), added to the "
                   "embeddings. Each column pair is a wave: low columns turn fast, high columns slowly.";
        case Positional::Learned:
            return "Learned: one trained vector per position, added to the embeddings (seeded random here, as before "
                   "training).";
        case Positional::Rope:
            return "RoPE encodes position by rotating Q and K inside each head; the additive encoding is zero.";
        case Positional::Alibi:
            return "ALiBi adds bias[i, j] = -slope_h * |i - j| to head h's logits: nearer keys score higher, each head "
                   "with its own slope.";
        case Positional::Relative:
            return "T5 relative bias: the offset j - i falls into one of 32 buckets (exact when near, logarithmic up to "
                   "128); each head learns one scalar per bucket, added to its logits.";
    }
    return "";
}

// Open sections share the window's height, never shrinking below legibility.
float section_height(float avail_y, int sections) {
    const float headers = sections * ImGui::GetFrameHeightWithSpacing();
    return std::max((avail_y - headers) / std::max(sections, 1), ImGui::GetFontSize() * kMinSectionLines);
}

std::string encoding_cell_text(const Trace& t, int p, int k) {
    const double v = t.query.positional(p, k);
    const std::string cell = "PE[" + std::to_string(p) + "," + std::to_string(k) + "] = ";
    const std::string where = "\nposition " + std::to_string(p) + ", token '" + t.query.tokens[p] + "'";
    if (edited(t, "positional", p, k)) return cell + num(v) + " (edited)" + where;
    if (t.inputs.pe != Positional::Sinusoidal) return cell + num(v) + where;
    const int i = k / 2;
    return cell + (k % 2 == 0 ? "sin" : "cos") + "(" + std::to_string(p) + " / 10000^(" + std::to_string(2 * i) + "/" +
           std::to_string(t.inputs.d_model) + ")) = " + num(v) + where;
}

void draw_encoding(const Trace& t, const Selection& sel, PositionalPanelState& s,
                   const std::vector<std::string>& labels, float height, Edits& out) {
    const Matrix& pe = t.query.positional;
    ImGui::TextWrapped("PE (%d x %d): row p is added to the embedding of the token at position p.%s",
                       static_cast<int>(pe.rows()), static_cast<int>(pe.cols()),
                       t.cross ? " The key text gets the same rows for its own positions." : "");
    HeatmapStyle style = diverging_style(pe);
    style.row_labels = &labels;
    style.highlight_row = sel.query;
    style.max_height = height - ImGui::GetFontSize() * 5;
    const HeatmapHit hit = s.encoding.draw("encoding", pe, style);
    draw_colorbar(style.map, style.lo, style.hi);
    if (!hit.hovered()) return;
    ImGui::SetTooltip("%s\nclick: select this query", encoding_cell_text(t, hit.row, hit.col).c_str());
    if (hit.clicked) out.query = hit.row;
}

void choose_default_dims(PositionalPanelState& s, int d) {
    if (s.wave_d_model == d) return;
    s.wave_d_model = d;
    const int defaults[4] = {0, 1, d / 4, d / 2};
    for (int i = 0; i < 4; ++i) s.wave_dims[i] = std::clamp(defaults[i], 0, d - 1);
}

void wave_controls(PositionalPanelState& s, int d) {
    const float font = ImGui::GetFontSize();
    for (int i = 0; i < 4; ++i) {
        ImGui::PushID(i);
        if (i > 0 && ImGui::GetContentRegionAvail().x > font * 10) ImGui::SameLine(0, font);
        ImGui::ColorButton("##colour", ImColor(kWaveColors[i]), ImGuiColorEditFlags_NoTooltip, ImVec2(font, font));
        ImGui::SameLine();
        ImGui::SetNextItemWidth(font * 7);
        ImGui::SliderInt("##dim", &s.wave_dims[i], 0, d - 1, "dim %d");
        ImGui::PopID();
    }
}

// The wave's name for the legend: its formula and period where it has one.
std::string wave_name(const Trace& t, int k) {
    std::string name = "dim " + std::to_string(k);
    if (t.inputs.pe != Positional::Sinusoidal) return name;
    const double period = sinusoidal_period(k, t.inputs.d_model);
    return name + (k % 2 == 0 ? ": sin" : ": cos") + ", period " + num(period);
}

struct PlotArea {
    ImVec2 p0, p1;
    int n = 1;
    double range = 1.0;
    float x(int p) const { return n == 1 ? (p0.x + p1.x) / 2 : p0.x + (p1.x - p0.x) * p / (n - 1); }
    float y(double v) const { return (p0.y + p1.y) / 2 - static_cast<float>(v / range) * (p1.y - p0.y) / 2; }
    int position_at(float mx) const {
        return n == 1 ? 0 : std::clamp(static_cast<int>(std::lround((mx - p0.x) / (p1.x - p0.x) * (n - 1))), 0, n - 1);
    }
};

void draw_plot_frame(const PlotArea& a, int selected) {
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const float font = ImGui::GetFontSize();
    const ImU32 grid = ImGui::GetColorU32(ImGuiCol_TextDisabled), text = ImGui::GetColorU32(ImGuiCol_TextDisabled);
    dl->AddRectFilled(ImVec2(a.p0.x - 4, a.p0.y), ImVec2(a.p1.x + 4, a.p1.y), ImGui::GetColorU32(ImGuiCol_FrameBg));
    dl->AddLine(ImVec2(a.p0.x, a.y(0)), ImVec2(a.p1.x, a.y(0)), grid);
    const std::string top = num(a.range), bottom = num(-a.range);
    dl->AddText(ImVec2(a.p0.x - 8 - ImGui::CalcTextSize(top.c_str()).x, a.p0.y), text, top.c_str());
    dl->AddText(ImVec2(a.p0.x - 8 - ImGui::CalcTextSize("0").x, a.y(0) - font / 2), text, "0");
    dl->AddText(ImVec2(a.p0.x - 8 - ImGui::CalcTextSize(bottom.c_str()).x, a.p1.y - font), text, bottom.c_str());
    const float spacing = a.n > 1 ? (a.p1.x - a.p0.x) / (a.n - 1) : 1.0f;
    const int every = std::max(1, static_cast<int>(std::ceil(font * 2.5f / spacing)));
    for (int p = 0; p < a.n; p += every) {
        const std::string label = std::to_string(p);
        dl->AddText(ImVec2(a.x(p) - ImGui::CalcTextSize(label.c_str()).x / 2, a.p1.y + 2), text, label.c_str());
    }
    if (selected >= 0 && selected < a.n) dl->AddLine(ImVec2(a.x(selected), a.p0.y), ImVec2(a.x(selected), a.p1.y), kAccent, 2.0f);
}

// Below the plot, so that it never hides a wave.
void draw_legend(const Trace& t, const PositionalPanelState& s) {
    const float font = ImGui::GetFontSize();
    for (int i = 0; i < 4; ++i) {
        const std::string label = wave_name(t, s.wave_dims[i]);
        if (i > 0 && ImGui::GetContentRegionAvail().x > ImGui::CalcTextSize(label.c_str()).x + font * 4)
            ImGui::SameLine(0, font * 1.5f);
        const ImVec2 p = ImGui::GetCursorScreenPos();
        ImGui::GetWindowDrawList()->AddLine(ImVec2(p.x, p.y + font / 2), ImVec2(p.x + font * 1.5f, p.y + font / 2),
                                            kWaveColors[i], 3.0f);
        ImGui::Dummy(ImVec2(font * 1.5f, font));
        ImGui::SameLine();
        ImGui::TextUnformatted(label.c_str());
    }
}

void draw_wave_lines(const Matrix& pe, const PositionalPanelState& s, const PlotArea& a) {
    ImDrawList* dl = ImGui::GetWindowDrawList();
    std::vector<ImVec2> points(a.n);
    for (int i = 0; i < 4; ++i) {
        for (int p = 0; p < a.n; ++p) points[p] = ImVec2(a.x(p), a.y(pe(p, s.wave_dims[i])));
        dl->AddPolyline(points.data(), a.n, kWaveColors[i], 0, 2.0f);
        if ((a.p1.x - a.p0.x) / a.n >= 8)  // dots where positions are far enough apart to tell apart
            for (const ImVec2& q : points) dl->AddCircleFilled(q, 2.5f, kWaveColors[i]);
    }
}

void wave_tooltip(const Trace& t, const PositionalPanelState& s, int p) {
    std::string text = "position " + std::to_string(p) + ", token '" + t.query.tokens[p] + "'";
    for (int k : s.wave_dims) text += "\nPE[" + std::to_string(p) + "," + std::to_string(k) + "] = " + num(t.query.positional(p, k));
    ImGui::SetTooltip("%s\nclick: select this query", text.c_str());
}

void draw_waves(const Trace& t, const Selection& sel, PositionalPanelState& s, float height, Edits& out) {
    const Matrix& pe = t.query.positional;
    choose_default_dims(s, t.inputs.d_model);
    for (int& k : s.wave_dims) k = std::clamp(k, 0, t.inputs.d_model - 1);
    wave_controls(s, t.inputs.d_model);
    const float font = ImGui::GetFontSize();
    PlotArea a;
    a.n = static_cast<int>(pe.rows());
    a.range = 0.0;
    for (int k : s.wave_dims) a.range = std::max(a.range, pe.col(k).cwiseAbs().maxCoeff());
    a.range = a.range > 0 ? a.range * 1.1 : 1.0;
    const ImVec2 origin = ImGui::GetCursorScreenPos();
    const float plot_h = std::max(height - font * 6, font * 6);
    const ImVec2 size(ImGui::GetContentRegionAvail().x, plot_h + font + 4);
    a.p0 = ImVec2(origin.x + font * 3.5f, origin.y + 4);
    a.p1 = ImVec2(origin.x + size.x - 8, origin.y + plot_h);
    ImGui::InvisibleButton("waves", size);
    const bool hovered = ImGui::IsItemHovered();
    draw_plot_frame(a, sel.query);
    draw_wave_lines(pe, s, a);
    const bool clicked = ImGui::IsItemClicked(ImGuiMouseButton_Left);
    if (hovered) {
        const int p = a.position_at(ImGui::GetIO().MousePos.x);
        ImGui::GetWindowDrawList()->AddLine(ImVec2(a.x(p), a.p0.y), ImVec2(a.x(p), a.p1.y),
                                            ImGui::GetColorU32(ImGuiCol_Text, 0.5f));
        wave_tooltip(t, s, p);
        if (clicked) out.query = p;
    }
    draw_legend(t, s);
    ImGui::TextDisabled("x: position, y: the value added to that column of every token's embedding");
}

void draw_similarity(const Trace& t, const Selection& sel, PositionalPanelState& s,
                     const std::vector<std::string>& labels, float height, Edits& out) {
    ImGui::TextWrapped("PE PE^T (%d x %d): %s", t.n(), t.n(),
                       t.inputs.pe == Positional::Sinusoidal
                           ? "PE[i] . PE[j] depends only on i - j: bands parallel to the diagonal, fading with distance."
                           : "how alike two positions' encodings are. Untrained learned vectors are nearly orthogonal: "
                             "only the diagonal stands out.");
    const Matrix& sim = t.position_similarity;
    if (sim.size() == 0) {
        ImGui::TextDisabled("This trace has no position similarity matrix.");
        return;
    }
    HeatmapStyle style = diverging_style(sim);
    style.row_labels = &labels;  // columns are the same positions; the tooltip names both
    style.highlight_row = sel.query;
    style.max_height = height - ImGui::GetFontSize() * 6;
    const HeatmapHit hit = s.similarity.draw("similarity", sim, style);
    draw_colorbar(style.map, style.lo, style.hi);
    if (!hit.hovered()) return;
    ImGui::SetTooltip("PE[%d] . PE[%d] = %s   (i - j = %d)\nclick: select query %d", hit.row, hit.col,
                      num(sim(hit.row, hit.col)).c_str(), hit.row - hit.col, hit.row);
    if (hit.clicked) out.query = hit.row;
}

// Side by side: the encoding is wide (d_model columns), the similarity square (n x n).
void draw_encoding_and_similarity(const Trace& t, const Selection& sel, PositionalPanelState& s,
                                  const std::vector<std::string>& labels, float height, Edits& out) {
    if (!ImGui::BeginTable("encoding_similarity", 2, ImGuiTableFlags_SizingStretchProp)) return;
    ImGui::TableSetupColumn("encoding", ImGuiTableColumnFlags_WidthStretch, 0.62f);
    ImGui::TableSetupColumn("similarity", ImGuiTableColumnFlags_WidthStretch, 0.38f);
    ImGui::TableNextColumn();
    draw_encoding(t, sel, s, labels, height, out);
    ImGui::TableNextColumn();
    draw_similarity(t, sel, s, labels, height, out);
    ImGui::EndTable();
}

const Matrix& displayed_angles(const Trace& t, PositionalPanelState& s) {
    if (!s.wrap_angles) return t.rope_angles;
    s.wrapped_angles = t.rope_angles.unaryExpr([](double a) { return std::fmod(a, 2 * kPi); });
    return s.wrapped_angles;
}

void draw_rope(const Trace& t, const Selection& sel, PositionalPanelState& s, const std::vector<std::string>& labels,
               float height, Edits& out) {
    ImGui::TextWrapped("Pair i of q and k (dimensions 2i and 2i+1 of every head) rotates by angle[pos, i] = pos * "
                       "10000^(-2i/%d). Rotating q by angle[i] and k by angle[j] makes q . k depend on i - j only: "
                       "early pairs turn fast (fine position), late pairs slowly (coarse).",
                       t.d_head);
    if (t.rope_angles.size() == 0) {
        ImGui::TextDisabled("No RoPE angles: d_head %d has no pair of dimensions to rotate, so RoPE changes nothing.", t.d_head);
        return;
    }
    ImGui::Checkbox("modulo 2 pi (the rotation actually applied)", &s.wrap_angles);
    const Matrix& angles = displayed_angles(t, s);
    HeatmapStyle style;  // angles are non-negative: a sequential map from 0
    style.hi = s.wrap_angles ? 2 * kPi : std::max(angles.maxCoeff(), 1e-9);
    style.row_labels = &labels;
    style.highlight_row = sel.query;
    style.max_height = height - ImGui::GetFontSize() * 7;
    const HeatmapHit hit = s.rope.draw("rope", angles, style);
    draw_colorbar(style.map, style.lo, style.hi);
    ImGui::TextDisabled("rows: positions, columns: pairs i = 0..%d (radians)", static_cast<int>(angles.cols()) - 1);
    if (!hit.hovered()) return;
    const double a = t.rope_angles(hit.row, hit.col), rate = rope_rate(hit.col, t.d_head);
    ImGui::SetTooltip("angle[%d, %d] = %d * 10000^(-%d/%d) = %d * %s = %s rad (%s turns)\nclick: select query %d",
                      hit.row, hit.col, hit.row, 2 * hit.col, t.d_head, hit.row, num(rate).c_str(), num(a).c_str(),
                      num(a / (2 * kPi)).c_str(), hit.row);
    if (hit.clicked) out.query = hit.row;
}

// Vertical bars, one per value, around a zero line; returns the hovered bar or -1.
// The bars are one item: the caller checks ImGui::IsItemClicked.
int draw_bars(const char* id, const std::vector<double>& values, int selected, float height) {
    const float font = ImGui::GetFontSize();
    const int count = static_cast<int>(values.size());
    double range = 1e-12;
    bool negative = false;
    for (double v : values) range = std::max(range, std::abs(v)), negative = negative || v < 0;
    const float bar = std::min(font * 3, ImGui::GetContentRegionAvail().x / std::max(count, 1));
    const ImVec2 p0 = ImGui::GetCursorScreenPos();
    const float label_h = font + 2, h = std::max(height - label_h * 2, font * 2);
    ImGui::InvisibleButton(id, ImVec2(bar * count, h + label_h * 2));
    const int hovered = ImGui::IsItemHovered()
                            ? std::clamp(static_cast<int>((ImGui::GetIO().MousePos.x - p0.x) / bar), 0, count - 1)
                            : -1;
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const float top = p0.y + label_h, zero = negative ? top + h / 2 : top + h;
    const float scale = static_cast<float>((negative ? h / 2 : h) / range);
    for (int i = 0; i < count; ++i) {
        const float x0 = p0.x + bar * i + 1, x1 = p0.x + bar * (i + 1) - 1, y = zero - static_cast<float>(values[i]) * scale;
        const ImU32 c = i == selected ? kAccent : ImGui::GetColorU32(i == hovered ? ImGuiCol_PlotHistogramHovered : ImGuiCol_PlotHistogram);
        dl->AddRectFilled(ImVec2(x0, std::min(y, zero)), ImVec2(x1, std::max(y, zero)), c);
        const std::string index = std::to_string(i), value = num(values[i]).substr(0, 5);
        const ImU32 text = ImGui::GetColorU32(ImGuiCol_Text);
        if (ImGui::CalcTextSize(index.c_str()).x < bar)
            dl->AddText(ImVec2((x0 + x1 - ImGui::CalcTextSize(index.c_str()).x) / 2, top + h + 2), text, index.c_str());
        if (ImGui::CalcTextSize(value.c_str()).x < bar)
            dl->AddText(ImVec2((x0 + x1 - ImGui::CalcTextSize(value.c_str()).x) / 2, p0.y), text, value.c_str());
    }
    dl->AddLine(ImVec2(p0.x, zero), ImVec2(p0.x + bar * count, zero), ImGui::GetColorU32(ImGuiCol_TextDisabled));
    return hovered;
}

std::optional<int> head_slider(const Trace& t, int head) {
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 8);
    if (t.inputs.heads > 1 && ImGui::SliderInt("head", &head, 0, t.inputs.heads - 1)) return head;
    return std::nullopt;
}

// The last thing in the panel: it takes the height left, but stays legible.
void draw_bias(const Trace& t, const LayerTrace& layer, const Selection& sel, PositionalPanelState& s, Edits& out,
               std::string (*explain)(const Trace&, const LayerTrace&, int, int, int)) {
    const Matrix& bias = layer.heads[sel.head].bias;
    if (bias.size() == 0) {
        ImGui::TextDisabled("Head %d has no bias in this trace.", sel.head);
        return;
    }
    HeatmapStyle style = diverging_style(bias);
    style.row_labels = &t.query.tokens;
    style.col_labels = &t.keys.tokens;
    style.allowed = &t.allowed;  // a bias on a masked key never reaches the weights
    style.highlight_row = sel.query;
    const float font = ImGui::GetFontSize();
    style.max_height = std::max(ImGui::GetContentRegionAvail().y - font * 2.5f, font * 14);
    const HeatmapHit hit = s.bias.draw("bias", bias, style);
    draw_colorbar(style.map, style.lo, style.hi, !t.allowed.all());
    if (!hit.hovered()) return;
    ImGui::SetTooltip("query '%s' -> key '%s'%s\n%s\nclick: select query %d", t.query.tokens[hit.row].c_str(),
                      t.keys.tokens[hit.col].c_str(), t.allowed(hit.row, hit.col) ? "" : " (masked)",
                      explain(t, layer, sel.head, hit.row, hit.col).c_str(), hit.row);
    if (hit.clicked) out.query = hit.row;
}

std::string alibi_cell(const Trace&, const LayerTrace& layer, int h, int i, int j) {
    return "bias[" + std::to_string(i) + "," + std::to_string(j) + "] = -" + num(layer.alibi_slopes[h]) + " * |" +
           std::to_string(i) + " - " + std::to_string(j) + "| = " + num(layer.heads[h].bias(i, j));
}

void draw_alibi(const Trace& t, const Selection& sel, PositionalPanelState& s, Edits& out) {
    const LayerTrace& layer = t.layer(sel.layer);
    ImGui::TextWrapped("slope_h = 2^(-8(h+1)/H) for H a power of two (otherwise interleaved from the next one). "
                       "Steep heads look only nearby; gentle heads see far.");
    if (layer.alibi_slopes.empty()) {
        ImGui::TextDisabled("This trace has no ALiBi slopes.");
        return;
    }
    const float font = ImGui::GetFontSize();
    const int hovered = draw_bars("slopes", layer.alibi_slopes, sel.head, font * 6);
    if (hovered >= 0) {
        ImGui::SetTooltip("head %d: slope %s\nclick: select head %d", hovered, num(layer.alibi_slopes[hovered]).c_str(), hovered);
        if (ImGui::IsItemClicked(ImGuiMouseButton_Left)) out.head = hovered;
    }
    ImGui::TextDisabled("slopes per head (click one to select it)");
    if (const std::optional<int> h = head_slider(t, sel.head)) out.head = *h;
    ImGui::SameLine();
    ImGui::Text("bias[i, j] = -%s * |i - j|", num(layer.alibi_slopes[sel.head]).c_str());
    draw_bias(t, layer, sel, s, out, alibi_cell);
}

int relative_bucket(const Trace& t, int i, int j) { return t5_bucket(j - i, !is_causal(t.inputs.mask)); }

std::string relative_cell(const Trace& t, const LayerTrace& layer, int h, int i, int j) {
    const int b = relative_bucket(t, i, j);
    return "bias[" + std::to_string(i) + "," + std::to_string(j) + "] = table[" + std::to_string(h) + ", bucket(j - i = " +
           std::to_string(j - i) + ")] = table[" + std::to_string(h) + ", " + std::to_string(b) +
           "] = " + num(layer.heads[h].bias(i, j));
}

// The offsets j - i that land in `bucket`, written as a range; the last buckets are open-ended.
std::string bucket_offsets(int bucket, bool bidirectional) {
    int lo = 0, hi = 0, found = 0;
    for (int off = -kMaxTokens; off <= kMaxTokens; ++off)
        if (t5_bucket(off, bidirectional) == bucket) {
            if (found++ == 0) lo = off;
            hi = off;
        }
    if (found == 0) return "no offset (unused in this direction)";
    const std::string a = lo == -kMaxTokens ? "..." : std::to_string(lo), b = hi == kMaxTokens ? "..." : std::to_string(hi);
    return lo == hi ? "j - i = " + a : "j - i in " + a + " .. " + b;
}

void draw_relative(const Trace& t, const Selection& sel, PositionalPanelState& s, Edits& out) {
    const LayerTrace& layer = t.layer(sel.layer);
    const bool bidirectional = !is_causal(t.inputs.mask);
    ImGui::TextWrapped("%s", bidirectional ? "Buckets 0-15 hold keys at or before the query (j - i <= 0), 16-31 keys "
                                             "after it."
                                           : "Causal: all 32 buckets look back (j - i <= 0); later keys are masked.");
    if (layer.relative_table.size() == 0) {
        ImGui::TextDisabled("This trace has no relative bias table.");
        return;
    }
    if (const std::optional<int> h = head_slider(t, sel.head)) out.head = *h;
    ImGui::SameLine();
    ImGui::TextUnformatted("its row of the table: one scalar per bucket");
    const float font = ImGui::GetFontSize();
    const Eigen::RowVectorXd row = layer.relative_table.row(sel.head);
    const std::vector<double> values(row.data(), row.data() + row.size());
    const int hovered = draw_bars("buckets", values, -1, font * 7);
    if (hovered >= 0)
        ImGui::SetTooltip("bucket %d: %s\n%s", hovered, num(values[hovered]).c_str(),
                          bucket_offsets(hovered, bidirectional).c_str());
    ImGui::Text("head %d's bias: bias[i, j] = table[%d, bucket(j - i)]", sel.head, sel.head);
    draw_bias(t, layer, sel, s, out, relative_cell);
}

// For encodings that add nothing to the input: what they do instead, in place of the sections.
void draw_empty_additive(const Trace& t) {
    if (t.inputs.pe == Positional::None)
        ImGui::TextDisabled("E.g. in \"dog bites man\" and \"man bites dog\" each word gets the same output.");
    if (t.inputs.pe == Positional::None || t.inputs.pe == Positional::Rope) return;  // their summaries say the rest
    ImGui::TextDisabled("The additive encoding PE is zero for %s, so there are no waves and no PE PE^T to show.",
                        name(t.inputs.pe));
}

bool section(const char* title) { return ImGui::CollapsingHeader(title, ImGuiTreeNodeFlags_DefaultOpen); }

}  // namespace

Edits draw_positional_panel(const Trace& t, const Selection& sel, PositionalPanelState& s) {
    Edits out;
    ImGui::TextWrapped("%s", summary(t.inputs.pe));
    const std::vector<std::string> labels = position_labels(t.query.tokens);
    const bool additive = !t.query.positional.isZero(0.0);  // edits can make any encoding additive
    const bool per_head = t.inputs.pe == Positional::Alibi || t.inputs.pe == Positional::Relative;
    const int sections = (additive ? 2 : 0) + (t.inputs.pe == Positional::Rope ? 1 : 0) + (per_head ? 1 : 0);
    const float height = section_height(ImGui::GetContentRegionAvail().y, sections);
    if (additive) {
        if (section("Encoding PE and the similarity of positions PE PE^T")) draw_encoding_and_similarity(t, sel, s, labels, height, out);
        if (section("Waves: columns of PE over position")) draw_waves(t, sel, s, height, out);
    } else {
        draw_empty_additive(t);
    }
    if (t.inputs.pe == Positional::Rope && section("RoPE rotation angles (n x d_head/2)"))
        draw_rope(t, sel, s, labels, height, out);
    if (t.inputs.pe == Positional::Alibi && section("ALiBi: slopes and the selected head's bias"))
        draw_alibi(t, sel, s, out);
    if (t.inputs.pe == Positional::Relative && section("Relative bias: bucket table and the selected head's bias"))
        draw_relative(t, sel, s, out);
    return out;
}

}  // namespace attnscope::gui
