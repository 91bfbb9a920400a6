// Model panel. Loading runs on a BackgroundJob (open_model warms the engine's cache); when it
// is done the panel hands back Inputs with the model set, and run() finds the weights loaded.
#include "gui/panels/model.hpp"
#include "gui/widgets/tones.hpp"
#include "gui/widgets/rotated_text.hpp"

#include <imgui.h>
#include <imgui_stdlib.h>

#include <algorithm>
#include <cmath>

#include "attnscope/error.hpp"
#include "attnscope/model.hpp"

namespace attnscope::gui {
namespace {

constexpr ImU32 kAccent = IM_COL32(255, 80, 40, 255);

// "L3", "h5": built by appending (GCC 12 warns falsely on "literal" + std::string).
std::string numbered(const char* prefix, int i) {
    std::string s = prefix;
    s += std::to_string(i);
    return s;
}


void draw_open_row(const Trace* trace, const Inputs& inputs, const std::string& error, const RunStatus& status,
                   ModelPanelState& s, Edits& out) {
    const bool loading = status.busy && !inputs.model.empty() && (!trace || trace->inputs.model != inputs.model);
    ImGui::TextUnformatted("Model folder");
    ImGui::SameLine();
    const float buttons = ImGui::CalcTextSize("Open").x + ImGui::CalcTextSize("Browse...").x +
                          ImGui::CalcTextSize("Synthetic engine").x + ImGui::GetFontSize() * 4.5f;
    ImGui::SetNextItemWidth(std::max(ImGui::GetContentRegionAvail().x - buttons, ImGui::GetFontSize() * 8));
    const bool enter = ImGui::InputTextWithHint("##path", "a folder with config.json, model.safetensors, vocab.json + merges.txt",
                                                &s.path, ImGuiInputTextFlags_EnterReturnsTrue);
    ImGui::SameLine();
    if ((ImGui::Button("Open") || enter) && !s.path.empty()) out = switch_model(inputs, s.path);
    ImGui::SameLine();
    if (ImGui::Button("Browse..."))
        s.browser.open("Open a model folder", FileBrowser::Pick::Folder, {}, s.path.empty() ? inputs.model : s.path);
    if (ImGui::IsItemHovered())
        ImGui::SetTooltip("Pick a folder with config.json (model folders are marked). You can also drop a folder on "
                          "the window.");
    if (const std::optional<std::string> picked = s.browser.draw()) s.path = *picked, out = switch_model(inputs, *picked);
    ImGui::SameLine();
    ImGui::BeginDisabled(inputs.model.empty());
    if (ImGui::Button("Synthetic engine")) out = switch_model(inputs, "");
    ImGui::EndDisabled();
    if (loading) {
        ImGui::ProgressBar(static_cast<float>(status.progress), ImVec2(-ImGui::GetFontSize() * 6, 0));
        ImGui::SameLine();
        // The newest request wins: going back to what is shown stops the load at its next tensor.
        if (ImGui::Button("Cancel")) out = switch_model(inputs, trace ? trace->inputs.model : "");
        ImGui::TextDisabled("loading %s", inputs.model.c_str());
    } else if (!error.empty() && !inputs.model.empty()) {
        ImGui::PushStyleColor(ImGuiCol_Text, tone(Tone::Error));
        ImGui::TextWrapped("Cannot open %s: %s", inputs.model.c_str(), error.c_str());
        ImGui::PopStyleColor();
    }
}

const Matrix& aggregate(const LayerTrace& layer, ModelView view) {
    return view == ModelView::Rollout ? layer.rollout : layer.mean_attention;
}

constexpr float kGap = 3.0f;  // between thumbnails

struct GridSize {
    float thumb = 4, label_w = 0, width = 0;
    float tokens = 0;  // room for token labels left of and above the grid; 0: the cells are too small for them
};

// One row per layer, a column per head: square thumbnails as large as width x height allows. When
// a cell has room for a line of text, the tokens label the rows (left) and columns (above).
GridSize grid_size(int layers, int heads, const std::vector<std::string>& tokens, float width, float height) {
    GridSize g;
    const float font = ImGui::GetFontSize();
    auto fit = [&](float extra) {
        g.label_w = font * 2.5f + extra;
        g.thumb = std::max(std::floor(std::min((width - g.label_w) / heads - kGap,
                                               (height - font * 1.5f - extra) / layers - kGap)), 4.0f);
        g.width = g.label_w + heads * (g.thumb + kGap);
    };
    fit(0);
    if (!tokens.empty() && g.thumb / tokens.size() >= font * 0.5f) {
        float widest = 0;
        for (const std::string& t : tokens) widest = std::max(widest, ImGui::CalcTextSize(t.c_str()).x);
        g.tokens = std::min(widest, font * 5) + 6;
        fit(g.tokens);
        if (g.thumb / tokens.size() < font * 0.5f) g.tokens = 0, fit(0);  // the labels' room made the cells too small
    }
    return g;
}

// The tokens along the grid's first column (queries) and above its first row (keys), cut at their room.
void draw_grid_tokens(ImDrawList* dl, const Trace& t, const GridSize& g, ImVec2 first_cell, const Selection& sel) {
    const float font = ImGui::GetFontSize(), cell = g.thumb / t.n();
    const ImU32 ink = ImGui::GetColorU32(ImGuiCol_TextDisabled);
    const int every = static_cast<int>(std::ceil(font * 0.95f / cell));  // every k-th token, so that none overlap
    for (int i = 0; i < t.n(); i += every) {
        const char* q = t.query.tokens[i].c_str();
        const float y = first_cell.y + (i + 0.5f) * cell - font * 0.5f;
        dl->PushClipRect(ImVec2(first_cell.x - g.tokens, y), ImVec2(first_cell.x - 3, y + font), true);
        dl->AddText(ImVec2(first_cell.x - 4 - ImGui::CalcTextSize(q).x, y), i == sel.query ? kAccent : ink, q);
        dl->PopClipRect();
    }
    for (int j = 0; j < static_cast<int>(t.keys.tokens.size()); j += every) {
        const std::string& k = t.keys.tokens[j];
        const float x = first_cell.x + (j + 0.5f) * cell - font * 0.5f, length = ImGui::CalcTextSize(k.c_str()).x;
        dl->PushClipRect(ImVec2(x, first_cell.y - g.tokens), ImVec2(x + font, first_cell.y - 3), true);
        add_vertical_text(dl, x, first_cell.y - 4 - length, ink, k);
        dl->PopClipRect();
    }
}

void draw_grid(const Trace& t, const Selection& sel, ModelPanelState& s, const GridSize& g, Edits& out) {
    const int L = static_cast<int>(t.layers.size()), H = static_cast<int>(t.layers[0].heads.size());
    const float font = ImGui::GetFontSize(), thumb = g.thumb;
    if (static_cast<int>(s.thumbnails.size()) != L * H) s.thumbnails.resize(L * H);
    const ImVec2 origin = ImGui::GetCursorScreenPos();
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const ImU32 ink = ImGui::GetColorU32(ImGuiCol_Text);
    for (int h = 0; h < H; ++h) {
        const std::string label = numbered(thumb >= font * 2 ? "h" : "", h);
        dl->AddText(ImVec2(origin.x + g.label_w + h * (thumb + kGap), origin.y), h == sel.head ? kAccent : ink, label.c_str());
    }
    const float top = origin.y + font * 1.3f + g.tokens;
    if (g.tokens > 0) draw_grid_tokens(dl, t, g, ImVec2(origin.x + g.label_w, top), sel);
    for (int l = 0; l < L; ++l) {
        const float y = top + l * (thumb + kGap);
        dl->AddText(ImVec2(origin.x, y + (thumb - font) * 0.5f), l == sel.layer ? kAccent : ink, numbered("L", l).c_str());
        for (int h = 0; h < H; ++h) {
            const float x = origin.x + g.label_w + h * (thumb + kGap);
            ImGui::SetCursorScreenPos(ImVec2(x, y));
            HeatmapStyle style;
            style.max_cell = thumb / t.n();
            style.max_height = thumb;
            const Matrix& m = t.layers[l].heads[h].attention;
            const HeatmapHit hit = s.thumbnails[l * H + h].draw((numbered("L", l) + numbered("H", h)).c_str(), m, style);
            if (l == sel.layer && h == sel.head)
                dl->AddRect(ImVec2(x - 2, y - 2), ImVec2(x + thumb + 2, y + thumb + 2), kAccent, 0.0f, 0, 2.0f);
            if (!hit.hovered()) continue;
            ImGui::SetTooltip("layer %d, head %d\nattention '%s' -> '%s' = %s\nclick: open layer %d, head %d in every panel", l,
                              h, t.query.tokens[hit.row].c_str(), t.keys.tokens[hit.col].c_str(),
                              format_value(m(hit.row, hit.col)).c_str(), l, h);
            if (hit.clicked) {
                out.layer = l;
                out.head = h;
                out.query = hit.row;
            }
        }
    }
    ImGui::SetCursorScreenPos(ImVec2(origin.x, top + L * (thumb + kGap)));
    ImGui::Dummy(ImVec2(g.width, 1));
}

// An aggregate per layer, layers in reading order across as many columns as give the largest thumbnails.
void draw_aggregates(const Trace& t, const Selection& sel, ModelPanelState& s, float width, float height, Edits& out) {
    const int L = static_cast<int>(t.layers.size());
    const float font = ImGui::GetFontSize(), title = font + 4;
    int per_row = 1;
    float thumb = 0;
    for (int c = 1; c <= L; ++c) {
        const int rows = (L + c - 1) / c;
        const float size = std::floor(std::min(width / c - kGap, height / rows - title - kGap));
        if (size > thumb) thumb = size, per_row = c;
    }
    thumb = std::max(thumb, 4.0f);
    if (static_cast<int>(s.thumbnails.size()) != L) s.thumbnails.resize(L);
    const ImVec2 origin = ImGui::GetCursorScreenPos();
    ImDrawList* dl = ImGui::GetWindowDrawList();
    for (int l = 0; l < L; ++l) {
        const float x = origin.x + (l % per_row) * (thumb + kGap), y = origin.y + (l / per_row) * (thumb + title + kGap);
        dl->AddText(ImVec2(x, y), l == sel.layer ? kAccent : ImGui::GetColorU32(ImGuiCol_Text), numbered("layer ", l).c_str());
        ImGui::SetCursorScreenPos(ImVec2(x, y + title));
        HeatmapStyle style;
        style.max_cell = thumb / t.n();
        style.max_height = thumb;
        const Matrix& m = aggregate(t.layers[l], s.view);
        const HeatmapHit hit = s.thumbnails[l].draw(numbered("L", l).append("agg").c_str(), m, style);
        if (l == sel.layer)
            dl->AddRect(ImVec2(x - 2, y + title - 2), ImVec2(x + thumb + 2, y + title + thumb + 2), kAccent, 0.0f, 0, 2.0f);
        if (!hit.hovered()) continue;
        ImGui::SetTooltip("layer %d\n%s '%s' -> '%s' = %s\nclick: open layer %d in every panel", l,
                          s.view == ModelView::Rollout ? "rollout" : "mean attention", t.query.tokens[hit.row].c_str(),
                          t.keys.tokens[hit.col].c_str(), format_value(m(hit.row, hit.col)).c_str(), l);
        if (hit.clicked) {
            out.layer = l;
            out.query = hit.row;
        }
    }
    const int rows = (L + per_row - 1) / per_row;
    ImGui::SetCursorScreenPos(ImVec2(origin.x, origin.y + rows * (thumb + title + kGap)));
    ImGui::Dummy(ImVec2(per_row * (thumb + kGap), 1));
}

// Token-to-token lines: keys on the left, queries on the right, a line's opacity its weight.
void draw_lines(const Trace& t, const Matrix& weights, const Selection& sel, float height) {
    const int n = t.n();
    const float font = ImGui::GetFontSize();
    const float row = std::max(std::min(height / n, font * 1.4f), 2.0f);
    // A narrow panel narrows the label columns (labels are cut at their edge) before the lines.
    const float width = std::min(ImGui::GetContentRegionAvail().x, font * 28), text_w = std::min(font * 7, width * 0.3f);
    const ImVec2 p = ImGui::GetCursorScreenPos();
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const ImU32 ink = ImGui::GetColorU32(ImGuiCol_Text);
    const float left_x = p.x + text_w, right_x = p.x + width - text_w;
    for (int i = 0; i < n; ++i) {
        const float y = p.y + (i + 0.5f) * row;
        if (row >= font * 0.8f) {
            const char* s = t.query.tokens[i].c_str();
            dl->PushClipRect(ImVec2(p.x, y - font), ImVec2(left_x - 4, y + font), true);
            dl->AddText(ImVec2(left_x - 6 - ImGui::CalcTextSize(s).x, y - font * 0.5f), ink, s);
            dl->PopClipRect();
            dl->PushClipRect(ImVec2(right_x + 4, y - font), ImVec2(p.x + width, y + font), true);
            dl->AddText(ImVec2(right_x + 6, y - font * 0.5f), i == sel.query ? kAccent : ink, s);
            dl->PopClipRect();
        }
    }
    // The faint lines of the other queries without anti-aliasing (a third of the triangles, which a
    // software renderer feels), then the selected query's lines over them, smooth.
    const ImDrawListFlags flags = dl->Flags;
    for (const bool chosen : {false, true}) {
        dl->Flags = chosen ? flags : flags & ~(ImDrawListFlags_AntiAliasedLines | ImDrawListFlags_AntiAliasedLinesUseTex);
        for (int i = 0; i < n; ++i) {
            if ((i == sel.query) != chosen) continue;
            const float y = p.y + (i + 0.5f) * row;
            for (int j = 0; j < n; ++j) {
                const double w = weights(i, j);
                if (!(w > 0.02)) continue;
                const int alpha = static_cast<int>(std::min(1.0, w) * (chosen ? 255 : 110));
                const ImU32 col = chosen ? IM_COL32(255, 80, 40, alpha) : IM_COL32(90, 160, 255, alpha);
                dl->AddLine(ImVec2(left_x, p.y + (j + 0.5f) * row), ImVec2(right_x, y), col, chosen ? 2.5f : 1.5f);
            }
        }
    }
    dl->Flags = flags;
    ImGui::Dummy(ImVec2(width, row * n));
}

// A token as one readable line: newlines, tabs and carriage returns spelled out.
std::string one_line(const std::string& piece) {
    std::string out;
    for (char c : piece) {
        if (c == '\n') out += "\\n";
        else if (c == '\t') out += "\\t";
        else if (c == '\r') out += "\\r";
        else out += c;
    }
    return out;
}

void draw_next_tokens(const Trace& t) {
    ImGui::TextUnformatted("Next token (top 5)");
    const float bar = ImGui::GetFontSize() * 10;
    for (const TokenPrediction& p : t.next_tokens) {
        const float h = ImGui::GetFontSize();
        const ImVec2 c = ImGui::GetCursorScreenPos();
        ImGui::GetWindowDrawList()->AddRectFilled(ImVec2(c.x, c.y + 2), ImVec2(c.x + bar, c.y + h - 1),
                                                  ImGui::GetColorU32(ImGuiCol_FrameBg));
        ImGui::GetWindowDrawList()->AddRectFilled(ImVec2(c.x, c.y + 2),
                                                  ImVec2(c.x + bar * static_cast<float>(p.probability), c.y + h - 1),
                                                  IM_COL32(90, 160, 255, 230));
        ImGui::Dummy(ImVec2(bar, h));
        ImGui::SameLine();
        ImGui::Text("%.1f%%  '%s'  (id %d)", 100.0 * p.probability, one_line(p.piece).c_str(), p.id);
    }
}

}  // namespace

Edits switch_model(const Inputs& inputs, const std::string& model) {
    Inputs next = inputs;
    next.model = model;
    if (!model.empty()) {
        next.cross_text.clear();
        next.edits.clear();
        next.variant = VariantParams{};
    }
    Edits out;
    out.inputs = next;
    return out;
}

Edits draw_model_panel(const Trace* trace, const Inputs& inputs, const std::string& error, const RunStatus& status,
                       const Selection& sel, ModelPanelState& s) {
    Edits out;
    if (s.box_model != inputs.model) s.path = inputs.model, s.box_model = inputs.model;  // opened from elsewhere too
    draw_open_row(trace, inputs, error, status, s, out);
    if (inputs.model.empty()) {
        ImGui::TextWrapped("Showing the synthetic single-layer engine. Open a GPT-2 model folder (Hugging Face layout: "
                           "config.json, model.safetensors, vocab.json + merges.txt) to see every layer and head of a "
                           "real model on your sentence; `attnscope model synth --out DIR` writes a random one.");
        return out;
    }
    if (!trace || !trace->has_model()) {
        ImGui::TextWrapped("The model cannot run: %s", error.c_str());
        return out;
    }
    const Trace& t = *trace;
    const int L = static_cast<int>(t.layers.size()), H = t.inputs.heads;
    ImGui::Text("GPT-2, %d layers x %d heads, d_model %d: %d tokens. Panels show layer %d, head %d.", L, H, t.inputs.d_model,
                t.n(), sel.layer, sel.head);
    int view = static_cast<int>(s.view);
    ImGui::RadioButton("heads", &view, 0);
    ImGui::SameLine();
    ImGui::RadioButton("mean over heads", &view, 1);
    ImGui::SameLine();
    ImGui::RadioButton("attention rollout", &view, 2);
    if (view != static_cast<int>(s.view)) s.view = static_cast<ModelView>(view), s.thumbnails.clear();

    const float avail_h = ImGui::GetContentRegionAvail().y;
    const float font = ImGui::GetFontSize();
    const float side_w = std::min(ImGui::GetContentRegionAvail().x * 0.38f, font * 30);
    const float grid_w = ImGui::GetContentRegionAvail().x - side_w;
    if (s.view == ModelView::Heads) {
        const GridSize grid = grid_size(L, H, t.query.tokens, grid_w, avail_h - font * 2.4f);
        ImGui::BeginChild("grid", ImVec2(grid.width + font, 0));
        draw_grid(t, sel, s, grid, out);
        ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
        ImGui::TextWrapped("Each square: rows are queries, columns keys (%d tokens%s). Hover a cell for its tokens and "
                           "weight; click to open that layer and head everywhere.", t.n(),
                           grid.tokens > 0 ? ", labelled on the first" : "");
        ImGui::PopStyleColor();
    } else {
        ImGui::BeginChild("grid", ImVec2(grid_w, 0));
        draw_aggregates(t, sel, s, grid_w - font, avail_h - font, out);
    }
    ImGui::EndChild();
    ImGui::SameLine();
    ImGui::BeginChild("side", ImVec2(0, 0));
    const int layer = std::clamp(sel.layer, 0, L - 1), head = std::clamp(sel.head, 0, H - 1);
    const Matrix& lines = s.view == ModelView::Heads ? t.layers[layer].heads[head].attention
                                                     : aggregate(t.layers[layer], s.view);
    if (s.view == ModelView::Heads)
        ImGui::Text("Layer %d, head %d: who attends to whom", layer, head);
    else
        ImGui::Text("Layer %d, %s", layer, s.view == ModelView::Rollout ? "rollout from the input" : "mean over heads");
    ImGui::TextDisabled("keys (left) -> queries (right)");
    draw_lines(t, lines, sel, ImGui::GetContentRegionAvail().y - font * 9);
    ImGui::Separator();
    draw_next_tokens(t);
    ImGui::EndChild();
    return out;
}

}  // namespace attnscope::gui
