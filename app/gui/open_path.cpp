#include "gui/open_path.hpp"

#include <filesystem>

#include <nlohmann/json.hpp>

#include "attnscope/export.hpp"
#include "attnscope/json_input.hpp"
#include "gui/app_state.hpp"
#include "gui/panels/lessons.hpp"
#include "gui/panels/model.hpp"
#include "gui/session.hpp"
#include "gui/workspaces.hpp"

namespace attnscope::gui {
namespace {

namespace fs = std::filesystem;

constexpr const char* kWhatOpens =
    "attnscope opens a model folder (config.json + model.safetensors), a session file or a lesson file (.json)";

bool is_model_file(const fs::path& p) {
    const std::string name = p.filename().string();
    return name == "config.json" || name == "vocab.json" || name == "merges.txt" || p.extension() == ".safetensors";
}

// The "schema" of a small JSON file, or empty.
std::string json_schema(const fs::path& p) {
    std::error_code ec;
    if (fs::file_size(p, ec) > 16 * 1024 * 1024 || ec) return {};
    try {
        const nlohmann::json j = parse_json(read_file(p.string()), p.string(), "");
        return j.is_object() && j.contains("schema") && j["schema"].is_string() ? j["schema"].get<std::string>() : "";
    } catch (...) {
        return {};
    }
}

}  // namespace

PathGuess classify_path(const std::string& path) {
    std::error_code ec;
    const fs::path p = fs::absolute(path, ec).lexically_normal();
    if (!fs::exists(p, ec)) return {PathKind::Unknown, path, path + " does not exist"};
    if (fs::is_directory(p, ec)) {
        if (fs::exists(p / "config.json", ec)) return {PathKind::Model, p.string(), ""};
        return {PathKind::Unknown, p.string(), p.string() + " has no config.json, so it is not a model folder. " + kWhatOpens};
    }
    if (is_model_file(p) && fs::exists(p.parent_path() / "config.json", ec))
        return {PathKind::Model, p.parent_path().string(), ""};
    if (p.extension() == ".json") {
        const std::string schema = json_schema(p);
        if (schema == kSessionSchema) return {PathKind::Session, p.string(), ""};
        if (schema == kLessonSchema) return {PathKind::Lesson, p.string(), ""};
        return {PathKind::Unknown, p.string(),
                p.filename().string() + " is neither a session (" + kSessionSchema + ") nor a lesson (" +
                    kLessonSchema + "). " + kWhatOpens};
    }
    return {PathKind::Unknown, p.string(), p.filename().string() + " is not something attnscope opens. " + kWhatOpens};
}

void open_path(AppState& app, const std::string& path) {
    const PathGuess what = classify_path(path);
    Edits edits;
    switch (what.kind) {
        case PathKind::Model:
            edits = switch_model(app.inputs, what.path);
            edits.workspace = "inspect";
            break;
        case PathKind::Session:
            try {
                edits = session_edits(parse_session(read_file(what.path)));
            } catch (const std::exception& e) {
                app.notice = "Not loaded: " + std::string(e.what());
                return;
            }
            break;
        case PathKind::Lesson:
            panel_state<LessonsPanelState>(app, "lessons").open_file = what.path;
            edits.workspace = "learn";
            break;
        case PathKind::Unknown:
            app.notice = what.message;
            return;
    }
    app.notice.clear();
    apply(app, edits);
}

}  // namespace attnscope::gui
