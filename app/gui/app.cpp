#include "gui/app.hpp"

#include <imgui.h>
#include <epoxy/gl.h>

#include <algorithm>
#include <cstdlib>
#include <chrono>
#include <cstdio>
#include <tuple>

#include <nlohmann/json.hpp>

#include "attnscope/error.hpp"
#include "attnscope/export.hpp"
#include "gui/frame.hpp"
#include "gui/open_path.hpp"
#include "gui/panels/input.hpp"
#include "gui/png.hpp"
#include "gui/widgets/heatmap.hpp"
#include "gui/widgets/plot.hpp"
#include "gui/widgets/texts_drawn.hpp"
#include "gui/window.hpp"

namespace attnscope::gui {
namespace {

// Left/Right arrows step through the forward pass unless a text field has the keyboard.
Edits keyboard_edits(const GuiWindow& window, AppState& app) {
    Edits e;
    const ImGuiIO& io = ImGui::GetIO();
    if (io.WantTextInput) return e;  // a text field has its own undo and arrow keys
    if (io.KeyCtrl && window.key_pressed(ImGuiKey_Z)) io.KeyShift ? redo(app) : undo(app);
    const bool model = app.trace && app.trace->has_model();
    if (window.key_pressed(ImGuiKey_RightArrow)) e.step = step_after(app.selection.step, 1, model);
    if (window.key_pressed(ImGuiKey_LeftArrow)) e.step = step_after(app.selection.step, -1, model);
    return e;
}

void frame(GuiWindow& window, AppState& app, const FrameLayout& layout) {
    poll_run(app);
    window.begin_frame(app);
    apply(app, keyboard_edits(window, app));
    for (const std::string& path : window.take_dropped()) open_path(app, path);
    draw_frame(app, layout);
}

// Draws frames until no run is queued or on and the last one's result is on screen (a frame can
// request a run, e.g. a lesson step setting its inputs).
void settle(GuiWindow& window, AppState& app, const FrameLayout& layout) {
    for (int i = 0; i < 100 && (app.runner->busy() || i < 1); ++i) {
        app.runner->wait_idle();
        frame(window, app, layout);
        window.end_frame();
    }
}

// The last frame's heatmaps as {"width", "height", "heatmaps": [{id, x0, y0, x1, y1, rows, cols}],
// "plots": [{id, x0, y0, x1, y1, x_range, y_range, x_scale, y_scale, series: [{name, rgba, dashed,
// points}]}]}, in the PNG's pixels, so that tests can find cells and curves without guessing the layout.
std::string layout_to_json(const AppState& app, int w, int h) {
    const ImVec2 scale = ImGui::GetIO().DisplayFramebufferScale;
    nlohmann::json list = nlohmann::json::array();
    for (const HeatmapPlacement& p : heatmaps_drawn_this_frame())
        list.push_back({{"id", p.id}, {"x0", p.x0 * scale.x}, {"y0", p.y0 * scale.y}, {"x1", p.x1 * scale.x},
                        {"y1", p.y1 * scale.y}, {"rows", p.rows}, {"cols", p.cols}, {"marked", p.marked}});
    nlohmann::json plots = nlohmann::json::array();
    for (const PlotPlacement& p : plots_drawn_this_frame()) {
        nlohmann::json series = nlohmann::json::array();
        for (const PlotPlacement::Series& s : p.series) {
            nlohmann::json points = nlohmann::json::array();
            for (const ImVec2& q : s.points) points.push_back({q.x * scale.x, q.y * scale.y});
            const ImVec4 c = ImGui::ColorConvertU32ToFloat4(s.color);
            series.push_back({{"name", s.name}, {"rgba", {c.x * 255, c.y * 255, c.z * 255, c.w * 255}},
                              {"dashed", s.dashed}, {"points", points}});
        }
        auto scale_name = [](AxisScale a) { return a == AxisScale::Linear ? "linear" : a == AxisScale::Log2 ? "log2" : "log10"; };
        plots.push_back({{"id", p.id}, {"x0", p.x0 * scale.x}, {"y0", p.y0 * scale.y}, {"x1", p.x1 * scale.x},
                         {"y1", p.y1 * scale.y}, {"x_range", {p.x_lo, p.x_hi}}, {"y_range", {p.y_lo, p.y_hi}},
                         {"x_scale", scale_name(p.x_scale)}, {"y_scale", scale_name(p.y_scale)}, {"series", series}});
    }
    nlohmann::json windows = nlohmann::json::array();
    for (std::size_t i = 0; i < app.layout.placed.size(); ++i)
        if (const std::optional<Rect>& r = app.layout.placed[i])
            windows.push_back({{"id", panels()[i].id}, {"title", panels()[i].title}, {"x0", r->x0 * scale.x},
                               {"y0", r->y0 * scale.y}, {"x1", r->x1 * scale.x}, {"y1", r->y1 * scale.y}});
    nlohmann::json targets = nlohmann::json::array();
    for (const DrawnTarget& t : targets_drawn_this_frame())
        targets.push_back({{"label", t.label}, {"x0", t.x0 * scale.x}, {"y0", t.y0 * scale.y}, {"x1", t.x1 * scale.x},
                           {"y1", t.y1 * scale.y}});
    nlohmann::json texts = nlohmann::json::array();
    for (const DrawnText& t : texts_drawn_this_frame()) texts.push_back({{"panel", t.panel}, {"text", t.text}});
    return nlohmann::json{{"width", w},
                          {"height", h},
                          {"workspace", workspaces()[app.layout.workspace].id},
                          {"arranged", app.layout.arranged},
                          {"welcome", app.layout.welcome},
                          {"text", app.inputs.text},
                          {"model", app.inputs.model},
                          {"error", app.error},
                          {"trace_model", app.trace ? app.trace->inputs.model : std::string()},
                          {"trace_tokens", app.trace ? app.trace->n() : 0},
                          {"trace_layers", app.trace ? app.trace->layer_count() : 0},
                          {"edits", app.inputs.edits.size()},
                          {"undo", app.undo.size()},
                          {"redo", app.redo.size()},
                          {"selection",
                           {{"step", step_info(app.selection.step).id},
                            {"layer", app.selection.layer},
                            {"head", app.selection.head},
                            {"query", app.selection.query}}},
                          {"menu_bar_height", app.layout.menu_height * scale.y},
                          {"windows", windows},
                          {"targets", targets},
                          {"heatmaps", list},
                          {"plots", plots},
                          {"texts", texts}}
               .dump(2) +
           "\n";
}

double percentile(std::vector<double> v, double p) {
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<size_t>(p * (v.size() - 1) + 0.5))];
}

}  // namespace

void run_gui(AppState app) {
    WindowOptions options;
    options.fill_screen = true;
    GuiWindow window(options);
    keep_layout_in_ini(app);
    request_run(app);  // the first frames say it is computing; the window opens at once
    // Tests of the live app (tests/app/gui_use.py) read its layout from here, written when it changes.
    const char* layout_file = std::getenv("ATTNSCOPE_LAYOUT_JSON");
    std::string written;
    auto kept = [&app] { return std::tuple(app.layout.workspace, app.layout.arranged, app.layout.welcome); };
    auto last_kept = kept();
    while (!window.should_close()) {
        window.wait_for_next_frame();
        frame(window, app, FrameLayout{});
        window.end_frame();
        if (kept() != last_kept && ImGui::GetIO().IniFilename) {  // saved at once: a killed app keeps it too
            last_kept = kept();
            ImGui::SaveIniSettingsToDisk(ImGui::GetIO().IniFilename);
        }
        if (layout_file) {
            const ImGuiIO& io = ImGui::GetIO();
            std::string json = layout_to_json(app, static_cast<int>(io.DisplaySize.x * io.DisplayFramebufferScale.x),
                                              static_cast<int>(io.DisplaySize.y * io.DisplayFramebufferScale.y));
            if (json != written) write_file_atomic(layout_file, written = std::move(json));
        }
    }
}

namespace {

// The workspace and panels a render request names, opened in `app`.
void open_requested(AppState& app, const RenderRequest& req) {
    if (!req.workspace.empty()) {
        const Workspace* w = find_workspace(req.workspace);
        if (!w) throw Error("unknown workspace '" + req.workspace + "': choose from " + workspace_ids());
        const std::vector<bool> extra = open_flags(app);  // panels the other options opened (a lesson, a sweep)
        open_workspace(app, workspace_index(w->id));
        for (std::size_t i = 0; i < extra.size(); ++i)
            if (extra[i] && !in_workspace(workspaces().front(), panels()[i].id)) app.panel_slots[i].open = true;
    }
    app.layout.welcome = req.welcome;
    if (req.panels.empty()) return;
    for (PanelSlot& slot : app.panel_slots) slot.open = false;
    for (const std::string& id : req.panels) {
        if (!find_panel(id)) {
            std::string ids;
            for (const PanelInfo& q : panels()) ids += (ids.empty() ? "" : ", ") + std::string(q.id);
            throw Error("unknown panel '" + id + "': choose from " + ids);
        }
        panel_open(app, id) = true;
    }
}

// As if `text` had been typed into the Input panel: the panel's field and the edit it sends (the run
// goes on in the background).
void type_into_input(AppState& app, const std::string& text) {
    InputPanelState& typing = panel_state<InputPanelState>(app, "input");
    typing.text = text;
    typing.synced = true;
    Edits e;
    e.inputs = app.inputs;
    e.inputs->text = text;
    apply(app, e);
}

// What --report prints, gathered frame by frame.
struct FrameTimes {
    std::vector<double> ms, build_ms;  // whole frames; building them (panels and ImGui, before OpenGL draws)
    std::vector<double> drawn;         // the share of the pixels each frame redrew, in %
    std::vector<double> new_trace_ms;  // frames that showed a trace the last frame did not

    void print(const AppState& app, const GuiWindow& window, bool retype) {
        const size_t warmup = std::min<size_t>(ms.size() - 1, 2);  // the first frames build fonts and textures
        for (std::vector<double>* v : {&ms, &build_ms, &drawn}) v->erase(v->begin(), v->begin() + warmup);
        std::printf("frames %zu  median %.2f ms  p95 %.2f ms  max %.2f ms  (n=%d, d_model=%d, heads=%d)\n", ms.size(),
                    percentile(ms, 0.5), percentile(ms, 0.95), percentile(ms, 1.0), app.trace ? app.trace->n() : 0,
                    app.trace ? app.trace->inputs.d_model : app.inputs.d_model,
                    app.trace ? app.trace->inputs.heads : app.inputs.heads);
        std::printf("building frames (panels, ImGui; the rest is OpenGL drawing them)  median %.2f ms  p95 %.2f ms  max %.2f ms\n",
                    percentile(build_ms, 0.5), percentile(build_ms, 0.95), percentile(build_ms, 1.0));
        std::printf("drawing %s: pixels redrawn per frame  median %.1f%%  p95 %.1f%%\n", window.drawing().c_str(),
                    percentile(drawn, 0.5), percentile(drawn, 0.95));
        if (!retype) return;  // a run finishes between two keys only when it is quicker than a frame
        std::printf("frames that showed a new trace: %zu", new_trace_ms.size());
        if (!new_trace_ms.empty()) std::printf("  median %.2f ms", percentile(new_trace_ms, 0.5));
        std::printf("\n");
    }
};

}  // namespace

void render_screenshot(AppState app, const RenderRequest& req) {
    if (req.width < 64 || req.height < 64 || req.width > 8192 || req.height > 8192)
        throw Error("size " + std::to_string(req.width) + "x" + std::to_string(req.height) +
                    " is out of range: use 64x64 to 8192x8192, e.g. --size 1600x960");
    if (req.frames < 1 || req.frames > 100000) throw Error("frames must be between 1 and 100000");
    open_requested(app, req);
    WindowOptions options{req.width, req.height, false, false};
    options.mouse = false;
    GuiWindow window(options);
    rerun(app);
    const FrameLayout layout{!req.panels.empty()};  // chosen panels fill the screen; else the usual layout
    const std::string typed = app.inputs.text;
    FrameTimes times;
    std::string shown = app.trace ? app.trace->inputs.text : std::string();
    std::vector<unsigned char> pixels;
    int w = 0, h = 0;
    for (int i = 0; i < req.frames; ++i) {
        const bool last = i + 1 == req.frames;
        if (req.retype)  // a key per frame; the capture shows the sentence as given
            type_into_input(app, last ? typed : typed.substr(0, std::max<std::size_t>(1, typed.size() - (i % 8))));
        if (last) settle(window, app, layout);
        const auto start = std::chrono::steady_clock::now();
        frame(window, app, layout);
        times.build_ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
        if (last) {
            pixels = window.end_frame_captured(w, h);
        } else {
            window.end_frame();
            glFinish();  // count the GPU's work in the frame time
        }
        times.ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
        times.drawn.push_back(100 * window.drawn_share());
        if (const std::string now = app.trace ? app.trace->inputs.text : std::string(); now != shown) {
            shown = now;
            if (!last) times.new_trace_ms.push_back(times.ms.back());
        }
    }
    write_file_atomic(req.out, encode_png(pixels, w, h));
    if (!req.layout_json.empty()) write_file_atomic(req.layout_json, layout_to_json(app, w, h));
    if (req.report) times.print(app, window, req.retype);
}

}  // namespace attnscope::gui
