// attnscope render: draws the GUI in a given state and saves a screenshot (needs a display; Xvfb works).
// With --frames N --report it doubles as the frame-time benchmark.
#include <algorithm>
#include <memory>
#include <regex>

#include "attnscope/error.hpp"
#include "cli/common.hpp"
#include "cli/subcommands.hpp"
#include "gui/app.hpp"

namespace attnscope::cli {

void add_render_command(CLI::App& app) {
    struct Options {
        InputOptions inputs;
        gui::RenderRequest request;
        std::string size = "1600x960";
        std::string step = "tokenize";
        int head = 0, query = 0;
        std::string theme = "dark";
        std::string lesson;
        int lesson_step = 1;
    };
    auto opts = std::make_shared<Options>();
    CLI::App* cmd = app.add_subcommand("render", "Draw the GUI in a given state and save a PNG screenshot");
    add_input_options(*cmd, opts->inputs);
    cmd->add_option("--out", opts->request.out, "PNG file to write")->required();
    cmd->add_option("--panel", opts->request.panels, "Panel to show (repeatable; default: all)");
    cmd->add_option("--step", opts->step, "Step of the forward pass, e.g. tokenize, scores, softmax, output")->capture_default_str();
    cmd->add_option("--head", opts->head, "Selected head");
    cmd->add_option("--query", opts->query, "Selected query row");
    cmd->add_option("--size", opts->size, "Window size WxH")->capture_default_str();
    cmd->add_option("--theme", opts->theme, "dark|light")->capture_default_str();
    cmd->add_option("--frames", opts->request.frames, "Frames to draw (the last is saved)")->capture_default_str();
    cmd->add_flag("--report", opts->request.report, "Print median and p95 frame time");
    cmd->add_option("--lesson", opts->lesson, "Open this lesson (file name, e.g. 02-scaling.json) in the Lessons panel");
    cmd->add_option("--lesson-step", opts->lesson_step, "The lesson's step to show (1-based)")->capture_default_str();
    cmd->add_option("--layout-json", opts->request.layout_json,
                    "Also write each heatmap's screen rectangle (id, x0, y0, x1, y1, rows, cols) as JSON, for tests");
    cmd->callback([opts] {
        gui::AppState state;
        state.inputs = to_inputs(opts->inputs);
        const std::optional<gui::Step> step = gui::parse_step(opts->step);
        if (!step) {
            std::string ids;
            for (int i = 0; i < gui::kStepCount; ++i) ids += (i ? ", " : "") + std::string(gui::step_info(gui::step_at(i)).id);
            throw Error("unknown step '" + opts->step + "': choose one of " + ids);
        }
        state.selection = {opts->head, opts->query, *step};
        if (opts->head < 0 || opts->head >= state.inputs.heads)
            throw Error("head " + std::to_string(opts->head) + " does not exist: choose 0.." +
                        std::to_string(state.inputs.heads - 1));
        if (opts->theme != "dark" && opts->theme != "light") throw Error("unknown theme '" + opts->theme + "': choose dark or light");
        state.theme = opts->theme == "dark" ? gui::Theme::Dark : gui::Theme::Light;
        std::smatch m;
        if (!std::regex_match(opts->size, m, std::regex(R"((\d{1,5})x(\d{1,5}))")))
            throw Error("cannot read size '" + opts->size + "': write WIDTHxHEIGHT, e.g. 1600x960");
        if (!opts->lesson.empty()) {  // the step sets the inputs and the view itself
            state.panels.lessons.start_lesson = opts->lesson;
            state.panels.lessons.start_step = opts->lesson_step - 1;
            state.panels.lessons.wait_for_experiments = true;
            state.windows.lessons = true;
            if (!opts->request.panels.empty() &&
                std::find(opts->request.panels.begin(), opts->request.panels.end(), "lessons") == opts->request.panels.end())
                opts->request.panels.push_back("lessons");
        }
        opts->request.width = std::stoi(m[1]);
        opts->request.height = std::stoi(m[2]);
        gui::render_screenshot(std::move(state), opts->request);
    });
}

}  // namespace attnscope::cli
