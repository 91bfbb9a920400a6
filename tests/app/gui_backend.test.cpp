// The Input panel's backend toggle: choosing gpu re-runs at once; without a compute device (no
// OpenGL 4.3 context, as here) the CPU runs, the trace says cpu and the panel's status says why.
#include <catch2/catch.hpp>

#include "gui/app_state.hpp"

using namespace attnscope;

TEST_CASE("gui: switching the backend re-runs, falling back to the CPU without a device", "[gui]") {
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
    REQUIRE(app.trace);
    REQUIRE(app.trace->inputs.d_model == 32);
    REQUIRE(app.trace->backend == Backend::Cpu);  // app.gpu is null: no context in this test
    REQUIRE(app.backend_status.find("no OpenGL 4.3 context") != std::string::npos);
}
