#include "gui/welcome.hpp"

#include <imgui.h>

#include "gui/panels/lessons.hpp"
#include "gui/widgets/texts_drawn.hpp"

namespace attnscope::gui {
namespace {

// A full-width button with a line under it saying what it does.
bool choice(const char* label, const char* what) {
    const bool clicked = ImGui::Button(label, ImVec2(-1, 0));
    note_target(std::string("Welcome: ") + label);
    ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
    ImGui::TextWrapped("%s", what);
    ImGui::PopStyleColor();
    ImGui::Spacing();
    return clicked;
}

}  // namespace

Edits draw_welcome(AppState& app) {
    Edits out;
    const ImGuiViewport* vp = ImGui::GetMainViewport();
    ImGui::SetNextWindowPos(ImVec2(vp->Pos.x + vp->Size.x * 0.5f, vp->Pos.y + vp->Size.y * 0.45f), ImGuiCond_Always,
                            ImVec2(0.5f, 0.5f));
    ImGui::SetNextWindowSize(ImVec2(ImGui::GetFontSize() * 30, 0), ImGuiCond_Always);
    ImGui::SetNextWindowFocus();
    ImGui::SetNextWindowBgAlpha(1.0f);
    bool open = true;
    if (!ImGui::Begin("Welcome to attnscope", &open,
                      ImGuiWindowFlags_NoCollapse | ImGuiWindowFlags_NoResize | ImGuiWindowFlags_NoMove |
                          ImGuiWindowFlags_NoSavedSettings)) {
        ImGui::End();
        return out;
    }
    ImGui::TextWrapped("See how attention works, one step at a time, with every number on screen. Start here:");
    ImGui::Spacing();
    bool chosen = false;
    if (choice("Start lesson 1: queries, keys and values", "Guided, with tasks you solve in the other panels.")) {
        open_workspace(app, workspace_index("learn"));
        panel_state<LessonsPanelState>(app, "lessons").start_lesson = "01-queries-keys-values";
        chosen = true;
    }
    if (choice("Step through attention on your sentence", "Type a sentence; walk from tokens to W_O.")) {
        open_workspace(app, workspace_index("step"));
        chosen = true;
    }
    if (!app.inputs.model.empty() &&
        choice("Inspect the built-in model", "Every layer and head of a small GPT-2 on your sentence.")) {
        open_workspace(app, workspace_index("inspect"));
        chosen = true;
    }
    if (choice("Open your own model...", "A Hugging Face GPT-2 folder (config.json, model.safetensors, vocab.json, "
                                         "merges.txt); or drop it on the window.")) {
        open_workspace(app, workspace_index("inspect"));
        app.file_browser.open("Open a model folder", FileBrowser::Pick::Folder, {}, app.inputs.model);
        chosen = true;
    }
    if (choice("Compare attention variants", "Local, sparse and low-rank attention beside exact attention.")) {
        open_workspace(app, workspace_index("compare"));
        chosen = true;
    }
    ImGui::Separator();
    ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
    ImGui::TextWrapped("The workspaces on the menu bar take you to each; View > Welcome shows this card again.");
    ImGui::PopStyleColor();
    if (ImGui::Button("Close")) chosen = true;
    note_target("Welcome: Close");
    ImGui::End();
    if (chosen || !open) app.layout.welcome = false;
    return out;
}

}  // namespace attnscope::gui
