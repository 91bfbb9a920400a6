// Tests app/gui/runner.cpp and the run path of app_state.cpp: runs happen off the frame, the newest
// request wins, a failed run keeps the last good trace beside its message, and choosing another
// layer or head to view runs no forward pass.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <optional>
#include <set>
#include <stdexcept>

#include "attnscope/gpt2.hpp"
#include "attnscope/run.hpp"
#include "gui/app_state.hpp"

using namespace attnscope;

namespace {

struct TempModel {
    std::filesystem::path dir = std::filesystem::temp_directory_path() / ("attnscope-runner-" + std::to_string(::getpid()));
    TempModel() {
        Gpt2Config c;
        c.n_layer = 3, c.n_head = 2, c.n_embd = 16, c.n_ctx = 32;
        c.vocab_size = save_byte_tokenizer(dir.string());
        save_gpt2(dir.string(), random_gpt2(c, 5));
    }
    ~TempModel() { std::filesystem::remove_all(dir); }
};

gui::Edits with_inputs(const Inputs& in) {
    gui::Edits e;
    e.inputs = in;
    return e;
}

}  // namespace

TEST_CASE("gui runner: choosing another layer or head runs no forward pass", "[gui][runner]") {
    TempModel model;
    gui::AppState app;
    app.inputs.model = model.dir.string();
    app.inputs.text = "the cat sat on the mat";
    gui::rerun(app);
    REQUIRE(app.trace);
    REQUIRE(app.trace->layer_count() == 3);
    const long long before = forward_count();
    gui::Edits view;
    view.layer = 2;
    view.head = 1;
    gui::apply(app, view);
    REQUIRE_FALSE(app.runner->busy());
    app.runner->wait_idle();
    REQUIRE_FALSE(gui::poll_run(app));
    REQUIRE(forward_count() == before);
    REQUIRE(app.selection.layer == 2);
    REQUIRE(app.selection.head == 1);
    view.layer = 7;  // past the last layer: clamped, still no run
    gui::apply(app, view);
    REQUIRE(app.selection.layer == 2);
    REQUIRE(forward_count() == before);
}

TEST_CASE("gui runner: a failed run keeps the last good trace and shows why", "[gui][runner]") {
    gui::AppState app;
    gui::rerun(app);
    REQUIRE(app.trace);
    REQUIRE(app.error.empty());
    const std::string good_text = app.trace->inputs.text;
    Inputs bad = app.inputs;
    bad.heads = 5;  // does not divide d_model 64
    gui::apply(app, with_inputs(bad));
    app.runner->wait_idle();
    REQUIRE(gui::poll_run(app));
    REQUIRE(app.trace);
    REQUIRE(app.trace->inputs.text == good_text);
    REQUIRE(app.trace->inputs.heads == 4);
    REQUIRE(app.error.find("heads (5)") != std::string::npos);
    Inputs fixed = bad;
    fixed.heads = 8;
    gui::apply(app, with_inputs(fixed));
    app.runner->wait_idle();
    REQUIRE(gui::poll_run(app));
    REQUIRE(app.error.empty());
    REQUIRE(app.trace->inputs.heads == 8);
}

TEST_CASE("gui runner: the newest request wins", "[gui][runner]") {
    gui::Runner runner;
    // Many requests in a burst: at most the one running and the newest are computed, and only the
    // newest's result is handed back.
    std::uint64_t last = 0;
    for (int i = 1; i <= 20; ++i) {
        gui::RunRequest r;
        r.inputs.text = "word " + std::to_string(i);
        last = runner.request(r);
    }
    runner.wait_idle();
    const std::optional<gui::RunResult> result = runner.take();
    REQUIRE(result);
    REQUIRE(result->id == last);
    REQUIRE(result->trace);
    REQUIRE(result->trace->query.tokens.back() == "20");
    REQUIRE_FALSE(runner.take());
}

TEST_CASE("gui runner: compared variants come from the exact heads of the same run", "[gui][runner]") {
    gui::Runner runner;
    gui::RunRequest r;
    r.inputs.text = "the cat sat on the mat because it was tired";
    VariantParams local;
    local.kind = VariantKind::Local;
    local.window = 1;
    VariantParams bad;
    bad.kind = VariantKind::Nystrom;
    bad.landmarks = 500;  // more landmarks than tokens
    r.compared = {local, bad};
    const long long before = forward_count();
    runner.request(r);
    runner.wait_idle();
    const std::optional<gui::RunResult> result = runner.take();
    REQUIRE(result);
    REQUIRE(forward_count() == before + 1);  // one forward pass for the exact trace and both variants
    REQUIRE(result->compared.size() == 2);
    REQUIRE(result->compared[0].trace);
    REQUIRE(result->compared[1].error.find("landmarks") != std::string::npos);
    // The same as running the variant on its own.
    Inputs with_local = r.inputs;
    with_local.variant = local;
    const Trace alone = run(with_local);
    const Trace& varied = *result->compared[0].trace;
    for (int h = 0; h < alone.head_count(); ++h) {
        REQUIRE(varied.layers[0].heads[h].attention.isApprox(alone.layers[0].heads[h].attention, 1e-12));
        REQUIRE(varied.layers[0].heads[h].variant->pattern == alone.layers[0].heads[h].variant->pattern);
    }
    REQUIRE(varied.layers[0].output.isApprox(alone.layers[0].output, 1e-12));
    REQUIRE(varied.layers[0].output_error == Approx(alone.layers[0].output_error).epsilon(1e-9));
}

TEST_CASE("gui panels: every panel is listed once, with a state, and opens by id", "[gui]") {
    std::set<std::string> ids;
    for (const gui::PanelInfo& p : gui::panels()) {
        REQUIRE(ids.insert(p.id).second);
        REQUIRE(p.make_state() != nullptr);
        REQUIRE(p.draw != nullptr);
        REQUIRE(gui::find_panel(p.id) == &p);
        REQUIRE(p.tile.column >= 0);
        REQUIRE(p.tile.column <= 2);
        REQUIRE(p.tile.width > 0.0f);
        REQUIRE(p.tile.weight > 0.0f);
    }
    REQUIRE(gui::find_panel("no-such-panel") == nullptr);
    gui::AppState app;
    REQUIRE(app.panel_slots.size() == gui::panels().size());
    REQUIRE_FALSE(gui::panel_open(app, "compare"));
    gui::Edits e;
    e.open_panels = {"compare", "no-such-panel"};
    gui::apply(app, e);
    REQUIRE(gui::panel_open(app, "compare"));
    REQUIRE_THROWS_AS(gui::panel_open(app, "no-such-panel"), std::out_of_range);
}

namespace {

// Every open panel has a rectangle inside the area, none overlaps another, and together they
// cover the area exactly (their areas sum to it).
void check_tiling(const gui::Workspace& w, const std::vector<bool>& open, gui::Rect area) {
    const std::vector<std::optional<gui::Rect>> rects = gui::tile_panels(w, open, area);
    REQUIRE(rects.size() == gui::panels().size());
    double covered = 0;
    for (std::size_t i = 0; i < rects.size(); ++i) {
        REQUIRE(rects[i].has_value() == bool(open[i]));
        if (!rects[i]) continue;
        const gui::Rect& a = *rects[i];
        REQUIRE(a.x0 >= area.x0 - 1e-3f);
        REQUIRE(a.y0 >= area.y0 - 1e-3f);
        REQUIRE(a.x1 <= area.x1 + 1e-3f);
        REQUIRE(a.y1 <= area.y1 + 1e-3f);
        REQUIRE(a.x1 > a.x0);
        REQUIRE(a.y1 > a.y0);
        covered += double(a.x1 - a.x0) * (a.y1 - a.y0);
        for (std::size_t j = 0; j < i; ++j) {
            if (!rects[j]) continue;
            const gui::Rect& b = *rects[j];
            const float overlap_x = std::min(a.x1, b.x1) - std::max(a.x0, b.x0);
            const float overlap_y = std::min(a.y1, b.y1) - std::max(a.y0, b.y0);
            INFO(gui::panels()[i].id << " and " << gui::panels()[j].id);
            REQUIRE((overlap_x <= 1e-3f || overlap_y <= 1e-3f));
        }
    }
    REQUIRE(covered == Approx(double(area.x1 - area.x0) * (area.y1 - area.y0)).epsilon(1e-4));
}

}  // namespace

TEST_CASE("gui workspaces: each tiles its panels, and any panel opened beside them, without overlap", "[gui]") {
    std::set<std::string> ids;
    for (const gui::Workspace& w : gui::workspaces()) {
        INFO(w.id);
        REQUIRE(ids.insert(w.id).second);
        REQUIRE(gui::find_workspace(w.id) == &w);
        REQUIRE_FALSE(w.panels.empty());
        for (const gui::WorkspacePanel& p : w.panels) REQUIRE(gui::find_panel(p.panel) != nullptr);
        std::vector<bool> open;
        for (const gui::PanelInfo& p : gui::panels()) open.push_back(gui::in_workspace(w, p.id));
        for (const gui::Rect area : {gui::Rect{0, 22, 1920, 1200}, gui::Rect{0, 19, 1280, 720}, gui::Rect{10, 40, 3840, 2160}}) {
            check_tiling(w, open, area);
            for (std::size_t extra = 0; extra < open.size(); ++extra) {  // one more panel from the View menu
                if (open[extra]) continue;
                std::vector<bool> more = open;
                more[extra] = true;
                check_tiling(w, more, area);
            }
        }
    }
    REQUIRE(gui::find_workspace("no-such-workspace") == nullptr);
    // Opening a workspace opens exactly its panels.
    gui::AppState app;
    gui::open_workspace(app, 3);
    for (std::size_t i = 0; i < gui::panels().size(); ++i)
        REQUIRE(app.panel_slots[i].open == gui::in_workspace(gui::workspaces()[3], gui::panels()[i].id));
    REQUIRE(app.layout.retile);
}

TEST_CASE("gui undo: Ctrl+Z steps back through the inputs, Ctrl+Shift+Z forward; a new change drops the redo list", "[gui]") {
    gui::AppState app;
    const Inputs original = app.inputs;
    auto set_text = [&](const std::string& text) {
        gui::Edits e;
        e.inputs = app.inputs;
        e.inputs->text = text;
        gui::apply(app, e);
    };
    set_text("one");
    gui::Edits cell = gui::edit_cell(app.inputs, "W_Q", 0, 0, 0.5);
    gui::apply(app, cell);
    REQUIRE(app.inputs.edits.size() == 1);
    REQUIRE(gui::undo(app));
    CHECK(app.inputs.edits.empty());
    CHECK(app.inputs.text == "one");
    REQUIRE(gui::undo(app));
    CHECK(app.inputs == original);
    CHECK_FALSE(gui::undo(app));  // nothing older
    REQUIRE(gui::redo(app));
    CHECK(app.inputs.text == "one");
    REQUIRE(gui::redo(app));
    CHECK(app.inputs.edits.size() == 1);
    CHECK_FALSE(gui::redo(app));
    REQUIRE(gui::undo(app));
    set_text("two");  // a new change: what was undone cannot come back
    CHECK_FALSE(gui::redo(app));
    REQUIRE(gui::undo(app));
    CHECK(app.inputs.text == "one");
    CHECK(app.inputs.edits.empty());
    app.runner->wait_idle();
}

TEST_CASE("gui edits: a value the engine refuses is refused before it is recorded", "[gui]") {
    CHECK_THROWS_WITH(check_edit_value({"W_Q", 1, 2, std::nan("")}), Catch::Contains("not a finite number"));
    CHECK_THROWS_WITH(check_edit_value({"W_Q", 1, 2, 1e9}), Catch::Contains("within +-1e6"));
    CHECK_NOTHROW(check_edit_value({"W_Q", 1, 2, -1e6}));
}
