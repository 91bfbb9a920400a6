#pragma once
// Opening a file or folder the user dropped on the window or picked from the File menu: a model
// folder opens in the Inspect workspace, a session file loads, a lesson file opens in Learn. What
// a path is comes from its contents, not only its name.
#include <string>

namespace attnscope::gui {

struct AppState;

enum class PathKind { Model, Session, Lesson, Unknown };

struct PathGuess {
    PathKind kind = PathKind::Unknown;
    std::string path;     // what to open: a file inside a model folder gives the folder
    std::string message;  // Unknown: what the path is and what attnscope opens instead
};

// A folder with config.json, or a file inside one (config.json, *.safetensors, vocab.json,
// merges.txt), is a model; a .json file whose "schema" is attnscope.session/1 or attnscope.lesson/1
// is a session or a lesson. Anything else is Unknown, with a message saying what would open.
PathGuess classify_path(const std::string& path);

// Opens `path` in the app, as above; an unknown or unreadable path sets app.notice instead.
void open_path(AppState& app, const std::string& path);

}  // namespace attnscope::gui
