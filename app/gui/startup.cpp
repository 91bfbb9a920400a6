#include "gui/startup.hpp"

#include <cstdlib>
#include <filesystem>

namespace attnscope::gui {

std::string find_asset(const std::string& relative, std::vector<std::string>* searched) {
    namespace fs = std::filesystem;
    std::vector<fs::path> candidates;
    if (const char* env = std::getenv("ATTNSCOPE_ASSETS"); env && *env) candidates.push_back(fs::path(env) / relative);
#ifdef ATTNSCOPE_SOURCE_ASSETS
    candidates.push_back(fs::path(ATTNSCOPE_SOURCE_ASSETS) / relative);
#endif
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) candidates.push_back(exe.parent_path() / ".." / "share" / "attnscope" / "assets" / relative);
    for (const fs::path& c : candidates) {
        if (searched) searched->push_back(c.lexically_normal().string());
        if (fs::exists(c, ec)) return c.lexically_normal().string();
    }
    return {};
}

AppState startup_state() {
    AppState app;
    const std::string model = find_asset("models/default");
    if (!model.empty() && std::filesystem::exists(std::filesystem::path(model) / "model.safetensors")) {
        app.inputs.model = model;
        // Repeated words, so that heads attending to earlier copies have something to find.
        app.inputs.text = "The cat sat on the mat. The dog sat on the cat, and the cat ran.";
        open_workspace(app, workspace_index("inspect"));
    }
    return app;
}

}  // namespace attnscope::gui
