#pragma once
// A small file browser in a modal window, for picking a model folder, an export folder, a session
// or a lesson file without typing its path: Up and Home, a path box, the folder's entries (folders
// first, model folders marked), Open and Cancel. Esc cancels.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace attnscope::gui {

struct FolderEntry {
    std::string name;
    bool folder = false;
    bool model = false;      // a folder holding config.json: a model the Model panel opens
    std::uintmax_t size = 0; // files only
};

// The entries of `folder`: folders first, then the files ending in one of `extensions` (every file
// when empty; compared without case), each group sorted by name; hidden entries (a leading '.') are
// left out. Throws attnscope::Error naming the folder when it cannot be read.
std::vector<FolderEntry> list_folder(const std::string& folder, const std::vector<std::string>& extensions);

class FileBrowser {
public:
    enum class Pick { File, Folder };

    // Shows the dialog from the next draw(), in `start` (a folder, or a file's folder; the home
    // folder when empty or gone). Pick::Folder picks the selected folder, or the one shown.
    void open(std::string title, Pick pick, std::vector<std::string> extensions, const std::string& start);
    // Draws the dialog while it is open; the chosen path (absolute) once, when the user picks one.
    std::optional<std::string> draw();
    bool is_open() const { return open_ || opening_; }

private:
    void go(const std::string& folder);

    std::string title_;
    Pick pick_ = Pick::File;
    std::vector<std::string> extensions_;
    bool opening_ = false, open_ = false;
    std::string folder_, typed_, error_;
    std::vector<FolderEntry> entries_;
    int selected_ = -1;
};

}  // namespace attnscope::gui
