#include "gui/frame.hpp"

#include <epoxy/gl.h>
#include <imgui.h>

#include <algorithm>
#include <cmath>

namespace attnscope::gui {
namespace {

bool shows_step(const PanelInfo& p, Step s) { return std::find(p.steps.begin(), p.steps.end(), s) != p.steps.end(); }

// Places the next window at fractions (x, y, w, h) of the area below the menu bar.
void place_window(float x, float y, float w, float h, ImGuiCond cond) {
    const ImGuiViewport* vp = ImGui::GetMainViewport();
    ImGui::SetNextWindowPos(ImVec2(vp->WorkPos.x + x * vp->WorkSize.x, vp->WorkPos.y + y * vp->WorkSize.y), cond);
    ImGui::SetNextWindowSize(ImVec2(w * vp->WorkSize.x, h * vp->WorkSize.y), cond);
}

// Screenshots: the open windows in a grid that fills the screen.
void place_in_grid(int index, int count) {
    const int cols = count <= 1 ? 1 : count <= 4 ? 2 : 3;
    const int rows = (count + cols - 1) / cols;
    place_window(float(index % cols) / cols, float(index / cols) / rows, 1.0f / cols, 1.0f / rows, ImGuiCond_Always);
}

// The current step's banner at the top of a panel that shows it.
void step_banner(Step step, bool model) {
    const StepInfo& info = step_info(step, model);
    ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(1.0f, 0.62f, 0.25f, 1.0f));
    ImGui::Text("Step %d/%zu  %s:  %s", position_of(step, model) + 1, steps_of(model).size(), info.title, info.formula);
    ImGui::PopStyleColor();
    ImGui::Separator();
}

void draw_menu(AppState& app) {
    if (!ImGui::BeginMainMenuBar()) return;
    if (ImGui::BeginMenu("View")) {
        for (std::size_t i = 0; i < panels().size(); ++i) {
            bool open = app.panel_slots[i].open;
            if (ImGui::MenuItem(panels()[i].title, nullptr, &open)) app.panel_slots[i].open = open;
        }
        ImGui::Separator();
        if (ImGui::MenuItem("Dark theme", nullptr, app.theme == Theme::Dark)) app.theme = Theme::Dark;
        if (ImGui::MenuItem("Light theme", nullptr, app.theme == Theme::Light)) app.theme = Theme::Light;
        ImGui::EndMenu();
    }
    const bool model = app.trace && app.trace->has_model();
    const StepInfo& info = step_info(app.selection.step, model);
    ImGui::TextDisabled("|  step %d/%zu: %s   layer %d   head %d   query %d", position_of(app.selection.step, model) + 1,
                        steps_of(model).size(), info.title, app.selection.layer, app.selection.head, app.selection.query);
    ImGui::EndMainMenuBar();
}

Edits draw_panel_body(const PanelInfo& p, AppState& app, void* state) {
    if (p.needs_trace && !app.trace) {
        if (app.error.empty()) {
            ImGui::TextDisabled("Computing the first trace...");
        } else {
            ImGui::TextWrapped("Nothing to show: %s", app.error.c_str());
            ImGui::TextDisabled("Fix the input in the Input panel.");
        }
        return {};
    }
    return p.draw(app, state);
}

// A software rasterizer (llvmpipe) spends most of a frame shading window backgrounds as blended, textured
// quads. Panels instead clear their rectangle with a scissored glClear, put first in the window's draw list so
// the windows' stacking order still holds.
void clear_window_rect(const ImDrawList*, const ImDrawCmd* cmd) {
    const ImDrawData* data = ImGui::GetDrawData();
    const ImVec2 scale = data->FramebufferScale;
    const ImVec4& r = cmd->ClipRect;
    const float fb_height = data->DisplaySize.y * scale.y;
    const int x0 = static_cast<int>((r.x - data->DisplayPos.x) * scale.x);
    const int y1 = static_cast<int>((r.w - data->DisplayPos.y) * scale.y);
    glScissor(x0, static_cast<int>(fb_height) - y1, static_cast<int>((r.z - r.x) * scale.x),
              static_cast<int>((r.w - r.y) * scale.y));
    const ImVec4 bg = ImGui::GetStyleColorVec4(ImGuiCol_WindowBg);
    glClearColor(bg.x, bg.y, bg.z, 1.0f);
    glClear(GL_COLOR_BUFFER_BIT);
}

void clear_background_first() {
    ImDrawList* list = ImGui::GetWindowDrawList();
    ImDrawCmd cmd;
    const ImVec2 pos = ImGui::GetWindowPos(), size = ImGui::GetWindowSize();
    cmd.ClipRect = ImVec4(pos.x, pos.y, pos.x + size.x, pos.y + size.y);
    cmd.UserCallback = clear_window_rect;
    list->CmdBuffer.insert(list->CmdBuffer.begin(), cmd);
}

}  // namespace

void draw_frame(AppState& app, const FrameLayout& layout) {
    draw_menu(app);
    int open_count = 0;
    for (const PanelSlot& slot : app.panel_slots) open_count += slot.open;
    Edits edits;
    int index = 0;
    for (std::size_t i = 0; i < panels().size(); ++i) {
        const PanelInfo& p = panels()[i];
        bool open = app.panel_slots[i].open;
        if (!open) continue;
        if (layout.tile)
            place_in_grid(index++, open_count);
        else
            place_window(p.x, p.y, p.w, p.h, ImGuiCond_FirstUseEver);
        const bool current = shows_step(p, app.selection.step);
        if (current) ImGui::PushStyleColor(ImGuiCol_TitleBgActive, ImVec4(0.75f, 0.38f, 0.08f, 1.0f)),
                     ImGui::PushStyleColor(ImGuiCol_TitleBg, ImVec4(0.55f, 0.28f, 0.06f, 1.0f));
        const bool visible = ImGui::Begin(p.title, &open, ImGuiWindowFlags_NoBackground);
        clear_background_first();
        if (current) ImGui::PopStyleColor(2);
        if (visible) {
            if (current) step_banner(app.selection.step, app.trace && app.trace->has_model());
            edits.merge(draw_panel_body(p, app, app.panel_slots[i].state.get()));
        }
        ImGui::End();
        app.panel_slots[i].open = open;
    }
    apply(app, edits);
}

void apply_theme(Theme theme) {
    if (theme == Theme::Dark)
        ImGui::StyleColorsDark();
    else
        ImGui::StyleColorsLight();
    ImGuiStyle& style = ImGui::GetStyle();
    style.WindowRounding = 0.0f;  // backgrounds are cleared rectangles (see clear_window_rect)
    style.FrameRounding = 3.0f;
}

}  // namespace attnscope::gui
