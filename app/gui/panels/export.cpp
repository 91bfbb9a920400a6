// Export panel: PNG of a heatmap, CSV and NPY of a matrix, the trace as JSON, session save and load.
#include "gui/panels/export.hpp"

#include <imgui.h>
#include <imgui_stdlib.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>

#include "attnscope/error.hpp"
#include "attnscope/export.hpp"
#include "attnscope/trace_json.hpp"
#include "gui/png.hpp"
#include "gui/session.hpp"
#include "gui/widgets/texts_drawn.hpp"
#include "gui/widgets/tones.hpp"

namespace attnscope::gui {
namespace {

namespace fs = std::filesystem;

constexpr const char* kTraceFile = "attnscope-trace.json";

struct Scale {
    Colormap map;
    double lo, hi;
};

Scale scale_for(const NamedMatrix& m) {
    if (m.weights) return {Colormap::Viridis, 0.0, 1.0};
    double r = 0.0;
    for (Eigen::Index i = 0; i < m.values->size(); ++i)
        if (std::isfinite(m.values->data()[i])) r = std::max(r, std::abs(m.values->data()[i]));
    if (r == 0.0) r = 1.0;  // an all-zero matrix (positional "none") still gets a valid scale
    return {Colormap::Diverging, -r, r};
}

void add_sequence(std::vector<NamedMatrix>& out, const SequenceTrace& s, const std::string& prefix,
                  const std::string& group) {
    out.push_back({prefix + "embeddings", group, &s.embeddings, false, &s.tokens});
    out.push_back({prefix + "positional", group, &s.positional, false, &s.tokens});
    out.push_back({prefix + "input", group, &s.input, false, &s.tokens});
}

void add_head(std::vector<NamedMatrix>& out, const Trace& t, const LayerTrace& layer, int h) {
    const HeadTrace& head = layer.heads[h];
    const std::string p = "head" + std::to_string(h) + "_", g = "head " + std::to_string(h);
    const auto* q = &t.query.tokens;
    const auto* k = &t.keys.tokens;
    out.push_back({p + "Q", g, &head.Q, false, q});
    out.push_back({p + "K", g, &head.K, false, k});
    out.push_back({p + "V", g, &head.V, false, k});
    out.push_back({p + "scores", g, &head.scores, false, q, k});
    if (head.bias.size() > 0) out.push_back({p + "bias", g, &head.bias, false, q, k});
    out.push_back({p + "scaled", g, &head.scaled, false, q, k});
    out.push_back({p + "logits", g, &head.logits, false, q, k});
    out.push_back({p + "attention", g, &head.attention, true, q, k});
    out.push_back({p + "output", g, &head.output, false, q});
}

std::string shape(const Matrix& m) { return std::to_string(m.rows()) + " x " + std::to_string(m.cols()); }

// Shown in place of a result: e.what() already says what went wrong and how to fix it.
void report(ExportPanelState& state, std::string message, bool error) {
    state.status = std::move(message);
    state.status_is_error = error;
}

std::string shown_path(const std::string& path) {
    std::error_code ec;
    const fs::path abs = fs::absolute(path, ec);
    return ec ? path : abs.lexically_normal().string();
}

std::string folder_of(const ExportPanelState& state) { return state.folder.empty() ? "." : state.folder; }

void check_folder(const ExportPanelState& state) {
    std::error_code ec;
    if (!fs::is_directory(folder_of(state), ec))
        throw Error("folder '" + folder_of(state) +
                    "' does not exist: create it, or type an existing folder (. is the working folder)");
}

// Writes what `make_bytes` returns to `file` in the chosen folder; the outcome goes to the status line.
void save_file(ExportPanelState& state, const std::string& file, const std::string& what,
               const std::function<std::string()>& make_bytes) {
    const std::string path = in_folder(state, file);
    try {
        check_folder(state);
        const std::string bytes = make_bytes();
        write_file_atomic(path, bytes);
        report(state, "Saved " + what + " to " + shown_path(path) + " (" + describe_size(bytes.size()) + ")", false);
    } catch (const std::exception& e) {  // std::bad_alloc for a huge trace as well as Error
        report(state, std::string("Not saved: ") + e.what(), true);
    }
}

const NamedMatrix& chosen_matrix(const std::vector<NamedMatrix>& all, const Selection& sel, ExportPanelState& state) {
    auto named = [&](const std::string& name) {
        return std::find_if(all.begin(), all.end(), [&](const NamedMatrix& m) { return m.name == name; });
    };
    auto it = named(state.matrix);
    if (it == all.end()) {
        state.matrix.clear();  // the chosen head is gone (fewer heads now): follow the selection again
        it = named("head" + std::to_string(sel.head) + "_attention");
    }
    return it != all.end() ? *it : all.front();
}

void matrix_combo(const std::vector<NamedMatrix>& all, const NamedMatrix& current, ExportPanelState& state) {
    const std::string preview = current.name + "  (" + shape(*current.values) + ")";
    if (!ImGui::BeginCombo("matrix", preview.c_str(), ImGuiComboFlags_HeightLarge)) return;
    const std::string* group = nullptr;
    for (const NamedMatrix& m : all) {
        if (!group || *group != m.group) ImGui::TextDisabled("%s", m.group.c_str());
        group = &m.group;
        const std::string label = "  " + m.name + "  (" + shape(*m.values) + ")";
        if (ImGui::Selectable(label.c_str(), m.name == current.name)) state.matrix = m.name;
    }
    ImGui::EndCombo();
}

void file_buttons(const Trace& t, const NamedMatrix& m, ExportPanelState& state) {
    if (ImGui::Button("Save CSV")) export_matrix(m, ExportFormat::Csv, state);
    ImGui::SameLine();
    if (ImGui::Button("Save NPY")) export_matrix(m, ExportFormat::Npy, state);
    ImGui::SameLine();
    if (ImGui::Button("Save PNG")) export_matrix(m, ExportFormat::Png, state);
    if (ImGui::IsItemHovered())
        ImGui::SetTooltip("A figure: the matrix coloured as in the preview below (masked cells grey),\n"
                          "its tokens on both axes, its name and a colour bar with the scale.");
    ImGui::SameLine();
    if (ImGui::Button("Save trace JSON")) export_trace(t, state);
    if (ImGui::IsItemHovered())
        ImGui::SetTooltip("Every stage of this forward pass (schema attnscope.trace/1),\n"
                          "the same file as `attnscope trace --out FILE.json`.");
}

Edits session_row(const Trace& t, const Selection& sel, ExportPanelState& state) {
    // The buttons first in width: the text box takes what is left, so nothing runs off the edge.
    const ImGuiStyle& st = ImGui::GetStyle();
    const float buttons = ImGui::CalcTextSize("Save").x + ImGui::CalcTextSize("Load...").x +
                          ImGui::CalcTextSize("session file").x + 4 * st.FramePadding.x + 3 * st.ItemSpacing.x +
                          st.ItemInnerSpacing.x;
    ImGui::SetNextItemWidth(std::clamp(ImGui::GetContentRegionAvail().x - buttons, ImGui::GetFontSize() * 4,
                                       ImGui::GetFontSize() * 18));
    ImGui::InputText("session file", &state.session_path);
    if (ImGui::IsItemHovered())
        ImGui::SetTooltip("In the folder above (unless a full path): %s", in_folder(state, state.session_path).c_str());
    ImGui::SameLine();
    if (ImGui::Button("Save")) save_session(t, sel, state);
    note_target("Export: Save");
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("The inputs (text, sizes, options, edited cells) and the view.");
    ImGui::SameLine();
    const bool load = ImGui::Button("Load...");
    note_target("Export: Load...");
    if (load) {
        state.session_browser.open("Load a session", FileBrowser::Pick::File, {".json"},
                                   in_folder(state, state.session_path));
    }
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("Pick a session file to load. You can also drop one on the window.");
    if (const std::optional<std::string> picked = state.session_browser.draw()) {
        state.session_path = *picked;
        return load_session(state);
    }
    return {};
}

void status_line(const ExportPanelState& state, const NamedMatrix& m) {
    if (state.status.empty()) {
        const std::string stem = in_folder(state, m.name);
        ImGui::TextDisabled("Writes %s.csv / .npy / .png, or %s beside them.", stem.c_str(), kTraceFile);
        return;
    }
    const ImVec4 color = tone(state.status_is_error ? Tone::Error : Tone::Good);
    ImGui::PushStyleColor(ImGuiCol_Text, color);
    ImGui::TextWrapped("%s", state.status.c_str());
    ImGui::PopStyleColor();
}

void preview(const NamedMatrix& m, ExportPanelState& state) {
    const Scale s = scale_for(m);
    ImGui::Text("Preview of %s (%s), as the PNG colours it:", m.name.c_str(), shape(*m.values).c_str());
    HeatmapStyle style;
    style.map = s.map, style.lo = s.lo, style.hi = s.hi;
    style.row_labels = m.row_labels;
    style.col_labels = m.col_labels;
    style.max_height = ImGui::GetContentRegionAvail().y - ImGui::GetFontSize() * 2.5f;
    state.preview.draw("export_preview", *m.values, style);
    const bool masked = std::any_of(m.values->data(), m.values->data() + m.values->size(),
                                    [](double v) { return !std::isfinite(v); });
    draw_colorbar(s.map, s.lo, s.hi, masked);
}

}  // namespace

void export_matrix(const NamedMatrix& m, ExportFormat format, ExportPanelState& state) {
    switch (format) {
        case ExportFormat::Csv:
            return save_file(state, m.name + ".csv", m.name + " as CSV", [&] { return matrix_to_csv(*m.values); });
        case ExportFormat::Npy:
            return save_file(state, m.name + ".npy", m.name + " as NPY", [&] { return matrix_to_npy(*m.values); });
        case ExportFormat::Png:
            return save_file(state, m.name + ".png", m.name + " as PNG", [&] { return matrix_png(m); });
    }
}

void export_trace(const Trace& t, ExportPanelState& state) {
    save_file(state, kTraceFile, "the whole trace", [&] { return to_json(t).dump(1) + "\n"; });
}

std::string in_folder(const ExportPanelState& state, const std::string& file) {
    return fs::path(file).is_absolute() ? file : (fs::path(folder_of(state)) / file).string();
}

Edits load_session(ExportPanelState& state) {
    Edits out;
    const std::string path = in_folder(state, state.session_path);
    try {
        const Session s = parse_session(read_file(path));
        out = session_edits(s);
        report(state, "Loaded " + shown_path(path) + ": step '" + step_info(s.selection.step).title +
                          "', head " + std::to_string(s.selection.head) + ", query " +
                          std::to_string(s.selection.query), false);
    } catch (const std::exception& e) {
        report(state, "Not loaded: " + std::string(e.what()), true);
    }
    return out;
}

void save_session(const Trace& t, const Selection& sel, ExportPanelState& state) {
    const std::string path = in_folder(state, state.session_path);
    try {
        if (!fs::path(state.session_path).is_absolute()) check_folder(state);
        write_file_atomic(path, session_to_json(t.inputs, sel).dump(2) + "\n");
        report(state, "Saved the session (inputs, head, query, step) to " + shown_path(path), false);
    } catch (const std::exception& e) {
        report(state, "Session not saved: " + std::string(e.what()), true);
    }
}

std::vector<NamedMatrix> trace_matrices(const Trace& t, const LayerTrace& layer) {
    std::vector<NamedMatrix> out;
    add_sequence(out, t.query, "", t.cross ? "query text" : "tokens and positions");
    if (t.cross) add_sequence(out, t.keys, "cross_", "key/value text");
    const std::string w = "weights";
    out.push_back({"W_Q", w, &layer.W_Q}), out.push_back({"W_K", w, &layer.W_K});
    out.push_back({"W_V", w, &layer.W_V}), out.push_back({"W_O", w, &layer.W_O});
    if (layer.relative_table.size() > 0) out.push_back({"relative_bias_table", w, &layer.relative_table});
    const std::string p = "projections (before the head split)";
    out.push_back({"Q", p, &layer.Q, false, &t.query.tokens});
    out.push_back({"K", p, &layer.K, false, &t.keys.tokens});
    out.push_back({"V", p, &layer.V, false, &t.keys.tokens});
    for (int h = 0; h < static_cast<int>(layer.heads.size()); ++h) add_head(out, t, layer, h);
    out.push_back({"concat", "heads combined", &layer.concat, false, &t.query.tokens});
    out.push_back({"output", "heads combined", &layer.output, false, &t.query.tokens});
    return out;
}

std::string matrix_png(const NamedMatrix& m) {
    const Scale s = scale_for(m);
    FigureStyle style;
    style.map = s.map, style.lo = s.lo, style.hi = s.hi;
    style.row_labels = m.row_labels, style.col_labels = m.col_labels;
    style.title = m.name + " (" + shape(*m.values) + ")";
    if (m.row_labels && m.col_labels) style.title += ", rows: queries, columns: keys";
    const Figure f = heatmap_figure(*m.values, style);
    return encode_png(f.image.rgba, f.image.width, f.image.height);
}

Edits draw_export_panel(const Trace& t, const Selection& sel, ExportPanelState& state) {
    const LayerTrace& layer = t.layer(sel.layer);
    const std::vector<NamedMatrix> all = trace_matrices(t, layer);
    const NamedMatrix& m = chosen_matrix(all, sel, state);
    ImGui::PushItemWidth(ImGui::GetFontSize() * 18);
    ImGui::InputText("folder", &state.folder);
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("Where CSV, NPY, PNG, the trace JSON and the session are written.");
    ImGui::SameLine();
    const bool browse = ImGui::Button("Browse...");
    note_target("Export: Browse...");
    if (browse)
        state.folder_browser.open("Export to a folder", FileBrowser::Pick::Folder, {}, folder_of(state));
    if (const std::optional<std::string> picked = state.folder_browser.draw()) state.folder = *picked;
    matrix_combo(all, m, state);
    ImGui::PopItemWidth();
    file_buttons(t, m, state);
    const Edits out = session_row(t, sel, state);
    status_line(state, m);
    ImGui::Separator();
    preview(m, state);
    return out;
}

}  // namespace attnscope::gui
