// Compare panel: exact attention beside up to three efficient variants, per head.
// A grid of columns (exact, then each variant): the weights on one shared scale, what each
// keeps (its sparse pattern, or its low-rank factors), and variant - exact. Beside it the
// metrics table, the cost model and the exact weights' spectrum with each variant's rank
// (compare_metrics.cpp); above each column its header (compare_headers.cpp).
#include "gui/panels/compare.hpp"
#include "gui/panels/compare_grid.hpp"

#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "gui/widgets/flow.hpp"
#include "gui/widgets/plot.hpp"
#include "gui/widgets/tones.hpp"

namespace attnscope::gui {
namespace {

using namespace compare;

const Matrix& exact_weights(const Trace& t, int h) {
    return t.has_variant() ? t.layers[0].heads[h].variant->exact_attention : t.layers[0].heads[h].attention;
}

bool mixes_keys(VariantKind k) { return k == VariantKind::Linformer || k == VariantKind::Nystrom; }

std::vector<Column> make_columns(const Trace& exact, const std::vector<ComparedRun>& compared, int h) {
    std::vector<Column> cols;
    for (size_t i = 0; i < compared.size() && i < static_cast<size_t>(kMaxCompared); ++i) {
        Column c;
        c.index = static_cast<int>(i);
        c.run = &compared[i];
        const std::optional<Trace>& t = compared[i].trace;
        // A run from other inputs (between an edit and its re-run) has nothing to compare.
        if (t && t->n() == exact.n() && t->m() == exact.m() && h < static_cast<int>(t->layers[0].heads.size())) {
            c.trace = &*t;
            c.head = &t->layers[0].heads[h];
            c.difference = &c.head->variant->difference;
            if (is_sparse(c.run->variant.kind) && c.head->variant->pattern.size() > 0) c.pattern = c.head->variant->pattern.cast<double>();
        }
        cols.push_back(std::move(c));
    }
    return cols;
}

void widen(double& lo, double& hi, const Matrix& m) {
    for (int i = 0; i < m.size(); ++i)
        if (std::isfinite(m.data()[i])) lo = std::min(lo, m.data()[i]), hi = std::max(hi, m.data()[i]);
}

double max_abs(const Matrix& m) {
    double r = 0;
    for (int i = 0; i < m.size(); ++i)
        if (std::isfinite(m.data()[i])) r = std::max(r, std::abs(m.data()[i]));
    return r;
}

Scales shared_scales(const Matrix& exact, const std::vector<Column>& cols, bool unit) {
    Scales s;
    widen(s.lo, s.hi, exact);
    std::string outside;  // the variants that leave 0..1, with their ranges
    double r = 0;
    for (const Column& c : cols) {
        if (!c.head) continue;
        double a = INFINITY, b = -INFINITY;
        widen(a, b, c.head->attention);
        if (a < 0 || b > 1)
            outside += (outside.empty() ? "" : ", ") + std::string(name(c.run->variant.kind)) + " " +
                       format("%.3g", a) + ".." + format("%.3g", b);
        s.lo = std::min(s.lo, a), s.hi = std::max(s.hi, b);
        r = std::max(r, max_abs(*c.difference));
    }
    if (!outside.empty() && unit) {
        s.note = "Clipped to 0..1: " + outside + " (low-rank: not a distribution).";
        s.lo = 0, s.hi = 1;
    } else if (!outside.empty()) {
        s.note = "It leaves 0..1 for " + outside + " (low-rank: not a distribution)";
        if (s.lo < kScaleFloor || s.hi > kScaleCeiling)
            s.note += format(", clipped to %g..", kScaleFloor) + format("%g", kScaleCeiling);
        s.note += ".";
        s.lo = std::max(s.lo, kScaleFloor), s.hi = std::min(s.hi, kScaleCeiling);
    }
    s.difference_clipped = r > kDifferenceLimit;
    s.r = std::clamp(r, kDifferenceFloor, kDifferenceLimit);
    return s;
}

// --- the grid's cells ----------------------------------------------------------------

HeatmapStyle map_style(const Grid& g, bool col_labels) {
    HeatmapStyle s;
    s.row_labels = &g.exact.query.tokens;
    s.col_labels = col_labels ? &g.exact.keys.tokens : nullptr;
    s.allowed = &g.exact.allowed;
    s.highlight_row = g.sel.query;
    s.max_cell = g.cell;
    return s;
}

HeatmapStyle weights_style(const Grid& g) {
    HeatmapStyle s = map_style(g, true);
    s.lo = g.scales.lo, s.hi = g.scales.hi;
    return s;
}

HeatmapStyle difference_style(const Grid& g) {
    HeatmapStyle s = map_style(g, g.labels_every_row);
    s.map = Colormap::Diverging, s.lo = -g.scales.r, s.hi = g.scales.r;
    return s;
}

// One cell's value in every column: the same (query, key) across exact and the variants.
void cell_tooltip(const Grid& g, int row, int col) {
    const Trace& t = g.exact;
    std::string s = "query " + std::to_string(row) + " '" + t.query.tokens[row] + "' -> key " + std::to_string(col) +
                    " '" + t.keys.tokens[col] + "'\n";
    if (!t.allowed(row, col)) s += "masked (" + std::string(name(t.inputs.mask)) + "): weight 0 in every column\n";
    s += format("exact       %.4f\n", exact_weights(t, g.h)(row, col));
    for (const Column& c : g.cols) {
        if (!c.head) continue;
        char line[160];
        std::snprintf(line, sizeof line, "%-11s %.4f   (variant - exact %+.4f)%s\n", name(c.run->variant.kind),
                      c.head->attention(row, col), (*c.difference)(row, col),
                      c.pattern.size() > 0 && c.pattern(row, col) == 0 ? "  dropped by its pattern" : "");
        s += line;
    }
    s += "Click to select this query.";
    ImGui::SetTooltip("%s", s.c_str());
}

void handle_hit(Grid& g, const HeatmapHit& hit) {
    if (!hit.hovered()) return;
    cell_tooltip(g, hit.row, hit.col);
    if (hit.clicked) g.out.query = hit.row;
}

void draw_error_in_place(Grid& g, const Column& c) {
    const VariantKind kind = c.run->variant.kind;
    ImGui::PushStyleColor(ImGuiCol_Text, tone(Tone::Error));
    ImGui::TextWrapped("%s cannot run on these inputs:", name(kind));
    ImGui::PopStyleColor();
    ImGui::TextWrapped("%s", c.run->error.empty() ? "(its run is out of date: waiting for the re-run)" : c.run->error.c_str());
    if (mixes_keys(kind) && g.exact.inputs.mask != Mask::None) {
        if (ImGui::Button("use mask none")) {
            Inputs next = g.exact.inputs;
            next.mask = Mask::None;
            g.out.inputs = next;
        }
        ImGui::SameLine();
        if (ImGui::Button("try performer")) {
            g.lineup[c.index].kind = VariantKind::Performer;
            g.out.compared = g.lineup;
        }
    }
}

// Starts in column 0 of a row that draw_grid has begun (it measured the height left there).
void draw_weights_row(Grid& g) {
    handle_hit(g, g.state.exact.draw("compare_exact", exact_weights(g.exact, g.h), weights_style(g)));
    for (const Column& c : g.cols) {
        ImGui::TableSetColumnIndex(c.index + 1);
        ImGui::PushID(c.index);
        if (c.head) {
            const std::string id = "compare_weights_" + std::to_string(c.index);
            handle_hit(g, g.state.weights[c.index].draw(id.c_str(), c.head->attention, weights_style(g)));
        } else {
            draw_error_in_place(g, c);
        }
        ImGui::PopID();
    }
}

// A low-rank variant keeps every key: what limits it is the rank of its factors, drawn to scale.
struct Factor {
    std::string label;
    long long rows, cols;
};

std::vector<Factor> factors_of(const Column& c, int n, int m) {
    const HeadTrace& h = *c.head;
    switch (c.run->variant.kind) {
        case VariantKind::Linformer: return {{"P", n, h.variant->E.rows()}, {"F", h.variant->F.rows(), m}};
        case VariantKind::Nystrom: {
            const long long l = h.variant->Q_landmarks.rows();
            return {{"kernel", n, l}, {"pinv", l, l}, {"kernel", l, m}};
        }
        case VariantKind::Performer: return {{"phi(Q)", n, h.variant->features.rows()}, {"phi(K)^T", h.variant->features.rows(), m}};
        case VariantKind::Svd: return {{"U", n, h.variant->svd.U.cols()}, {"S", h.variant->svd.S.size(), h.variant->svd.S.size()}, {"V^T", h.variant->svd.V.cols(), m}};
        default: return {};
    }
}

const char* factor_formula(VariantKind k) {
    switch (k) {
        case VariantKind::Linformer: return "A_eff = P F,  P = softmax(Q (E K)^T / sqrt(d)),  E, F random k×m";
        case VariantKind::Nystrom: return "A_eff = softmax(Q K~^T) pinv(softmax(Q~ K~^T)) softmax(Q~ K^T),  Q~, K~ landmarks";
        case VariantKind::Performer: return "A_eff = phi(Q) phi(K)^T, rows normalised;  phi from random features";
        case VariantKind::Svd: return "A_eff = U S V^T, the exact weights' top singular triplets";
        default: return "";
    }
}

void draw_factors(const Column& c, int n, int m, float max_h) {
    const std::vector<Factor> fs = factors_of(c, n, m);
    long long rank = std::min<long long>(n, m);
    for (const Factor& f : fs) rank = std::min({rank, f.rows, f.cols});
    ImGui::Text("dense, rank <= %lld", rank);
    ImGui::TextWrapped("%s", factor_formula(c.run->variant.kind));
    const float font = ImGui::GetFontSize(), gap = font * 0.8f;
    long long total_cols = 0, most_rows = 1;
    for (const Factor& f : fs) total_cols += f.cols, most_rows = std::max(most_rows, f.rows);
    const float avail = ImGui::GetContentRegionAvail().x - gap * (fs.size() + 1);
    const float unit = std::min({avail / std::max<long long>(total_cols, 1), (max_h - 3 * font) / most_rows, 12.0f});
    if (fs.empty() || unit <= 0) return;
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const ImVec2 p = ImGui::GetCursorScreenPos();
    const ImU32 fill = (kColumnColors[c.index] & 0x00FFFFFF) | 0x60000000, edge = kColumnColors[c.index];
    float x = p.x;
    for (const Factor& f : fs) {
        const ImVec2 a(x, p.y), b(x + std::max(unit * f.cols, 2.0f), p.y + std::max(unit * f.rows, 2.0f));
        dl->AddRectFilled(a, b, fill);
        dl->AddRect(a, b, edge);
        const std::string l1 = f.label, l2 = shape(f.rows, f.cols);
        dl->AddText(ImVec2(a.x, b.y + 2), ImGui::GetColorU32(ImGuiCol_Text), l1.c_str());
        dl->AddText(ImVec2(a.x, b.y + 2 + font), ImGui::GetColorU32(ImGuiCol_TextDisabled), l2.c_str());
        x = std::max(b.x, a.x + std::max(ImGui::CalcTextSize(l1.c_str()).x, ImGui::CalcTextSize(l2.c_str()).x)) + gap;
    }
    ImGui::Dummy(ImVec2(x - p.x, unit * most_rows + 2 * font + 4));
}

void draw_pattern_row(Grid& g, float map_h) {
    const Trace& t = g.exact;
    const long long allowed = t.allowed.count();
    ImGui::TableNextRow();
    ImGui::TableSetColumnIndex(0);
    ImGui::TextWrapped("Which keys each variant keeps.");
    ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
    ImGui::TextWrapped("Exact keeps all %lld allowed (query, key) pairs. Sparse patterns: bright kept, dark dropped%s. "
                       "Low-rank variants keep every key, through factors of limited rank.",
                       allowed, t.allowed.all() ? "" : ", grey masked");
    ImGui::PopStyleColor();
    for (const Column& c : g.cols) {
        ImGui::TableSetColumnIndex(c.index + 1);
        ImGui::PushID(c.index);
        if (!c.head) {
            ImGui::TextDisabled("(cannot run: see above)");
        } else if (c.pattern.size() > 0) {
            const std::string id = "compare_pattern_" + std::to_string(c.index);
            handle_hit(g, g.state.patterns[c.index].draw(id.c_str(), c.pattern, map_style(g, g.labels_every_row)));
        } else {
            draw_factors(c, t.n(), t.m(), map_h);
        }
        ImGui::PopID();
    }
}

void draw_difference_row(Grid& g) {
    ImGui::TableNextRow();
    ImGui::TableSetColumnIndex(0);
    ImGui::TextWrapped("variant - exact, cell by cell.");
    ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
    ImGui::TextWrapped("Red: the variant gives that key more weight than exact; blue: less.");
    ImGui::PopStyleColor();
    draw_colorbar(Colormap::Diverging, -g.scales.r, g.scales.r, !g.exact.allowed.all());
    ImGui::TextDisabled(g.scales.difference_clipped ? "One scale for the row, clipped at ±%g." : "One scale for the row.",
                        kDifferenceLimit);
    for (const Column& c : g.cols) {
        ImGui::TableSetColumnIndex(c.index + 1);
        ImGui::PushID(c.index);
        if (c.head) {
            const std::string id = "compare_difference_" + std::to_string(c.index);
            handle_hit(g, g.state.differences[c.index].draw(id.c_str(), *c.difference, difference_style(g)));
        } else {
            ImGui::TextDisabled("(cannot run: see above)");
        }
        ImGui::PopID();
    }
}

float widest_label(const std::vector<std::string>& labels, float cap) {
    float w = 0;
    for (const std::string& s : labels) w = std::max(w, ImGui::CalcTextSize(s.c_str()).x);
    return std::min(w, cap);
}

// One cell size for every map, so that all three rows fit in `maps_h` pixels and a column's
// maps line up; key labels repeat on every row only when that costs little.
void fit_cells(Grid& g, float col_w, float maps_h) {
    const float font = ImGui::GetFontSize();
    const int n = g.exact.n(), m = g.exact.m();
    const float left = widest_label(g.exact.query.tokens, 8 * font) + 6;
    const float width_cell = (col_w - left) / m;
    const float widest_col = widest_label(g.exact.keys.tokens, 6 * font);
    const float top = widest_col + 2 <= width_cell ? font + 4 : widest_col + 6;
    const float every_row = std::min(width_cell, (maps_h - 3 * top) / (3 * n));
    const float first_row = std::min(width_cell, (maps_h - top) / (3 * n));
    g.labels_every_row = every_row >= 0.8f * first_row;
    g.cell = std::clamp(g.labels_every_row ? every_row : first_row, 3.0f, 40.0f);
}

// The height the grid's rows need besides their maps: padding and each map's bottom gap.
float row_overheads() {
    const ImGuiStyle& st = ImGui::GetStyle();
    return 3 * (2 * st.CellPadding.y + 4 + st.ItemSpacing.y) + 6;
}

void draw_grid(Grid& g, bool fit_height) {
    const int columns = 1 + std::max<int>(1, static_cast<int>(g.cols.size()));
    if (!ImGui::BeginTable("grid", columns, ImGuiTableFlags_SizingStretchSame | ImGuiTableFlags_BordersInnerV)) return;
    ImGui::TableNextRow();
    ImGui::TableSetColumnIndex(0);
    draw_exact_header(g);
    for (const Column& c : g.cols) {
        ImGui::TableSetColumnIndex(c.index + 1);
        ImGui::PushID(c.index);
        draw_variant_header(g, c);
        ImGui::PopID();
    }
    if (g.cols.empty()) {
        ImGui::TableSetColumnIndex(1);
        draw_empty_state(g);
    }
    ImGui::TableNextRow();
    ImGui::TableSetColumnIndex(0);
    const float col_w = ImGui::GetContentRegionAvail().x;
    const float bottom = ImGui::GetWindowPos().y + ImGui::GetWindowContentRegionMax().y;
    const float left_h = bottom - ImGui::GetCursorScreenPos().y - row_overheads();
    fit_cells(g, col_w, fit_height ? left_h : 1e6f);
    const float map_h = g.cell * g.exact.n();
    draw_weights_row(g);
    if (!g.cols.empty()) {  // with no variant, the rows below would only hold legends
        draw_pattern_row(g, map_h);
        draw_difference_row(g);
    }
    ImGui::EndTable();
}

// --- beside the grid: the metrics table and the spectrum -----------------------------

// The explanation, the head and the line-up's add button.
void draw_top_line(Grid& g) {
    ImGui::TextUnformatted("Same inputs, exact attention vs efficient variants; everything is per head h");
    same_line_if_fits(labeled_width(ImGui::GetFontSize() * 7, "h"));
    int head = g.h;
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 7);
    if (ImGui::SliderInt("h", &head, 0, g.exact.inputs.heads - 1)) g.out.head = head;
    ImGui::SameLine(0, ImGui::GetFontSize() * 1.5f);
    const int count = static_cast<int>(g.lineup.size());
    ImGui::BeginDisabled(count >= kMaxCompared);
    if (ImGui::Button("+ add variant")) {
        VariantParams v;
        for (VariantKind k : kAddOrder)
            if (std::none_of(g.lineup.begin(), g.lineup.end(), [k](const VariantParams& p) { return p.kind == k; })) {
                v.kind = k;
                break;
            }
        clamp_to_sliders(v, g.exact.n(), g.exact.m());
        g.lineup.push_back(v);
        g.out.compared = g.lineup;
    }
    ImGui::EndDisabled();
    char line[160];
    std::snprintf(line, sizeof line, "%d of %d columns.  Hover a cell for its value in every column; click to select "
                  "its query.", count, kMaxCompared);
    same_line_if_fits(ImGui::CalcTextSize(line).x);
    ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
    ImGui::TextWrapped("%s", line);
    ImGui::PopStyleColor();
}

}  // namespace

Edits draw_compare_panel(const Trace& exact, const std::vector<ComparedRun>& compared, const Selection& sel,
                         ComparePanelState& state) {
    const int h = std::clamp(sel.head, 0, static_cast<int>(exact.layers[0].heads.size()) - 1);
    const std::vector<Column> cols = make_columns(exact, compared, h);
    Grid g{exact, cols, sel, h, state, shared_scales(exact_weights(exact, h), cols, state.unit_scale), 12.0f, true, {}, -1, {}};
    for (const ComparedRun& c : compared) g.lineup.push_back(c.variant);
    state.weights.resize(cols.size());
    state.patterns.resize(cols.size());
    state.differences.resize(cols.size());

    draw_top_line(g);
    ImGui::Separator();
    const float font = ImGui::GetFontSize();
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    // Wide: the grid fits the height and the numbers stand beside it. Narrow: one scrolling column.
    const bool beside = avail.x >= 62 * font;
    const float side_w = std::clamp(avail.x * 0.3f, 24 * font, 34 * font);
    if (beside) ImGui::BeginChild("grid", ImVec2(avail.x - side_w - ImGui::GetStyle().ItemSpacing.x, 0));
    draw_grid(g, beside);
    if (beside) {
        ImGui::EndChild();
        ImGui::SameLine();
        ImGui::BeginChild("numbers", ImVec2(side_w, 0));
    } else {
        ImGui::Separator();
    }
    draw_metrics(g);
    ImGui::Spacing();
    draw_spectrum(g);
    if (beside) ImGui::EndChild();
    if (g.remove >= 0) {
        g.lineup.erase(g.lineup.begin() + g.remove);
        g.out.compared = g.lineup;
    }
    return g.out;
}

}  // namespace attnscope::gui
