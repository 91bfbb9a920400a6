// Matrices panel: X, PE, input, W_Q/W_K/W_V/W_O, the full Q/K/V projections and one
// head's Q_h/K_h/V_h, as a diverging heatmap. Hover spells a cell's formula with its
// numbers; click opens an editor whose value flows back into the Inputs.
#include "gui/panels/matrices.hpp"

#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "attnscope/positional.hpp"
#include "gui/formulas.hpp"
#include "gui/widgets/texts_drawn.hpp"
#include "gui/widgets/tones.hpp"
#include "attnscope/error.hpp"

namespace attnscope::gui {
namespace {

constexpr const char* kViewNames[kMatrixViewCount] = {
    "X  embeddings", "PE  positional encoding", "input = X + PE", "W_Q", "W_K", "W_V", "W_O",
    "Q = input W_Q", "K = input W_K", "V = input W_V", "Q_h  one head's queries", "K_h  one head's keys",
    "V_h  one head's values"};

// What a view shows and how its cells map back to an editable matrix.
struct Shown {
    const Matrix* values = nullptr;
    std::string name;                               // as tooltips write it: "X", "W_Q", "Q_h"
    std::string edit_name;                          // the engine's editable matrix
    int edit_col_offset = 0;                        // a head's column h*d_head within Q, K or V
    const std::vector<std::string>* rows = nullptr; // token labels; nullptr: dimension indices
    bool query_rows = false;                        // rows are the queries: outline the selected one
    int column_groups = 0;                          // head blocks
    char qkv = 0;                                   // 'Q', 'K', 'V' for projections and head views
    bool per_head = false;
};

MatrixView view_for_step(Step s, MatrixView fallback) {
    switch (s) {
        case Step::Embed: return MatrixView::Embeddings;
        case Step::AddPositional: return MatrixView::Input;
        case Step::ProjectQKV: return MatrixView::Q;
        case Step::SplitHeads: return MatrixView::HeadQ;
        default: return fallback;
    }
}

bool is_sequence_view(MatrixView v) { return v == MatrixView::Embeddings || v == MatrixView::Positional || v == MatrixView::Input; }
bool is_head_view(MatrixView v) { return v == MatrixView::HeadQ || v == MatrixView::HeadK || v == MatrixView::HeadV; }
// Views whose columns fall into head blocks: the selected head's block is outlined.
bool has_head_columns(MatrixView v) {
    return v == MatrixView::WQ || v == MatrixView::WK || v == MatrixView::WV || v == MatrixView::Q || v == MatrixView::K ||
           v == MatrixView::V;
}

Shown sequence_view(const Trace& t, MatrixView v, bool key_side) {
    const SequenceTrace& s = key_side ? t.keys : t.query;
    const std::string prefix = key_side ? "cross_" : "";
    Shown out;
    out.rows = &s.tokens;
    out.query_rows = !key_side;
    if (v == MatrixView::Embeddings) out.values = &s.embeddings, out.name = "X", out.edit_name = prefix + "embeddings";
    if (v == MatrixView::Positional) out.values = &s.positional, out.name = "PE", out.edit_name = prefix + "positional";
    if (v == MatrixView::Input) out.values = &s.input, out.name = "input", out.edit_name = prefix + "input";
    return out;
}

Shown weight_view(const Trace& t, const LayerTrace& layer, MatrixView v) {
    Shown out;
    out.values = v == MatrixView::WQ ? &layer.W_Q : v == MatrixView::WK ? &layer.W_K : v == MatrixView::WV ? &layer.W_V : &layer.W_O;
    out.name = v == MatrixView::WQ ? "W_Q" : v == MatrixView::WK ? "W_K" : v == MatrixView::WV ? "W_V" : "W_O";
    out.edit_name = out.name;
    out.column_groups = v == MatrixView::WO ? 0 : t.d_head;  // W_O's rows, not columns, belong to heads
    return out;
}

Shown projection_view(const Trace& t, const LayerTrace& layer, MatrixView v, int head) {
    const bool per_head = is_head_view(v);
    const char qkv = (v == MatrixView::Q || v == MatrixView::HeadQ) ? 'Q' : (v == MatrixView::K || v == MatrixView::HeadK) ? 'K' : 'V';
    const HeadTrace& h = layer.heads[head];
    Shown out;
    out.qkv = qkv;
    out.per_head = per_head;
    out.edit_name = std::string(1, qkv);
    out.rows = qkv == 'Q' ? &t.query.tokens : &t.keys.tokens;
    out.query_rows = qkv == 'Q';
    if (per_head) {
        out.values = qkv == 'Q' ? &h.Q : qkv == 'K' ? &h.K : &h.V;
        out.name = std::string(1, qkv) + "_h";
        out.edit_col_offset = head * t.d_head;
    } else {
        out.values = qkv == 'Q' ? &layer.Q : qkv == 'K' ? &layer.K : &layer.V;
        out.name = out.edit_name;
        out.column_groups = t.d_head;
    }
    return out;
}

Shown describe(const Trace& t, const LayerTrace& layer, MatrixView v, int head, bool key_side) {
    if (is_sequence_view(v)) return sequence_view(t, v, key_side);
    if (v == MatrixView::WQ || v == MatrixView::WK || v == MatrixView::WV || v == MatrixView::WO) return weight_view(t, layer, v);
    return projection_view(t, layer, v, head);
}

std::string num(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.4g", v);
    return buf;
}

std::string at(const std::string& name, int r, int c) { return name + "[" + std::to_string(r) + "," + std::to_string(c) + "]"; }

const Edit* find_edit(const Inputs& in, const std::string& matrix, int r, int c) {
    for (const Edit& e : in.edits)
        if (e.matrix == matrix && e.row == r && e.col == c) return &e;
    return nullptr;
}

std::string positional_formula(const Trace& t, int p, int c) {
    const int d = t.inputs.d_model;
    if (t.inputs.pe == Positional::Learned) return "row " + std::to_string(p) + " of the learned position table";
    if (t.inputs.pe != Positional::Sinusoidal) return std::string("0: '") + name(t.inputs.pe) + "' adds nothing to the input";
    const int i2 = c - c % 2;
    const double angle = sinusoidal_angle(p, c, d);
    return std::string(c % 2 ? "cos" : "sin") + "(" + std::to_string(p) + " / 10000^(" + std::to_string(i2) + "/" +
           std::to_string(d) + ")) = " + (c % 2 ? "cos" : "sin") + "(" + num(angle) + ")";
}

std::string projection_formula(const Trace& t, const LayerTrace& layer, const Shown& s, int r, int c) {
    const SequenceTrace& seq = s.qkv == 'Q' ? t.query : t.keys;
    const Matrix& w = s.qkv == 'Q' ? layer.W_Q : s.qkv == 'K' ? layer.W_K : layer.W_V;
    const Matrix w_col = w.col(c).transpose();  // (1, d_model): dot_product_terms pairs rows
    const std::string wn = std::string("W_") + s.qkv;
    const std::string input = t.cross && s.qkv != 'Q' ? "cross_input" : "input";  // as the editor names it
    return input + "[" + std::to_string(r) + ",:] . " + wn + "[:," + std::to_string(c) + "]\n  = " +
           dot_product_terms(seq.input, r, w_col, 0) + "\n  = " + num((*s.values)(r, c)) + "\n(head " +
           std::to_string(c / t.d_head) + ", its column " + std::to_string(c % t.d_head) + ")";
}

// A head's Q or K cell after RoPE: a 2-D rotation of the pair its column belongs to.
std::string rope_formula(const Trace& t, const LayerTrace& layer, const Shown& s, int r, int c) {
    const Matrix& full = s.qkv == 'Q' ? layer.Q : layer.K;
    const int g = s.edit_col_offset + c, pair = c / 2;
    const std::string before = at(std::string(1, s.qkv), r, g);
    if (2 * pair + 1 >= t.d_head) return before + " (odd last column: RoPE leaves it as is) = " + num(full(r, g));
    const double a = rope_angle(r, pair, t.d_head);
    const double x0 = full(r, g - c % 2), x1 = full(r, g - c % 2 + 1);
    const std::string rot = c % 2 ? num(x0) + "*sin(" + num(a) + ") + " + num(x1) + "*cos(" + num(a) + ")"
                                  : num(x0) + "*cos(" + num(a) + ") - " + num(x1) + "*sin(" + num(a) + ")";
    return "RoPE turns the pair " + std::string(1, s.qkv) + "[" + std::to_string(r) + "," + std::to_string(g - c % 2) +
           ".." + std::to_string(g - c % 2 + 1) + "] by " + num(a) + " rad (position " + std::to_string(r) + " x " +
           num(rope_angle(1, pair, t.d_head)) + ")\n  = " + rot;
}

std::string head_formula(const Trace& t, const LayerTrace& layer, const Shown& s, int r, int c) {
    const int g = s.edit_col_offset + c;
    const bool rope = t.inputs.pe == Positional::Rope && s.qkv != 'V';
    if (!rope) return at(std::string(1, s.qkv), r, g) + " (column " + std::to_string(c) + " of head " +
                      std::to_string(g / t.d_head) + ")";
    return rope_formula(t, layer, s, r, c);
}

std::string weight_formula(const Trace& t, const Shown& s, int r, int c) {
    if (s.name == "W_O")
        return "from concat column " + std::to_string(r) + " (head " + std::to_string(r / t.d_head) +
               ") to output column " + std::to_string(c);
    return "from input dimension " + std::to_string(r) + " to " + s.name.substr(2) + " column " + std::to_string(c) +
           " (head " + std::to_string(c / t.d_head) + ")";
}

std::string cell_formula(const Trace& t, const LayerTrace& layer, const Shown& s, MatrixView v, bool key_side, int r, int c) {
    const SequenceTrace& seq = key_side ? t.keys : t.query;
    switch (v) {
        case MatrixView::Embeddings: return "E('" + seq.tokens[r] + "')[" + std::to_string(c) + "], the token's seeded embedding";
        case MatrixView::Positional: return positional_formula(t, r, c);
        case MatrixView::Input:
            return "X + PE = " + num(seq.embeddings(r, c)) + " + " + num(seq.positional(r, c));
        case MatrixView::Q:
        case MatrixView::K:
        case MatrixView::V: return projection_formula(t, layer, s, r, c);
        case MatrixView::HeadQ:
        case MatrixView::HeadK:
        case MatrixView::HeadV: return head_formula(t, layer, s, r, c);
        default: return weight_formula(t, s, r, c);
    }
}

std::string hover_text(const Trace& t, const LayerTrace& layer, const Shown& s, MatrixView v, bool key_side, int head, int r, int c) {
    std::string text;
    if (s.rows) text += "token '" + (*s.rows)[r] + "'" + (s.per_head ? ", head " + std::to_string(head) : "") + "\n";
    text += at(s.name, r, c) + " = " + num((*s.values)(r, c)) + "\n" + at(s.name, r, c) + " = " +
            cell_formula(t, layer, s, v, key_side, r, c);
    if (const Edit* e = find_edit(t.inputs, s.edit_name, r, s.edit_col_offset + c))
        text += "\nedited: " + at(e->matrix, e->row, e->col) + " was set to " + num(e->value) +
                (s.per_head ? "" : ", replacing the computed value");
    text += t.has_model() ? "\nclick to edit it in the built-in engine" : "\nclick to edit";
    return text;
}

// Opens the editor on a clicked cell. Per-head cells are edited in the full Q/K/V matrix.
void open_editor(const Trace& t, const LayerTrace& layer, const Shown& s, int r, int c, CellEditor& ed) {
    const int col = s.edit_col_offset + c;
    ed = CellEditor{};
    ed.matrix = s.edit_name, ed.row = r, ed.col = col, ed.focus = true;
    ed.value = s.per_head ? (s.qkv == 'Q' ? layer.Q : s.qkv == 'K' ? layer.K : layer.V)(r, col) : (*s.values)(r, c);
    ed.shown = ed.value;
    if (s.per_head)
        ed.note = "This sets " + at(s.edit_name, r, col) + ", column " + std::to_string(c) + " of head " +
                  std::to_string(col / t.d_head) + ".";
    if (s.per_head && s.qkv != 'V' && t.inputs.pe == Positional::Rope)
        ed.note += "\n" + s.name + " is shown after RoPE; the edit sets " + s.edit_name +
                   " before RoPE, so the rotation still applies (this column and its pair partner change).";
    if (s.edit_name.find("input") != std::string::npos)
        ed.note = "The edit replaces X + PE for this cell; later edits to X or PE no longer reach it.";
    if (s.edit_name.size() == 1 && !s.per_head)
        ed.note = "The edit replaces input . W_" + s.edit_name + " for this cell; edits upstream no longer reach it.";
    ImGui::OpenPopup("edit cell");
}

Edits draw_editor(const Trace& t, CellEditor& ed) {
    Edits out;
    if (!ImGui::BeginPopup("edit cell")) return out;
    ImGui::Text("Set %s", at(ed.matrix, ed.row, ed.col).c_str());
    if (!ed.note.empty()) {
        ImGui::PushTextWrapPos(ImGui::GetFontSize() * 22);
        ImGui::TextDisabled("%s", ed.note.c_str());
        ImGui::PopTextWrapPos();
    }
    if (t.has_model()) {  // a model's numbers come from its files: edits belong to the built-in engine
        ImGui::PushTextWrapPos(ImGui::GetFontSize() * 22);
        ImGui::TextWrapped("Cell edits change the built-in single-layer engine; a loaded model's numbers come from "
                           "its files. Switch to the built-in engine to edit this cell there (Ctrl+Z comes back).");
        ImGui::PopTextWrapPos();
        const bool use = ImGui::Button("Edit in the built-in engine");
        note_target("Matrices: edit in the built-in engine");
        ImGui::SameLine();
        if (use || ImGui::Button("Cancel") || ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Escape), false))
            ImGui::CloseCurrentPopup();
        if (use) {
            out.inputs = t.inputs;
            out.inputs->model.clear();
        }
        ImGui::EndPopup();
        return out;
    }
    if (ed.focus) ImGui::SetKeyboardFocusHere();  // until the field has it: the click that opened us may take a frame
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 9);
    constexpr const char* kFormat = "%.6g";  // also what "unchanged" means below
    const bool enter = ImGui::InputDouble("##value", &ed.value, 0.0, 0.0, kFormat, ImGuiInputTextFlags_EnterReturnsTrue);
    if (ImGui::IsItemActive()) ed.focus = false;
    note_target("Matrices: cell value");
    ImGui::SameLine();
    if (enter || ImGui::Button("Set")) {
        try {  // a value the engine would refuse is refused here, and never recorded
            check_edit_value({ed.matrix, ed.row, ed.col, ed.value});
            // The field shows 6 digits: Enter on them unchanged gives back the shown value, not an edit.
            char typed[32], shown[32];
            std::snprintf(typed, sizeof typed, kFormat, ed.value);
            std::snprintf(shown, sizeof shown, kFormat, ed.shown);
            if (std::string(typed) != shown) out = edit_cell(t.inputs, ed.matrix, ed.row, ed.col, ed.value);
            ed.refused.clear();
            ImGui::CloseCurrentPopup();
        } catch (const Error& e) {
            ed.refused = e.what();
            ed.focus = true;
        }
    }
    if (!ed.refused.empty()) {
        ImGui::PushTextWrapPos(ImGui::GetFontSize() * 22);
        ImGui::TextColored(tone(Tone::Error), "%s", ed.refused.c_str());
        ImGui::PopTextWrapPos();
        note_text("matrices", ed.refused);
    }
    if (find_edit(t.inputs, ed.matrix, ed.row, ed.col)) {
        ImGui::SameLine();
        if (ImGui::Button("Revert")) {
            Inputs next = t.inputs;
            std::erase_if(next.edits, [&](const Edit& e) { return e.matrix == ed.matrix && e.row == ed.row && e.col == ed.col; });
            out.inputs = next;
            ImGui::CloseCurrentPopup();
        }
    }
    ImGui::TextDisabled("Enter sets it, Esc cancels.");
    if (ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Escape), false)) ImGui::CloseCurrentPopup();
    ImGui::EndPopup();
    return out;
}

std::vector<std::string>& index_labels(std::vector<std::string>& labels, int count) {
    if (static_cast<int>(labels.size()) != count) {
        labels.clear();
        for (int i = 0; i < count; ++i) labels.push_back(std::to_string(i));
    }
    return labels;
}

// The selectors: which matrix, which head, which text's rows; following the step or not.
Edits draw_controls(const Trace& t, const Selection& sel, MatricesPanelState& state, MatrixView view) {
    Edits out;
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 14);
    if (ImGui::BeginCombo("matrix", kViewNames[static_cast<int>(view)])) {
        for (int v = 0; v < kMatrixViewCount; ++v)
            if (ImGui::Selectable(kViewNames[v], v == static_cast<int>(view)))
                state.view = static_cast<MatrixView>(v), state.follow_step = false;
        ImGui::EndCombo();
    }
    if ((is_head_view(view) || has_head_columns(view)) && t.inputs.heads > 1) {
        ImGui::SameLine();
        int head = sel.head;
        ImGui::SetNextItemWidth(ImGui::GetFontSize() * 6);
        if (ImGui::SliderInt("head", &head, 0, t.inputs.heads - 1)) out.head = head;
    }
    ImGui::SameLine();
    ImGui::Checkbox("follow step", &state.follow_step);
    if (t.cross && is_sequence_view(view)) {
        if (ImGui::RadioButton("query text", !state.key_side)) state.key_side = false;
        ImGui::SameLine();
        if (ImGui::RadioButton("key/value text", state.key_side)) state.key_side = true;
    }
    return out;
}

// Why a matrix is all zeros or what it stands for, where that is not obvious.
void draw_note(const Trace& t, MatrixView view) {
    const Positional pe = t.inputs.pe;
    if (view == MatrixView::Positional && pe == Positional::None)
        ImGui::TextDisabled("No positional encoding: PE is zero. Choose positional sinusoidal or learned.");
    else if (view == MatrixView::Positional && pe == Positional::Rope)
        ImGui::TextDisabled("RoPE adds nothing here (PE = 0): it rotates Q_h and K_h inside each head.");
    else if (view == MatrixView::Positional && (pe == Positional::Alibi || pe == Positional::Relative))
        ImGui::TextDisabled("PE = 0: '%s' adds a bias to the logits instead (Attention panel).", name(pe));
    else if ((view == MatrixView::HeadQ || view == MatrixView::HeadK) && pe == Positional::Rope)
        ImGui::TextDisabled("After RoPE: each column pair is rotated by an angle that grows with the position.");
}

void draw_header(const Trace& t, const Shown& s, int head) {
    const Matrix& m = *s.values;
    const std::string title = s.per_head ? s.name + " of head " + std::to_string(head) : s.name;
    ImGui::Text("%s  (%d x %d)", title.c_str(), static_cast<int>(m.rows()), static_cast<int>(m.cols()));
    ImGui::SameLine();
    ImGui::TextDisabled("range [%s, %s]", num(m.minCoeff()).c_str(), num(m.maxCoeff()).c_str());
    int here = 0;
    for (const Edit& e : t.inputs.edits) here += e.matrix == s.edit_name;
    const int elsewhere = static_cast<int>(t.inputs.edits.size()) - here;
    if (here > 0) {
        ImGui::SameLine();
        ImGui::TextColored(tone(Tone::Accent), "%d edited cell%s in %s", here, here == 1 ? "" : "s",
                           s.edit_name.c_str());
    }
    if (elsewhere > 0) {
        ImGui::SameLine();
        ImGui::TextDisabled("(%d edit%s in other matrices)", elsewhere, elsewhere == 1 ? "" : "s");
    }
}

// A wide matrix (64 columns in a narrow window) would get cells too small to see or label
// while the height has room to spare; then it scrolls sideways, up to a text line per row.
HeatmapHit draw_readable_heatmap(Heatmap& heatmap, const Matrix& values, HeatmapStyle style) {
    const float font = ImGui::GetFontSize();
    const int rows = static_cast<int>(values.rows()), cols = static_cast<int>(values.cols());
    float left = 0.0f;
    for (const std::string& l : *style.row_labels) left = std::max(left, ImGui::CalcTextSize(l.c_str()).x);
    left = std::min(left, 8 * font) + 6;
    const float top = ImGui::CalcTextSize("000").x + 6;
    const float cell = std::min(font, (style.max_height - top) / rows);
    const float avail = ImGui::GetContentRegionAvail().x;
    if ((avail - left) / cols >= cell || cell < font * 0.5f) return heatmap.draw("matrix", values, style);
    const float width = left + cols * cell + 2, height = top + rows * cell + 4;
    style.max_height = height;
    ImGui::SetNextWindowContentSize(ImVec2(width, 0.0f));
    ImGui::BeginChild("scroll", ImVec2(0.0f, height + ImGui::GetStyle().ScrollbarSize + 4), false,
                      ImGuiWindowFlags_HorizontalScrollbar);
    const HeatmapHit hit = heatmap.draw("matrix", values, style);
    ImGui::EndChild();
    return hit;
}

}  // namespace

Edits draw_matrices_panel(const Trace& t, const Selection& sel, MatricesPanelState& state) {
    const LayerTrace& layer = t.layer(sel.layer);
    const MatrixView view = state.follow_step ? view_for_step(sel.step, state.view) : state.view;
    if (state.follow_step) state.view = view;  // unticking keeps what was shown
    Edits out = draw_controls(t, sel, state, view);
    const bool key_side = t.cross && state.key_side;
    const Shown s = describe(t, layer, view, sel.head, key_side);
    draw_header(t, s, sel.head);
    draw_note(t, view);

    HeatmapStyle style = diverging_style(*s.values);
    style.row_labels = s.rows ? s.rows : &index_labels(state.row_dims, static_cast<int>(s.values->rows()));
    style.col_labels = &index_labels(state.col_dims, t.inputs.d_model);
    style.highlight_row = s.query_rows ? sel.query : -1;
    style.column_groups = s.column_groups;
    if (has_head_columns(view) && t.inputs.heads > 1)
        style.highlight_cols_begin = sel.head * t.d_head, style.highlight_cols_end = (sel.head + 1) * t.d_head;
    for (const Edit& e : t.inputs.edits)  // the user's edits of this matrix, outlined
        if (e.matrix == s.edit_name && e.col >= s.edit_col_offset && e.col < s.edit_col_offset + s.values->cols())
            style.marked.emplace_back(e.row, e.col - s.edit_col_offset);
    style.max_height = ImGui::GetContentRegionAvail().y - ImGui::GetFontSize() * 3.6f;
    const HeatmapHit hit = draw_readable_heatmap(state.heatmap, *s.values, style);
    draw_colorbar(style.map, style.lo, style.hi);
    ImGui::TextDisabled("Rows: %s; columns: %s. Hover a cell for its formula, click to edit it%s. Wheel zooms, "
                        "right-drag pans.", s.rows ? "tokens" : "dimensions", s.per_head ? "the head's dimensions" : "dimensions",
                        style.marked.empty() ? "" : " (your edits are outlined in cyan; Ctrl+Z undoes)");

    if (hit.hovered()) {
        ImGui::SetTooltip("%s", hover_text(t, layer, s, view, key_side, sel.head, hit.row, hit.col).c_str());
        if (hit.clicked) open_editor(t, layer, s, hit.row, hit.col, state.editor);
    }
    out.merge(draw_editor(t, state.editor));
    return out;
}

}  // namespace attnscope::gui
