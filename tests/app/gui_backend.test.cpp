// The Input panel's backend toggle: choosing gpu re-runs; the runner's headless context runs it
// where OpenGL 4.3 is there, and otherwise the CPU runs and the status says why.
#include <catch2/catch.hpp>

#include "gui/app_state.hpp"

using namespace attnscope;

TEST_CASE("gui: switching the backend re-runs, and the status names the backend that ran", "[gui]") {
    gui::AppState app;
    gui::rerun(app);
    REQUIRE(app.trace);
    REQUIRE(app.trace->backend == Backend::Cpu);
    REQUIRE(app.backend_status == "computed on the CPU");

    gui::Edits edits;
    Inputs next = app.inputs;
    next.backend = Backend::Gpu;
    next.d_model = 32;  // and a change that shows the trace is new
    edits.inputs = next;
    gui::apply(app, edits);
    REQUIRE(app.inputs.backend == Backend::Gpu);
    app.runner->wait_idle();
    REQUIRE(gui::poll_run(app));
    REQUIRE(app.trace);
    REQUIRE(app.trace->inputs.d_model == 32);
    if (app.trace->backend == Backend::Gpu)
        REQUIRE(app.backend_status.rfind("computed on the GPU: ", 0) == 0);
    else
        REQUIRE(app.backend_status.find("OpenGL 4.3") != std::string::npos);
}
