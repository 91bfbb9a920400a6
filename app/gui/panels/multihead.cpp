// Multi-head panel: Q's d_model columns split into H blocks of d_head, a grid of every
// head's attention weights, the concatenation and W_O, and token-to-token lines.
// A head picked in any section is the one selected everywhere in the app.
#include "gui/panels/multihead.hpp"

#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>

#include "gui/formulas.hpp"

namespace attnscope::gui {
namespace {

constexpr ImU32 kAccent = IM_COL32(255, 80, 40, 255);  // the heatmap's selected-row colour
const ImVec4 kAccentButton(0.80f, 0.32f, 0.12f, 1.0f);
constexpr const char* kSectionTitles[kMultiheadSections] = {"Split into heads", "Heads: every head's weights",
                                                            "Concat and output projection", "Token lines"};
constexpr const char* kSplitNames[3] = {"Q", "K", "V"};
constexpr float kMinSectionLines = 18;  // a section's least height, in font heights; the window scrolls beyond

std::optional<int> section_for_step(Step s) {
    switch (s) {
        case Step::SplitHeads: return static_cast<int>(MultiheadSection::Split);
        case Step::WeightValues: return static_cast<int>(MultiheadSection::Heads);
        case Step::Concat:
        case Step::OutputProjection: return static_cast<int>(MultiheadSection::Concat);
        default: return std::nullopt;
    }
}

float widest_token(const std::vector<std::string>& tokens) {
    float w = 0.0f;
    for (const std::string& s : tokens) w = std::max(w, ImGui::CalcTextSize(s.c_str()).x);
    return w;
}

// On a step change, opens the step's section; the others stay open only if they all fit.
// Returns true when the sections were rearranged, so the focused one can be scrolled to.
bool arrange_sections(const Selection& sel, MultiheadPanelState& s, float avail_y) {
    if (!s.follow_step || s.last_step == index_of(sel.step)) return false;
    s.last_step = index_of(sel.step);
    const std::optional<int> focus = section_for_step(sel.step);
    const bool room = avail_y >= kMultiheadSections * (kMinSectionLines + 2) * ImGui::GetFontSize();
    for (int i = 0; i < kMultiheadSections; ++i) s.open[i] = !focus || room || i == *focus;
    return focus.has_value();
}

// The open sections share the window's height, but never shrink below legibility.
float section_height(const MultiheadPanelState& s, float avail_y) {
    const int open = static_cast<int>(std::count(std::begin(s.open), std::end(s.open), true));
    const float headers = kMultiheadSections * ImGui::GetFrameHeightWithSpacing();
    return std::max((avail_y - headers) / std::max(open, 1), ImGui::GetFontSize() * kMinSectionLines);
}

// A row of head buttons, wrapping at the window's edge; returns the clicked head.
std::optional<int> head_buttons(int heads, int selected) {
    std::optional<int> clicked;
    ImGui::AlignTextToFramePadding();
    ImGui::TextUnformatted("head");
    const float right = ImGui::GetWindowPos().x + ImGui::GetWindowContentRegionMax().x;
    for (int h = 0; h < heads; ++h) {
        const std::string label = std::to_string(h);
        const float w = ImGui::CalcTextSize(label.c_str()).x + ImGui::GetStyle().FramePadding.x * 2;
        if (ImGui::GetItemRectMax().x + ImGui::GetStyle().ItemSpacing.x + w < right) ImGui::SameLine();
        if (h == selected) ImGui::PushStyleColor(ImGuiCol_Button, kAccentButton);
        if (ImGui::Button(label.c_str())) clicked = h;
        if (h == selected) ImGui::PopStyleColor();
    }
    return clicked;
}

// Names over the column blocks of a matrix whose cells start at x0 with width `cell`;
// returns the clicked head. Laid out for the heatmap's unzoomed view.
std::optional<int> head_strip(int heads, int d_head, float x0, float cell, int selected) {
    const ImVec2 p = ImGui::GetCursorScreenPos();
    const float font = ImGui::GetFontSize(), block = cell * d_head, h = font + 4;
    ImGui::SetCursorScreenPos(ImVec2(x0, p.y));
    ImGui::InvisibleButton("strip", ImVec2(std::max(block * heads, 1.0f), h));
    const bool hovered = ImGui::IsItemHovered();
    const int under = std::clamp(static_cast<int>((ImGui::GetIO().MousePos.x - x0) / block), 0, heads - 1);
    ImDrawList* dl = ImGui::GetWindowDrawList();
    for (int k = 0; k < heads; ++k) {
        const ImVec2 a(x0 + block * k + 1, p.y), b(x0 + block * (k + 1) - 1, p.y + h);
        const ImU32 fill = k == selected ? kAccent : ImGui::GetColorU32(hovered && k == under ? ImGuiCol_HeaderHovered : ImGuiCol_Header);
        dl->AddRectFilled(a, b, fill, 2.0f);
        std::string label = "head " + std::to_string(k);
        if (ImGui::CalcTextSize(label.c_str()).x > block - 4) label = std::to_string(k);
        const float w = ImGui::CalcTextSize(label.c_str()).x;
        const ImU32 ink = k == selected ? IM_COL32(255, 255, 255, 255) : ImGui::GetColorU32(ImGuiCol_Text);
        if (w <= block - 2) dl->AddText(ImVec2((a.x + b.x - w) / 2, p.y + 2), ink, label.c_str());
    }
    if (hovered) ImGui::SetTooltip("head %d: columns %d..%d\nclick: select head %d", under, under * d_head,
                                   (under + 1) * d_head - 1, under);
    std::optional<int> clicked;
    if (hovered && ImGui::IsItemClicked(ImGuiMouseButton_Left)) clicked = under;
    ImGui::SetCursorScreenPos(ImVec2(p.x, p.y + h + 2));
    return clicked;
}

void draw_split(const Trace& t, const Selection& sel, MultiheadPanelState& s, float height, Edits& out) {
    const LayerTrace& layer = t.layer(sel.layer);
    if (const std::optional<int> h = head_buttons(t.inputs.heads, sel.head)) out.head = *h;
    for (int k = 0; k < 3; ++k) {
        ImGui::SameLine(0, k == 0 ? ImGui::GetFontSize() * 1.5f : -1.0f);
        ImGui::RadioButton(kSplitNames[k], &s.split_matrix, k);
    }
    const bool is_q = s.split_matrix == 0;
    const Matrix& m = is_q ? layer.Q : s.split_matrix == 1 ? layer.K : layer.V;
    const char* name = kSplitNames[s.split_matrix];
    const int d = t.d_head, h = sel.head;
    const int rows = static_cast<int>(m.rows()), cols = static_cast<int>(m.cols());
    if (t.inputs.heads == 1)
        ImGui::TextWrapped("One head: nothing to split, %s_0 is all of %s (%d x %d). Try 4 or 8 heads.", name, name, rows,
                           cols);
    else
        ImGui::TextWrapped("%s (%d x %d) splits into %d blocks of d_head = %d columns; head %d owns columns %d..%d: "
                           "%s_%d (%d x %d)",
                           name, rows, cols, t.inputs.heads, d, h, h * d, (h + 1) * d - 1, name, h, rows, d);

    HeatmapStyle style = diverging_style(m);
    style.row_labels = is_q ? &t.query.tokens : &t.keys.tokens;
    style.highlight_row = is_q ? sel.query : -1;
    style.column_groups = d;
    style.highlight_cols_begin = h * d, style.highlight_cols_end = (h + 1) * d;
    style.max_height = height - ImGui::GetFontSize() * 8;
    // The cell size the heatmap would choose, fixed so that the head strip lines up with its blocks.
    const float label_w = std::min(widest_token(*style.row_labels), ImGui::GetFontSize() * 8) + 6;
    style.max_cell = std::max(std::min({28.0f, (ImGui::GetContentRegionAvail().x - label_w) / m.cols(),
                                        style.max_height / m.rows()}), 0.25f);
    if (const std::optional<int> clicked = head_strip(t.inputs.heads, d, ImGui::GetCursorScreenPos().x + label_w,
                                                      style.max_cell, h))
        out.head = *clicked;
    const HeatmapHit hit = s.split.draw("split", m, style);
    draw_colorbar(style.map, style.lo, style.hi);
    if (t.inputs.pe == Positional::Rope && s.split_matrix < 2)
        ImGui::TextDisabled("RoPE rotates each head's Q and K after this split; shown here before the rotation.");
    if (!hit.hovered()) return;
    const int head = hit.col / d;
    ImGui::SetTooltip("%s[%d,%d] = %s   token '%s'\ncolumn %d of %s_%d (head %d)\nclick: select head %d", name, hit.row,
                      hit.col, format_value(m(hit.row, hit.col)).c_str(), (*style.row_labels)[hit.row].c_str(),
                      hit.col % d, name, head, head, head);
    if (hit.clicked) {
        out.head = head;
        if (is_q) out.query = hit.row;
    }
}

// The column count that gives the heads' heatmaps the largest cells in width x height.
int grid_columns(int heads, int n, int m, float width, float height, float title_h) {
    int best = 1;
    float best_cell = 0.0f;
    for (int c = 1; c <= heads; ++c) {
        const int rows = (heads + c - 1) / c;
        const float cell = std::min(width / c / m, (height / rows - title_h) / n);
        if (cell > best_cell) best = c, best_cell = cell;
    }
    return best;
}

void draw_head_cell(const Trace& t, const LayerTrace& layer, const Selection& sel, MultiheadPanelState& s, int h, float max_h, bool labels,
                    Edits& out) {
    const bool selected = h == sel.head;
    const std::string title = "head " + std::to_string(h);
    const ImVec2 top_left = ImGui::GetCursorScreenPos();
    if (selected) ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(1.0f, 0.45f, 0.2f, 1.0f));
    if (ImGui::Selectable(title.c_str(), selected, 0, ImGui::CalcTextSize(title.c_str()))) out.head = h;
    if (selected) ImGui::PopStyleColor();
    HeatmapStyle style;  // weights: viridis on [0, 1], the same scale for every head
    style.row_labels = labels ? &t.query.tokens : nullptr;
    style.col_labels = labels ? &t.keys.tokens : nullptr;
    style.highlight_row = sel.query;
    style.max_height = max_h;
    color_weights(style, layer.heads[h].attention);
    const HeatmapHit hit = s.heads[h].draw(title.c_str(), layer.heads[h].attention, style);
    if (selected) {  // the heatmap ends with a zero-height item as wide as its cells and labels
        const ImVec2 bottom_right(ImGui::GetItemRectMax().x + 1, ImGui::GetItemRectMin().y - 2);
        ImGui::GetWindowDrawList()->AddRect(ImVec2(top_left.x - 1, top_left.y - 1), bottom_right, kAccent, 0.0f, 0, 2.0f);
    }
    if (!hit.hovered()) return;
    ImGui::SetTooltip("head %d\n%s\nclick: select head %d and query %d", h,
                      explain_cell(t, layer, CellStage::Weight, h, hit.row, hit.col).c_str(), h, hit.row);
    if (hit.clicked) out.head = h, out.query = hit.row;
}

void draw_heads(const Trace& t, const Selection& sel, MultiheadPanelState& s, float height, Edits& out) {
    const LayerTrace& layer = t.layer(sel.layer);
    const int heads = t.inputs.heads;
    if (static_cast<int>(s.heads.size()) != heads) s.heads.resize(heads);
    ImGui::TextWrapped("A_h = softmax(Q_h K_h^T / sqrt(%d)) for each head (%d), then O_h = A_h V_h. "
                       "Click a head to select it, a row to select its query.",
                       t.d_head, heads);
    const float font = ImGui::GetFontSize();
    const float title_h = ImGui::GetFrameHeightWithSpacing() + 6;
    const float width = ImGui::GetContentRegionAvail().x, grid_h = height - font * 5;
    const int cols = grid_columns(heads, t.n(), t.m(), width, grid_h, title_h);
    const int rows = (heads + cols - 1) / cols;
    const float cell_h = grid_h / rows - title_h;
    // Token labels only where the cells stay at least a line tall beside them.
    const bool labels = std::min((width / cols - font * 8) / t.m(), (cell_h - font * 6) / t.n()) >= font;
    if (ImGui::BeginTable("heads", cols, ImGuiTableFlags_SizingStretchSame)) {
        for (int h = 0; h < heads; ++h) {
            ImGui::TableNextColumn();
            ImGui::PushID(h);
            draw_head_cell(t, layer, sel, s, h, cell_h, labels, out);
            ImGui::PopID();
        }
        ImGui::EndTable();
    }
    draw_colorbar(Colormap::Viridis, 0.0, 1.0, !t.allowed.all());
}

void concat_tooltip(const Trace& t, const LayerTrace& layer, const HeatmapHit& hit, Edits& out) {
    const int head = hit.col / t.d_head;
    ImGui::SetTooltip("concat[%d,%d] = O_%d[%d,%d] = %s\n(head %d's output, token '%s')\nclick: select head %d", hit.row,
                      hit.col, head, hit.row, hit.col % t.d_head, format_value(layer.concat(hit.row, hit.col)).c_str(),
                      head, t.query.tokens[hit.row].c_str(), head);
    if (hit.clicked) out.head = head, out.query = hit.row;
}

void output_tooltip(const Trace& t, const LayerTrace& layer, const HeatmapHit& hit, Edits& out) {
    ImGui::SetTooltip("output[%d,%d] = concat row %d . W_O column %d = %s\ntoken '%s'; every head feeds every output "
                      "column",
                      hit.row, hit.col, hit.row, hit.col, format_value(layer.output(hit.row, hit.col)).c_str(),
                      t.query.tokens[hit.row].c_str());
    if (hit.clicked) out.query = hit.row;
}

void labelled_colorbar(const char* label, const HeatmapStyle& style) {
    ImGui::TextUnformatted(label);
    draw_colorbar(style.map, style.lo, style.hi);
}

struct ProductStyles {
    HeatmapStyle concat, w_o, output;
};

ProductStyles product_styles(const Trace& t, const Selection& sel) {
    const LayerTrace& layer = t.layer(sel.layer);
    ProductStyles p{diverging_style(layer.concat), diverging_style(layer.W_O), diverging_style(layer.output)};
    p.concat.row_labels = &t.query.tokens;
    p.concat.highlight_row = p.output.highlight_row = sel.query;
    p.concat.column_groups = t.d_head;
    p.concat.highlight_cols_begin = sel.head * t.d_head, p.concat.highlight_cols_end = (sel.head + 1) * t.d_head;
    return p;
}

void draw_w_o(const Trace& t, const LayerTrace& layer, MultiheadPanelState& s, const HeatmapStyle& style) {
    ImGui::Text("W_O (%d x %d)", t.inputs.d_model, t.inputs.d_model);
    const HeatmapHit hit = s.w_o.draw("W_O", layer.W_O, style);
    if (hit.hovered())
        ImGui::SetTooltip("W_O[%d,%d] = %s\nrow %d multiplies concat column %d, which comes from head %d", hit.row,
                          hit.col, format_value(layer.W_O(hit.row, hit.col)).c_str(), hit.row, hit.row, hit.row / t.d_head);
}

void draw_concat_matrix(const Trace& t, const LayerTrace& layer, MultiheadPanelState& s, const HeatmapStyle& style, Edits& out) {
    ImGui::Text("concat (%d x %d)", t.n(), t.inputs.d_model);
    const HeatmapHit hit = s.concat.draw("concat", layer.concat, style);
    if (hit.hovered()) concat_tooltip(t, layer, hit, out);
}

void draw_output_matrix(const Trace& t, const LayerTrace& layer, MultiheadPanelState& s, const HeatmapStyle& style, Edits& out) {
    ImGui::Text("output (%d x %d)", t.n(), t.inputs.d_model);
    const HeatmapHit hit = s.output.draw("output", layer.output, style);
    if (hit.hovered()) output_tooltip(t, layer, hit, out);
}

void product_explanation(const Trace& t, const Selection& sel) {
    ImGui::TextUnformatted("output = concat W_O");
    ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
    ImGui::TextWrapped("concat = [O_0 | ... | O_%d]: the head outputs side by side (outlined: head %d). "
                       "output[i, c] = concat row i . W_O column c, so every head feeds every output column.",
                       t.inputs.heads - 1, sel.head);
    ImGui::PopStyleColor();
}

// As the product is written on paper: W_O above output, concat left of output, with equal
// cells, so that output's rows line up with concat's and its columns with W_O's.
void draw_product_layout(const Trace& t, const Selection& sel, MultiheadPanelState& s, ProductStyles& p, float cell,
                         float label_w, Edits& out) {
    const LayerTrace& layer = t.layer(sel.layer);
    const float grid = cell * t.inputs.d_model;
    p.concat.max_cell = p.w_o.max_cell = p.output.max_cell = cell;
    if (!ImGui::BeginTable("product", 2, ImGuiTableFlags_SizingFixedFit)) return;
    ImGui::TableSetupColumn("concat", ImGuiTableColumnFlags_WidthFixed, label_w + grid + 1);
    ImGui::TableSetupColumn("output", ImGuiTableColumnFlags_WidthFixed, grid + 1);
    ImGui::TableNextRow();
    ImGui::TableNextColumn();
    ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + label_w + grid);
    product_explanation(t, sel);
    ImGui::PopTextWrapPos();
    labelled_colorbar("concat", p.concat);
    labelled_colorbar("W_O", p.w_o);
    labelled_colorbar("output", p.output);
    ImGui::TableNextColumn();
    draw_w_o(t, layer, s, p.w_o);
    ImGui::TableNextRow();
    ImGui::TableNextColumn();
    draw_concat_matrix(t, layer, s, p.concat, out);
    ImGui::TableNextColumn();
    draw_output_matrix(t, layer, s, p.output, out);
    ImGui::EndTable();
}

// Where the product layout would make concat's rows too thin: concat | W_O | output in a row,
// concat and output with equal cells, W_O on its own (smaller) scale.
void draw_compact_layout(const Trace& t, const Selection& sel, MultiheadPanelState& s, ProductStyles& p,
                         float heatmap_h, float width, float label_w, Edits& out) {
    const LayerTrace& layer = t.layer(sel.layer);
    const int d = t.inputs.d_model;
    const float w_o_cell = std::min(heatmap_h / d, width / (5 * d));  // the rows of concat and output matter more
    const float w_o_w = std::max(w_o_cell * d, ImGui::CalcTextSize("W_O (0000 x 0000)").x);
    const float cell = std::min({28.0f, (width - w_o_w) / (2 * d), heatmap_h / t.n()});
    p.concat.max_cell = p.output.max_cell = cell;
    p.w_o.max_cell = w_o_cell;
    product_explanation(t, sel);
    if (!ImGui::BeginTable("compact", 3, ImGuiTableFlags_SizingFixedFit)) return;
    ImGui::TableSetupColumn("concat", ImGuiTableColumnFlags_WidthFixed, label_w + cell * d + 1);
    ImGui::TableSetupColumn("W_O", ImGuiTableColumnFlags_WidthFixed,  // wide enough for its title and scale
                            std::max(w_o_cell * d + 1, ImGui::CalcTextSize("W_O (0000 x 0000)").x));
    ImGui::TableSetupColumn("output", ImGuiTableColumnFlags_WidthFixed, cell * d + 1);
    ImGui::TableNextColumn();
    draw_concat_matrix(t, layer, s, p.concat, out);
    draw_colorbar(p.concat.map, p.concat.lo, p.concat.hi);
    ImGui::TableNextColumn();
    draw_w_o(t, layer, s, p.w_o);
    draw_colorbar(p.w_o.map, p.w_o.lo, p.w_o.hi);
    ImGui::TableNextColumn();
    draw_output_matrix(t, layer, s, p.output, out);
    draw_colorbar(p.output.map, p.output.lo, p.output.hi);
    ImGui::EndTable();
}

void draw_concat(const Trace& t, const Selection& sel, MultiheadPanelState& s, float height, Edits& out) {
    const float font = ImGui::GetFontSize();
    const int d = t.inputs.d_model, n = t.n();
    const float label_w = std::min(widest_token(t.query.tokens), font * 8) + 6;  // as the heatmap widget sizes labels
    const float width = ImGui::GetContentRegionAvail().x - label_w - ImGui::GetStyle().CellPadding.x * 6 - 3;
    const float product_cell = std::min({28.0f, width / (2 * d), (height - font * 4) / (d + n)});
    ProductStyles p = product_styles(t, sel);
    if (product_cell * std::min(n, 4) >= font * 2.5f)  // concat's rows still readable
        draw_product_layout(t, sel, s, p, product_cell, label_w, out);
    else
        draw_compact_layout(t, sel, s, p, height - font * 7, width, label_w, out);
}

// Token lines geometry: queries on the left, keys on the right, both spread over the same height.
struct LinesLayout {
    ImVec2 origin;
    float width = 0, height = 0, label_w = 0, weight_w = 0;
    float x_query = 0, x_key = 0;  // where lines start and end
    int n = 0, m = 0;
    float y_query(int i) const { return origin.y + height * (i + 0.5f) / n; }
    float y_key(int j) const { return origin.y + height * (j + 0.5f) / m; }
    int query_at(float y) const { return std::clamp(static_cast<int>((y - origin.y) / height * n), 0, n - 1); }
    int key_at(float y) const { return std::clamp(static_cast<int>((y - origin.y) / height * m), 0, m - 1); }
};

LinesLayout lines_layout(const Trace& t, float height) {
    LinesLayout L;
    const float font = ImGui::GetFontSize();
    L.n = t.n(), L.m = t.m();
    L.origin = ImGui::GetCursorScreenPos();
    L.width = std::min(ImGui::GetContentRegionAvail().x, font * 48);  // wider only flattens the lines
    L.height = std::clamp(height, font * 6, font * 1.4f * std::max(L.n, L.m));
    L.label_w = std::min(std::max(widest_token(t.query.tokens), widest_token(t.keys.tokens)), L.width * 0.25f);
    L.weight_w = ImGui::CalcTextSize("0.000").x;
    L.x_query = L.origin.x + L.label_w + 10;
    L.x_key = L.origin.x + L.width - L.label_w - L.weight_w - 20;
    return L;
}

// Every k-th label where they would overlap, and the pinned ones (selected, hovered),
// whose close neighbours give way to them.
bool shows_label(int index, int count, float height, int pin_a, int pin_b) {
    if (index == pin_a || index == pin_b) return true;
    const float pitch = height / count, font = ImGui::GetFontSize();
    const int every = std::max(1, static_cast<int>(std::ceil(font / pitch)));
    auto near = [&](int pin) { return pin >= 0 && std::abs(index - pin) * pitch < font; };
    return index % every == 0 && !near(pin_a) && !near(pin_b);
}

void draw_line_labels(const Trace& t, const LinesLayout& L, int query, int hovered_query, int hovered_key) {
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const float font = ImGui::GetFontSize();
    const ImU32 text = ImGui::GetColorU32(ImGuiCol_Text), dim = ImGui::GetColorU32(ImGuiCol_TextDisabled);
    const float top = L.origin.y - font / 2, bottom = L.origin.y + L.height + font / 2;
    dl->PushClipRect(ImVec2(L.origin.x, top), ImVec2(L.x_query - 8, bottom), true);  // long tokens are cut
    for (int i = 0; i < L.n; ++i) {
        if (!shows_label(i, L.n, L.height, query, hovered_query)) continue;
        const float w = std::min(ImGui::CalcTextSize(t.query.tokens[i].c_str()).x, L.label_w);
        dl->AddText(ImVec2(L.x_query - 10 - w, L.y_query(i) - font / 2), i == query ? kAccent : text,
                    t.query.tokens[i].c_str());
    }
    dl->PopClipRect();
    dl->PushClipRect(ImVec2(L.x_key, top), ImVec2(L.x_key + 10 + L.label_w, bottom), true);
    for (int j = 0; j < L.m; ++j) {
        if (!shows_label(j, L.m, L.height, hovered_key, -1)) continue;
        dl->AddText(ImVec2(L.x_key + 10, L.y_key(j) - font / 2), t.allowed(query, j) ? text : dim,
                    t.keys.tokens[j].c_str());
    }
    dl->PopClipRect();
}

void draw_weight_lines(const LinesLayout& L, const Matrix& A, int query, bool all_queries) {
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const float font = ImGui::GetFontSize();
    const ImU32 faint = ImGui::GetColorU32(ImGuiCol_Text, 0.35f);
    if (all_queries)
        for (int i = 0; i < L.n; ++i) {
            if (i == query) continue;
            std::vector<int> order(L.m);
            for (int j = 0; j < L.m; ++j) order[j] = j;
            const int top = std::min(3, L.m);
            std::partial_sort(order.begin(), order.begin() + top, order.end(), [&](int a, int b) { return A(i, a) > A(i, b); });
            for (int k = 0; k < top; ++k)
                if (A(i, order[k]) > 0)
                    dl->AddLine(ImVec2(L.x_query, L.y_query(i)), ImVec2(L.x_key, L.y_key(order[k])), faint,
                                0.5f + 2.5f * static_cast<float>(A(i, order[k])));
        }
    for (int j = 0; j < L.m; ++j) {
        const float w = static_cast<float>(A(query, j));
        if (w <= 0.0f) continue;
        const ImU32 c = IM_COL32(255, 80, 40, static_cast<int>(40 + 215 * w));
        dl->AddLine(ImVec2(L.x_query, L.y_query(query)), ImVec2(L.x_key, L.y_key(j)), c, 1.0f + 8.0f * w);
        if (w >= 0.05f && L.height / L.m >= font * 0.9f)
            dl->AddText(ImVec2(L.origin.x + L.width - L.weight_w, L.y_key(j) - font / 2), ImGui::GetColorU32(ImGuiCol_Text),
                        format_value(w).substr(0, 5).c_str());
    }
    dl->AddCircleFilled(ImVec2(L.x_query, L.y_query(query)), 4.0f, kAccent);
}

void draw_lines(const Trace& t, const Selection& sel, MultiheadPanelState& s, float height, Edits& out) {
    const LayerTrace& layer = t.layer(sel.layer);
    const int query = std::clamp(sel.query, 0, t.n() - 1), h = sel.head;
    const Matrix& A = layer.heads[h].attention;
    ImGui::Checkbox("all queries (each one's 3 strongest keys, faint)", &s.all_queries);
    ImGui::TextWrapped("head %d, query '%s': a line to every %skey, width and opacity = weight. Hover a key for its "
                       "weight; click a query to select it.",
                       h, t.query.tokens[query].c_str(), t.cross ? "cross-attention " : "");
    const LinesLayout L = lines_layout(t, height - ImGui::GetFontSize() * 4);
    ImGui::InvisibleButton("lines", ImVec2(L.width, L.height));
    const bool hovered = ImGui::IsItemHovered();
    const ImVec2 mouse = ImGui::GetIO().MousePos;
    const bool on_keys = mouse.x > (L.x_query + L.x_key) / 2;
    const int hovered_key = hovered && on_keys ? L.key_at(mouse.y) : -1;
    const int hovered_query = hovered && !on_keys ? L.query_at(mouse.y) : -1;
    draw_weight_lines(L, A, query, s.all_queries);
    draw_line_labels(t, L, query, hovered_query, hovered_key);
    if (hovered_key >= 0)
        ImGui::SetTooltip("key '%s' (%d)\nweight from query '%s' (%d), head %d: %s", t.keys.tokens[hovered_key].c_str(),
                          hovered_key, t.query.tokens[query].c_str(), query, h,
                          t.allowed(query, hovered_key) ? format_value(A(query, hovered_key)).c_str() : "0 (masked)");
    if (hovered_query >= 0) {
        ImGui::SetTooltip("query '%s' (%d): click to select", t.query.tokens[hovered_query].c_str(), hovered_query);
        if (ImGui::IsItemClicked(ImGuiMouseButton_Left)) out.query = hovered_query;
    }
}

void draw_section(int i, const Trace& t, const Selection& sel, MultiheadPanelState& s, float height, Edits& out) {
    switch (static_cast<MultiheadSection>(i)) {
        case MultiheadSection::Split: draw_split(t, sel, s, height, out); break;
        case MultiheadSection::Heads: draw_heads(t, sel, s, height, out); break;
        case MultiheadSection::Concat: draw_concat(t, sel, s, height, out); break;
        case MultiheadSection::Lines: draw_lines(t, sel, s, height, out); break;
    }
}

}  // namespace

Edits draw_multihead_panel(const Trace& t, const Selection& sel, MultiheadPanelState& s) {
    Edits out;
    ImGui::Checkbox("follow step", &s.follow_step);
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("When the step changes, open its section (split, heads, concat).");
    ImGui::SameLine();
    ImGui::TextDisabled("%d head%s x d_head %d = d_model %d", t.inputs.heads, t.inputs.heads == 1 ? "" : "s", t.d_head,
                        t.inputs.d_model);
    const float avail = ImGui::GetContentRegionAvail().y;
    const bool rearranged = arrange_sections(sel, s, avail);
    const float height = section_height(s, avail);
    const std::optional<int> focus = section_for_step(sel.step);
    for (int i = 0; i < kMultiheadSections; ++i) {
        const bool focused = focus && *focus == i;
        if (focused) ImGui::PushStyleColor(ImGuiCol_Header, kAccentButton);
        ImGui::SetNextItemOpen(s.open[i], ImGuiCond_Always);
        s.open[i] = ImGui::CollapsingHeader(kSectionTitles[i]);
        if (focused) ImGui::PopStyleColor();
        if (focused && rearranged) ImGui::SetScrollHereY(0.0f);
        if (!s.open[i]) continue;
        ImGui::PushID(i);
        draw_section(i, t, sel, s, height, out);
        ImGui::PopID();
    }
    return out;
}

}  // namespace attnscope::gui
