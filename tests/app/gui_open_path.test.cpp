// Tests app/gui/open_path.cpp and the file browser's listing: what a dropped or picked path is,
// judged by its contents, and what opening it changes in the app.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "attnscope/error.hpp"
#include "attnscope/export.hpp"
#include "gui/app_state.hpp"
#include "gui/open_path.hpp"
#include "gui/panels/lessons.hpp"
#include "gui/session.hpp"
#include "gui/widgets/file_browser.hpp"
#include "gui/workspaces.hpp"
#include "../test_helpers.hpp"

namespace fs = std::filesystem;
namespace gui = attnscope::gui;
using gui::PathKind;

namespace {

// A fresh folder, and files written into it.
struct TempFolder : test::TempFolder {
    TempFolder() : test::TempFolder("open-test") {}
    fs::path write(const std::string& name, const std::string& text) const {
        fs::create_directories((path / name).parent_path());
        std::ofstream(path / name) << text;
        return path / name;
    }
};

}  // namespace

TEST_CASE("the file browser lists folders first, then the wanted files, by name, without hidden ones", "[open]") {
    TempFolder t;
    t.write("b/readme.txt", "x");
    t.write("a/config.json", "{}");
    t.write("x.json", "{}");
    t.write("Y.JSON", "{}");
    t.write("z.txt", "hello");
    t.write(".hidden.json", "{}");
    fs::create_directories(t.path / ".git");
    const std::vector<gui::FolderEntry> json = gui::list_folder(t.path.string(), {".json"});
    std::vector<std::string> names;
    for (const auto& e : json) names.push_back(e.name);
    REQUIRE(names == std::vector<std::string>{"a", "b", "Y.JSON", "x.json"});
    REQUIRE((json[0].folder && json[0].model));
    REQUIRE((json[1].folder && !json[1].model));
    REQUIRE((!json[3].folder && json[3].size == 2));
    REQUIRE(gui::list_folder(t.path.string(), {}).size() == 5);  // z.txt too
    REQUIRE_THROWS_WITH(gui::list_folder((t.path / "missing").string(), {}), Catch::Contains("cannot read the folder"));
}

TEST_CASE("a path is judged by its contents: model folder, session, lesson, or a message", "[open]") {
    TempFolder t;
    const fs::path config = t.write("gpt/config.json", "{}");
    const fs::path weights = t.write("gpt/model.safetensors", "");
    const fs::path session = t.write("mine.json", gui::session_to_json({}, {}).dump());
    const fs::path lesson = t.write("lesson.json", R"({"schema": "attnscope.lesson/1", "title": "x"})");
    const fs::path other = t.write("package.json", R"({"name": "x"})");
    const fs::path broken = t.write("broken.json", "{");
    const fs::path image = t.write("cat.png", "not really");
    fs::create_directories(t.path / "empty");

    CHECK(gui::classify_path((t.path / "gpt").string()).kind == PathKind::Model);
    const gui::PathGuess from_file = gui::classify_path(weights.string());
    CHECK(from_file.kind == PathKind::Model);
    CHECK(from_file.path == (t.path / "gpt").string());
    CHECK(gui::classify_path(config.string()).path == (t.path / "gpt").string());
    CHECK(gui::classify_path(session.string()).kind == PathKind::Session);
    CHECK(gui::classify_path(lesson.string()).kind == PathKind::Lesson);
    for (const fs::path& p : {other, broken, image, t.path / "empty", t.path / "nothing-here"}) {
        const gui::PathGuess g = gui::classify_path(p.string());
        INFO(p << ": " << g.message);
        CHECK(g.kind == PathKind::Unknown);
        CHECK_FALSE(g.message.empty());
    }
    CHECK_THAT(gui::classify_path(other.string()).message, Catch::Contains("neither a session"));
    CHECK_THAT(gui::classify_path((t.path / "empty").string()).message, Catch::Contains("no config.json"));
    CHECK_THAT(gui::classify_path((t.path / "nothing-here").string()).message, Catch::Contains("does not exist"));
}

TEST_CASE("opening a path: a model in Inspect, a session's inputs, a lesson in Learn, else a notice", "[open]") {
    TempFolder t;
    gui::AppState app;
    app.runner->wait_idle();

    attnscope::Inputs saved;
    saved.text = "a saved sentence";
    gui::Selection view;
    view.query = 1;
    const fs::path session = t.write("s.json", gui::session_to_json(saved, view).dump());
    gui::open_path(app, session.string());
    CHECK(app.inputs.text == "a saved sentence");
    CHECK(app.selection.query == 1);
    CHECK(app.notice.empty());

    gui::open_path(app, t.write("cat.png", "x").string());
    CHECK_THAT(app.notice, Catch::Contains("cat.png") && Catch::Contains("model folder"));
    CHECK(app.inputs.text == "a saved sentence");  // nothing else changed

    t.write("gpt/config.json", "{}");
    gui::open_path(app, (t.path / "gpt").string());
    CHECK(app.inputs.model == (t.path / "gpt").string());
    CHECK(gui::workspaces()[app.layout.workspace].id == std::string("inspect"));
    CHECK(app.notice.empty());

    const fs::path lesson = t.write("l.json", R"({"schema": "attnscope.lesson/1"})");
    gui::open_path(app, lesson.string());
    CHECK(gui::workspaces()[app.layout.workspace].id == std::string("learn"));
    CHECK(gui::panel_state<gui::LessonsPanelState>(app, "lessons").open_file == lesson.string());
    app.runner->wait_idle();
}
