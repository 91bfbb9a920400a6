#include "gui/frame.hpp"

#include <epoxy/gl.h>
#include <imgui.h>

#include <algorithm>
#include <cmath>

#include "gui/damage.hpp"
#include "gui/open_path.hpp"
#include "gui/welcome.hpp"
#include "gui/widgets/texts_drawn.hpp"
#include "gui/widgets/flow.hpp"
#include "gui/widgets/tones.hpp"

namespace attnscope::gui {
namespace {

bool shows_step(const PanelInfo& p, Step s) { return std::find(p.steps.begin(), p.steps.end(), s) != p.steps.end(); }

// The area below the menu bar (ImGui's work area lags a frame behind the menu bar at start).
Rect work_area(float menu_height) {
    const ImGuiViewport* vp = ImGui::GetMainViewport();
    return {vp->Pos.x, vp->Pos.y + menu_height, vp->Pos.x + vp->Size.x, vp->Pos.y + vp->Size.y};
}

// More than a pixel apart on any side (ImGui rounds window places to pixels).
bool moved(const Rect& a, const Rect& b) {
    return std::abs(a.x0 - b.x0) > 1 || std::abs(a.y0 - b.y0) > 1 || std::abs(a.x1 - b.x1) > 1 || std::abs(a.y1 - b.y1) > 1;
}

void place_window(const Rect& r, ImGuiCond cond) {
    ImGui::SetNextWindowPos(ImVec2(r.x0, r.y0), cond);
    ImGui::SetNextWindowSize(ImVec2(r.x1 - r.x0, r.y1 - r.y0), cond);
}

// Screenshots: the open windows in a grid that fills the screen.
Rect grid_cell(const Rect& area, int index, int count) {
    const int cols = count <= 1 ? 1 : count <= 4 ? 2 : 3;
    const int rows = (count + cols - 1) / cols;
    const float w = (area.x1 - area.x0) / cols, h = (area.y1 - area.y0) / rows;
    const float x = area.x0 + w * (index % cols), y = area.y0 + h * (index / cols);
    return {x, y, x + w, y + h};
}

// The current step's banner at the top of a panel that shows it.
void step_banner(Step step, bool model) {
    const StepInfo& info = step_info(step, model);
    ImGui::PushStyleColor(ImGuiCol_Text, tone(Tone::Accent));
    ImGui::TextWrapped("Step %d/%zu  %s:  %s", position_of(step, model) + 1, steps_of(model).size(), info.title,
                       info.formula);
    ImGui::PopStyleColor();
    ImGui::Separator();
}

// Under every panel's title while a variant is active: which, and a way back to exact attention.
Edits variant_banner(const Trace& t) {
    Edits out;
    ImGui::PushStyleColor(ImGuiCol_Text, tone(Tone::Accent));
    const std::string note = std::string("Variant active: ") + name(t.inputs.variant.kind) +
                             ". The weights and outputs here are the variant's, not exact attention's.";
    ImGui::TextWrapped("%s", note.c_str());
    note_text("variant", note);
    ImGui::PopStyleColor();
    same_line_if_fits(button_width("exact attention"));
    const bool exact_pressed = ImGui::SmallButton("exact attention");
    note_target("exact attention");
    if (exact_pressed) {
        Inputs exact = t.inputs;
        exact.variant = VariantParams{};
        out.inputs = exact;
    }
    return out;
}

// The menu bar: View, then a button per workspace and Reset layout, then where we are. Returns its height.
float draw_menu(AppState& app) {
    if (!ImGui::BeginMainMenuBar()) return 0.0f;
    const float height = ImGui::GetWindowHeight();
    if (ImGui::BeginMenu("File")) {
        if (ImGui::MenuItem("Open model folder..."))
            app.file_browser.open("Open a model folder", FileBrowser::Pick::Folder, {}, app.inputs.model);
        note_target("File: Open model folder...");
        if (ImGui::MenuItem("Open session or lesson file..."))
            app.file_browser.open("Open a session or lesson file", FileBrowser::Pick::File, {".json"}, "");
        note_target("File: Open session or lesson file...");
        ImGui::Separator();
        ImGui::TextDisabled("or drop a model folder, session or lesson on the window");
        ImGui::EndMenu();
    }
    note_target("File");
    if (ImGui::BeginMenu("Edit")) {
        if (ImGui::MenuItem("Undo", "Ctrl+Z", false, !app.undo.empty())) undo(app);
        if (ImGui::MenuItem("Redo", "Ctrl+Shift+Z", false, !app.redo.empty())) redo(app);
        ImGui::EndMenu();
    }
    const bool view = ImGui::BeginMenu("View");
    note_target("View");
    if (view) {
        for (std::size_t i = 0; i < panels().size(); ++i) {
            bool open = app.panel_slots[i].open;
            if (ImGui::MenuItem(panels()[i].title, nullptr, &open)) app.panel_slots[i].open = open;
        }
        ImGui::Separator();
        if (ImGui::MenuItem("Dark theme", nullptr, app.theme == Theme::Dark)) app.theme = Theme::Dark;
        if (ImGui::MenuItem("Light theme", nullptr, app.theme == Theme::Light)) app.theme = Theme::Light;
        ImGui::Separator();
        if (ImGui::MenuItem("Welcome", nullptr, app.layout.welcome)) app.layout.welcome = !app.layout.welcome;
        ImGui::EndMenu();
    }
    ImGui::TextDisabled("|");
    for (std::size_t i = 0; i < workspaces().size(); ++i) {
        const Workspace& w = workspaces()[i];
        const bool current = static_cast<int>(i) == app.layout.workspace;
        if (current) ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_ButtonActive));
        if (ImGui::MenuItem(w.title, nullptr, current)) open_workspace(app, static_cast<int>(i));
        note_target(w.title);
        if (current) ImGui::PopStyleColor();
        if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", w.help);
    }
    if (ImGui::MenuItem("Reset layout")) app.layout.arranged = false, app.layout.retile = true;
    note_target("Reset layout");
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("Tile this workspace's windows again to fill the window.");
    const bool model = app.trace && app.trace->has_model();
    const StepInfo& info = step_info(app.selection.step, model);
    ImGui::TextDisabled("|  step %d/%zu: %s   layer %d   head %d   query %d", position_of(app.selection.step, model) + 1,
                        steps_of(model).size(), info.title, app.selection.layer, app.selection.head, app.selection.query);
    if (!app.notice.empty()) {
        ImGui::TextColored(tone(Tone::Accent), "|  %s", app.notice.c_str());
        note_text("menu", app.notice);
        if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s\n(click to dismiss)", app.notice.c_str());
        if (ImGui::IsItemClicked()) app.notice.clear();
    }
    ImGui::EndMainMenuBar();
    if (const std::optional<std::string> picked = app.file_browser.draw()) open_path(app, *picked);
    return height;
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
    const ImDrawData& data = *ImGui::GetDrawData();
    const PixelBox box = scissor_of(cmd->ClipRect, data);  // the pixels the window's own commands are clipped to
    if (box.empty()) return;                               // outside the part of the frame being redrawn
    glScissor(box.x0, static_cast<int>(data.DisplaySize.y * data.FramebufferScale.y) - box.y1, box.x1 - box.x0,
              box.y1 - box.y0);
    const ImVec4 bg = ImGui::GetStyleColorVec4(ImGuiCol_WindowBg);
    // In whole bytes: a scissored clear and a whole one round the same (see GuiWindow::draw).
    auto byte = [](float c) { return std::round(std::clamp(c, 0.0f, 1.0f) * 255.0f) / 255.0f; };
    glClearColor(byte(bg.x), byte(bg.y), byte(bg.z), 1.0f);
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
    LayoutState& place = app.layout;
    place.menu_height = draw_menu(app);
    const Rect area = work_area(place.menu_height);
    const std::vector<bool> open = open_flags(app);
    // Tile again when the window's size or the set of open panels changed, unless the user arranged them.
    const bool resized = area.x1 - area.x0 != place.width || area.y1 - area.y0 != place.height;
    bool opened_or_closed = place.placed.size() != open.size();
    for (std::size_t i = 0; !opened_or_closed && i < open.size(); ++i) opened_or_closed = open[i] != place.placed[i].has_value();
    const bool retile = layout.tile || place.retile || (!place.arranged && (resized || opened_or_closed));
    const std::vector<std::optional<Rect>> tiles = tile_panels(workspaces()[place.workspace], open, area);
    int open_count = 0;
    for (bool o : open) open_count += o;
    if (retile || opened_or_closed) place.placed.assign(open.size(), std::nullopt);

    Edits edits;
    int index = 0;
    for (std::size_t i = 0; i < panels().size(); ++i) {
        const PanelInfo& p = panels()[i];
        bool shown = open[i];
        if (!shown) continue;
        if (layout.tile)
            place_window(grid_cell(area, index++, open_count), ImGuiCond_Always);
        else if (retile || !place.placed[i])
            place_window(*tiles[i], retile ? ImGuiCond_Always : ImGuiCond_Appearing);
        const bool current = shows_step(p, app.selection.step);
        if (current) ImGui::PushStyleColor(ImGuiCol_TitleBgActive, ImVec4(0.75f, 0.38f, 0.08f, 1.0f)),
                     ImGui::PushStyleColor(ImGuiCol_TitleBg, ImVec4(0.55f, 0.28f, 0.06f, 1.0f));
        const bool visible = ImGui::Begin(p.title, &shown, ImGuiWindowFlags_NoBackground);
        clear_background_first();
        if (current) ImGui::PopStyleColor(2);
        // A window no longer where the layout put it was moved or resized by the user.
        const ImVec2 pos = ImGui::GetWindowPos(), size = ImGui::GetWindowSize();
        const Rect now{pos.x, pos.y, pos.x + size.x, pos.y + size.y};
        if (place.placed[i] && moved(*place.placed[i], now)) place.arranged = true;
        place.placed[i] = now;
        if (visible) {
            if (current) step_banner(app.selection.step, app.trace && app.trace->has_model());
            if (p.needs_trace && app.trace && app.trace->has_variant()) edits.merge(variant_banner(*app.trace));
            edits.merge(draw_panel_body(p, app, app.panel_slots[i].state.get()));
        }
        ImGui::End();
        app.panel_slots[i].open = shown;
    }
    place.retile = false;
    place.width = area.x1 - area.x0;
    place.height = area.y1 - area.y0;
    if (place.welcome) edits.merge(draw_welcome(app));
    apply(app, edits);
}

void apply_theme(Theme theme) {
    if (theme == Theme::Dark)
        ImGui::StyleColorsDark();
    else
        ImGui::StyleColorsLight();
    ImGuiStyle& style = ImGui::GetStyle();
    set_light_tones(theme == Theme::Light);
    style.Colors[ImGuiCol_TextDisabled] = disabled_text(theme == Theme::Light);  // ImGui's light grey is too faint
    style.WindowRounding = 0.0f;  // backgrounds are cleared rectangles (see clear_window_rect)
    style.FrameRounding = 3.0f;
}

}  // namespace attnscope::gui
