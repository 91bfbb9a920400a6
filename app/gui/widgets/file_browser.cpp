#include "gui/widgets/file_browser.hpp"

#include <imgui.h>
#include <imgui_stdlib.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "attnscope/error.hpp"
#include "attnscope/export.hpp"
#include "gui/widgets/texts_drawn.hpp"
#include "gui/widgets/tones.hpp"

namespace attnscope::gui {
namespace {

namespace fs = std::filesystem;

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

bool wanted(const std::string& name, const std::vector<std::string>& extensions) {
    if (extensions.empty()) return true;
    const std::string n = lower(name);
    return std::any_of(extensions.begin(), extensions.end(), [&](const std::string& e) {
        const std::string x = lower(e);
        return n.size() > x.size() && n.compare(n.size() - x.size(), x.size(), x) == 0;
    });
}

std::string home_folder() {
    const char* home = std::getenv("HOME");
    return home && *home ? home : "/";
}

}  // namespace

std::vector<FolderEntry> list_folder(const std::string& folder, const std::vector<std::string>& extensions) {
    std::error_code ec;
    fs::directory_iterator it(folder, fs::directory_options::skip_permission_denied, ec);
    if (ec) throw Error("cannot read the folder " + folder + ": " + ec.message());
    std::vector<FolderEntry> folders, files;
    for (; it != fs::directory_iterator(); it.increment(ec)) {
        if (ec) break;
        const std::string name = it->path().filename().string();
        if (name.empty() || name[0] == '.') continue;
        std::error_code e;
        if (it->is_directory(e)) {
            folders.push_back({name, true, fs::exists(it->path() / "config.json", e), 0});
        } else if (wanted(name, extensions)) {
            const std::uintmax_t size = it->file_size(e);
            files.push_back({name, false, false, e ? 0 : size});
        }
    }
    auto by_name = [](const FolderEntry& a, const FolderEntry& b) { return a.name < b.name; };
    std::sort(folders.begin(), folders.end(), by_name);
    std::sort(files.begin(), files.end(), by_name);
    folders.insert(folders.end(), files.begin(), files.end());
    return folders;
}

void FileBrowser::open(std::string title, Pick pick, std::vector<std::string> extensions, const std::string& start) {
    title_ = std::move(title);
    pick_ = pick;
    extensions_ = std::move(extensions);
    std::error_code ec;
    fs::path at = start.empty() ? fs::path(home_folder()) : fs::absolute(start, ec).lexically_normal();
    if (at.filename().empty()) at = at.parent_path();  // a trailing '/'
    // A file, or a model folder being replaced: show its folder, with it selected.
    const bool beside = !fs::is_directory(at, ec) || (pick == Pick::Folder && fs::exists(at / "config.json", ec));
    const std::string name = beside ? at.filename().string() : std::string();
    if (beside) at = at.parent_path();
    if (at.empty() || !fs::is_directory(at, ec)) at = home_folder();
    go(at.string());
    for (int i = 0; i < static_cast<int>(entries_.size()); ++i)
        if (entries_[i].name == name) selected_ = i;
    opening_ = true;
}

void FileBrowser::go(const std::string& folder) {
    selected_ = -1;
    try {
        entries_ = list_folder(folder, extensions_);
        folder_ = folder;
        typed_ = folder;
        error_.clear();
    } catch (const Error& e) {
        error_ = e.what();  // stay where we were
        typed_ = folder_;
    }
}

std::optional<std::string> FileBrowser::draw() {
    if (opening_) {
        ImGui::OpenPopup(title_.c_str());
        opening_ = false, open_ = true;
    }
    if (!open_) return std::nullopt;
    const ImVec2 view = ImGui::GetMainViewport()->Size;
    ImGui::SetNextWindowSize(ImVec2(std::min(view.x * 0.9f, ImGui::GetFontSize() * 46), view.y * 0.7f),
                             ImGuiCond_Appearing);
    ImGui::SetNextWindowPos(ImGui::GetMainViewport()->GetCenter(), ImGuiCond_Appearing, ImVec2(0.5f, 0.5f));
    bool keep = true;
    if (!ImGui::BeginPopupModal(title_.c_str(), &keep)) {
        open_ = false;
        return std::nullopt;
    }
    std::optional<std::string> chosen;
    const fs::path here(folder_);
    if (ImGui::Button("Up") && here.has_parent_path()) go(here.parent_path().string());
    ImGui::SameLine();
    if (ImGui::Button("Home")) go(home_folder());
    ImGui::SameLine();
    ImGui::SetNextItemWidth(-1);
    if (ImGui::IsWindowAppearing()) ImGui::SetKeyboardFocusHere();  // a path can be typed at once
    if (ImGui::InputText("##where", &typed_, ImGuiInputTextFlags_EnterReturnsTrue)) {
        std::error_code ec;
        if (fs::is_directory(typed_, ec))
            go(fs::absolute(typed_, ec).lexically_normal().string());
        else if (pick_ == Pick::File && fs::is_regular_file(typed_, ec))
            chosen = fs::absolute(typed_, ec).lexically_normal().string();
        else
            error_ = "no such " + std::string(pick_ == Pick::File ? "file or folder: " : "folder: ") + typed_;
    }
    note_target("File browser: path");

    const float footer = ImGui::GetFrameHeightWithSpacing() * 2 + ImGui::GetTextLineHeightWithSpacing();
    if (ImGui::BeginChild("entries", ImVec2(0, -footer), true)) {
        if (entries_.empty()) ImGui::TextDisabled(pick_ == Pick::File ? "no matching files here" : "no folders here");
        for (int i = 0; i < static_cast<int>(entries_.size()); ++i) {
            const FolderEntry& e = entries_[i];
            const std::string label = e.folder ? e.name + "/" : e.name;
            if (e.model) ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(0.45f, 0.8f, 1.0f, 1.0f));
            const bool clicked = ImGui::Selectable(label.c_str(), i == selected_, ImGuiSelectableFlags_AllowDoubleClick);
            if (e.model) ImGui::PopStyleColor();
            note_target("File browser: " + label);
            if (clicked) {
                selected_ = i;
                if (ImGui::IsMouseDoubleClicked(0)) {
                    if (e.folder && !(pick_ == Pick::Folder && e.model))
                        go((here / e.name).string());
                    else
                        chosen = (here / e.name).string();
                    break;  // entries_ may have changed
                }
            }
            ImGui::SameLine(ImGui::GetContentRegionAvail().x * 0.75f + ImGui::GetCursorStartPos().x);
            if (e.model)
                ImGui::TextDisabled("model");
            else if (!e.folder)
                ImGui::TextDisabled("%s", describe_size(e.size).c_str());
            else
                ImGui::NewLine();
        }
    }
    ImGui::EndChild();

    const bool have = selected_ >= 0 && selected_ < static_cast<int>(entries_.size());
    std::string target;
    if (have && (pick_ == Pick::File ? !entries_[selected_].folder : entries_[selected_].folder))
        target = (here / entries_[selected_].name).string();
    else if (pick_ == Pick::Folder)
        target = folder_;
    if (!error_.empty())
        ImGui::TextColored(tone(Tone::Error), "%s", error_.c_str());
    else if (!target.empty())
        ImGui::TextDisabled("%s", target.c_str());
    else
        ImGui::TextDisabled("pick a file (double-click a folder to go in)");
    ImGui::BeginDisabled(target.empty());
    if (ImGui::Button("Open")) chosen = target;
    note_target("File browser: Open");
    ImGui::EndDisabled();
    ImGui::SameLine();
    const bool cancel = ImGui::Button("Cancel") || ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Escape), false);
    note_target("File browser: Cancel");
    if (chosen || cancel || !keep) {
        ImGui::CloseCurrentPopup();
        open_ = false;
    }
    ImGui::EndPopup();
    return chosen;
}

}  // namespace attnscope::gui
