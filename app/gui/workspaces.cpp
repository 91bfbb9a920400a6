#include "gui/workspaces.hpp"

#include <imgui.h>
#include <imgui_internal.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "gui/app_state.hpp"

namespace attnscope::gui {

const std::vector<Workspace>& workspaces() {
    static const std::vector<Workspace> all = {
        {"step", "Step through", "Attention computed step by step on your sentence: tokens to W_O.",
         {{"input", {0, 0.27f, 0.42f}},
          {"stepper", {0, 0.27f, 0.58f}},
          {"attention", {1, 0.38f, 0.62f}},
          {"softmax", {1, 0.38f, 0.38f}},
          {"matrices", {2, 0.35f, 0.5f}},
          {"multihead", {2, 0.35f, 0.5f}}}},
        {"learn", "Learn", "Guided lessons that drive the other panels, with tasks and experiments.",
         {{"lessons", {0, 0.32f, 1.0f}},
          {"attention", {1, 0.36f, 0.6f}},
          {"softmax", {1, 0.36f, 0.4f}},
          {"matrices", {2, 0.32f, 0.5f}},
          {"multihead", {2, 0.32f, 0.5f}}}},
        {"inspect", "Inspect a model", "Every layer and head of a model on your sentence.",
         {{"input", {0, 0.24f, 0.45f}},
          {"stepper", {0, 0.24f, 0.55f}},
          {"model", {1, 0.46f, 1.0f}},
          {"attention", {2, 0.3f, 0.55f}},
          {"softmax", {2, 0.3f, 0.45f}}}},
        {"compare", "Compare variants", "Sparse, local and low-rank attention beside exact attention.",
         {{"input", {0, 0.25f, 0.45f}}, {"attention", {0, 0.25f, 0.55f}}, {"compare", {1, 0.75f, 1.0f}}}},
        {"scaling", "Scaling", "How the cost of each variant grows with length, measured live.",
         {{"scaling", {0, 1.0f, 1.0f}}}},
        {"train", "Train", "Train a small transformer and watch its heads learn.", {{"training", {0, 1.0f, 1.0f}}}},
    };
    return all;
}

const Workspace* find_workspace(std::string_view id) {
    for (const Workspace& w : workspaces())
        if (id == w.id) return &w;
    return nullptr;
}

int workspace_index(std::string_view id) { return static_cast<int>(find_workspace(id) - workspaces().data()); }

std::string workspace_ids() {
    std::string ids;
    for (const Workspace& w : workspaces()) ids += (ids.empty() ? "" : ", ") + std::string(w.id);
    return ids;
}

bool in_workspace(const Workspace& w, std::string_view panel) {
    for (const WorkspacePanel& p : w.panels)
        if (panel == p.panel) return true;
    return false;
}

std::vector<std::optional<Rect>> tile_panels(const Workspace& w, const std::vector<bool>& open, Rect area) {
    const std::vector<PanelInfo>& all = panels();
    std::vector<std::optional<Tile>> tiles(all.size());
    for (std::size_t i = 0; i < all.size(); ++i) {
        if (i >= open.size() || !open[i]) continue;
        tiles[i] = all[i].tile;
        for (const WorkspacePanel& p : w.panels)
            if (std::strcmp(p.panel, all[i].id) == 0) tiles[i] = p.tile;
    }
    constexpr int kColumns = 3;
    float width[kColumns] = {}, weight[kColumns] = {}, total_width = 0;
    for (const auto& t : tiles)
        if (t) width[t->column] = std::max(width[t->column], t->width), weight[t->column] += t->weight;
    for (float c : width) total_width += c;
    std::vector<std::optional<Rect>> out(all.size());
    if (total_width <= 0) return out;
    float x = area.x0, y[kColumns];
    float left[kColumns];
    for (int c = 0; c < kColumns; ++c) {
        left[c] = x;
        x += (area.x1 - area.x0) * width[c] / total_width;
        y[c] = area.y0;
    }
    for (std::size_t i = 0; i < all.size(); ++i) {
        if (!tiles[i]) continue;
        const int c = tiles[i]->column;
        const float h = (area.y1 - area.y0) * tiles[i]->weight / weight[c];
        const float right = c + 1 < kColumns ? left[c + 1] : area.x1;
        out[i] = Rect{left[c], y[c], right, y[c] + h};
        y[c] += h;
    }
    return out;
}

void open_workspace(AppState& app, int index) {
    const Workspace& w = workspaces()[index];
    for (std::size_t i = 0; i < panels().size(); ++i) app.panel_slots[i].open = in_workspace(w, panels()[i].id);
    app.layout.workspace = index;
    app.layout.arranged = false;
    app.layout.retile = true;
}

namespace {

void* ini_open(ImGuiContext*, ImGuiSettingsHandler* handler, const char* name) {
    return std::strcmp(name, "layout") == 0 ? handler->UserData : nullptr;
}

void ini_read_line(ImGuiContext*, ImGuiSettingsHandler*, void* entry, const char* line) {
    auto& layout = *static_cast<LayoutState*>(entry);
    char id[64];
    int flag = 0;
    if (std::sscanf(line, "workspace=%63s", id) == 1) {
        for (std::size_t i = 0; i < workspaces().size(); ++i)
            if (std::strcmp(workspaces()[i].id, id) == 0) layout.workspace = static_cast<int>(i);
    } else if (std::sscanf(line, "arranged=%d", &flag) == 1) {
        layout.arranged = flag != 0;
    } else if (std::sscanf(line, "welcome=%d", &flag) == 1) {
        layout.welcome = flag != 0;
    }
}

void ini_write_all(ImGuiContext*, ImGuiSettingsHandler* handler, ImGuiTextBuffer* out) {
    const auto& layout = *static_cast<const LayoutState*>(handler->UserData);
    out->appendf("[attnscope][layout]\nworkspace=%s\narranged=%d\nwelcome=%d\n\n", workspaces()[layout.workspace].id,
                 layout.arranged ? 1 : 0, layout.welcome ? 1 : 0);
}

}  // namespace

void keep_layout_in_ini(AppState& app) {
    LayoutState& layout = app.layout;
    layout.welcome = true;  // until dismissed
    ImGuiSettingsHandler handler;
    handler.TypeName = "attnscope";
    handler.TypeHash = ImHashStr("attnscope");
    handler.ReadOpenFn = ini_open;
    handler.ReadLineFn = ini_read_line;
    handler.WriteAllFn = ini_write_all;
    handler.UserData = &layout;
    ImGui::GetCurrentContext()->SettingsHandlers.push_back(handler);  // (ImGui 1.86 has no AddSettingsHandler)
    if (const char* file = ImGui::GetIO().IniFilename) ImGui::LoadIniSettingsFromDisk(file);
    const bool arranged = layout.arranged;
    open_workspace(app, layout.workspace);
    layout.arranged = arranged;  // the windows' saved places stand
    layout.retile = !arranged;
}

}  // namespace attnscope::gui
