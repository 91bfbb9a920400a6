// attnscope render: draws the GUI in a given state and saves a screenshot (needs a display; Xvfb works).
// With --frames N --report it doubles as the frame-time benchmark.
#include <algorithm>
#include <filesystem>
#include <memory>

#include "attnscope/error.hpp"
#include "attnscope/json_input.hpp"
#include "attnscope/lessons/lesson.hpp"
#include "cli/common.hpp"
#include "cli/subcommands.hpp"
#include "cli/window_size.hpp"
#include "gui/app.hpp"
#include "gui/panels/lessons.hpp"
#include "gui/panels/model.hpp"
#include "gui/panels/scaling.hpp"
#include "gui/panels/training.hpp"

namespace attnscope::cli {

namespace {

struct RenderOptions {
    InputOptions inputs;
    gui::RenderRequest request;
    std::string size = "1600x960";
    std::string step = "tokenize";
    int head = 0, query = 0;
    std::string model_view = "heads";
    std::string theme = "dark";
    std::string lesson;
    int lesson_step = 1;
    bool scaling_sweep = false;
    std::vector<std::string> scaling_variants;
    std::string scaling_n;
    int scaling_heads = 0, scaling_d_head = 0, scaling_threads = -1;
    double scaling_budget = 0;
    std::string train_task;
    int train_steps = 0;
    bool train_running = false;
};

void apply_scaling_options(RenderOptions& o, gui::AppState& state) {
    if (!o.scaling_sweep) return;
    BenchConfig& c = gui::panel_state<gui::ScalingPanelState>(state, "scaling").config;
    if (!o.scaling_variants.empty()) {
        c.variants.clear();
        for (const std::string& v : o.scaling_variants) c.variants.push_back(parse_variant(v));
    }
    if (!o.scaling_n.empty()) c.sizes = parse_bench_sizes(o.scaling_n, "--scaling-n");
    if (o.scaling_heads) c.heads = o.scaling_heads;
    if (o.scaling_d_head) c.d_head = o.scaling_d_head;
    if (o.scaling_budget) c.budget = o.scaling_budget;
    if (o.scaling_threads >= 0) c.threads = o.scaling_threads;
    check_bench_config(c);
    gui::ScalingPanelState& scaling = gui::panel_state<gui::ScalingPanelState>(state, "scaling");
    scaling.start_on_open = scaling.wait_for_sweep = true;
    gui::panel_open(state, "scaling") = true;
    if (!o.request.panels.empty() &&
        std::find(o.request.panels.begin(), o.request.panels.end(), "scaling") == o.request.panels.end())
        o.request.panels.push_back("scaling");
}

void apply_training_options(RenderOptions& o, gui::AppState& state) {
    if (o.train_task.empty() && o.train_steps <= 0 && !o.train_running) return;
    const std::vector<std::string>& tasks = gui::training_tasks();
    const std::string task = o.train_task.empty() ? "reverse" : o.train_task;
    const auto it = std::find(tasks.begin(), tasks.end(), task);
    if (it == tasks.end()) throw Error("unknown --train-task '" + task + "': choose copy, reverse, sort or induction");
    if (o.train_steps < 0) throw Error("--train-steps must be 0 or more");
    gui::TrainingPanelState& t = gui::panel_state<gui::TrainingPanelState>(state, "training");
    t.task = static_cast<int>(it - tasks.begin());
    if (task == "induction") t.layers = 2, t.heads = 2;
    t.start_steps = std::max(o.train_steps, o.train_running ? 1 : 0);
    t.keep_running = o.train_running;
    gui::panel_open(state, "training") = true;
}

// The lesson must load and have the step; otherwise the error would only be drawn inside the PNG.
void check_lesson_option(const RenderOptions& o) {
    std::vector<std::string> searched;
    const std::string folder = gui::find_lessons_folder(searched);
    if (folder.empty()) throw Error("no lessons folder found: set ATTNSCOPE_ASSETS to the folder that holds lessons/");
    std::filesystem::path file = std::filesystem::path(folder) / o.lesson;
    if (file.extension() != ".json") file += ".json";
    std::error_code ec;
    if (o.lesson.find('/') != std::string::npos || !std::filesystem::is_regular_file(file, ec)) {
        std::vector<std::string> names;
        for (const auto& entry : std::filesystem::directory_iterator(folder, ec))
            if (entry.path().extension() == ".json") names.push_back(entry.path().stem().string());
        std::sort(names.begin(), names.end());
        std::string list;
        for (const std::string& n : names) list += (list.empty() ? "" : ", ") + n;
        throw Error("no lesson named " + quote_json(o.lesson) + " in " + folder + ": choose one of " + list);
    }
    const Lesson lesson = load_lesson(file, gui::lesson_vocabulary());
    const int steps = static_cast<int>(lesson.steps.size());
    if (o.lesson_step < 1 || o.lesson_step > steps)
        throw Error("--lesson-step " + std::to_string(o.lesson_step) + ": " + lesson.file + " has steps 1 to " +
                    std::to_string(steps));
}

void apply_lesson_options(RenderOptions& o, gui::AppState& state) {
    if (o.lesson.empty()) return;  // the lesson's step sets the inputs and the view itself
    check_lesson_option(o);
    gui::LessonsPanelState& lessons = gui::panel_state<gui::LessonsPanelState>(state, "lessons");
    lessons.start_lesson = o.lesson;
    lessons.start_step = o.lesson_step - 1;
    lessons.wait_for_experiments = true;
    gui::panel_open(state, "lessons") = true;
    if (!o.request.panels.empty() &&
        std::find(o.request.panels.begin(), o.request.panels.end(), "lessons") == o.request.panels.end())
        o.request.panels.push_back("lessons");
}

}  // namespace

void add_render_command(CLI::App& app) {
    auto opts = std::make_shared<RenderOptions>();
    CLI::App* cmd = app.add_subcommand("render", "Draw the GUI in a given state and save a PNG screenshot");
    add_input_options(*cmd, opts->inputs);
    cmd->add_option("--out", opts->request.out, "PNG file to write")->required();
    cmd->add_option("--panel", opts->request.panels, "Panel to show (repeatable), in a grid; default: the workspace's");
    cmd->add_option("--workspace", opts->request.workspace,
                    "Workspace to show: " + gui::workspace_ids() + " (default: " + gui::workspaces().front().id + ")");
    cmd->add_flag("--welcome", opts->request.welcome, "Show the welcome card, as the app does at first launch");
    cmd->add_option("--step", opts->step, "Step of the forward pass, e.g. tokenize, scores, softmax, output")->capture_default_str();
    cmd->add_option("--head", opts->head, "Selected head");
    cmd->add_option("--query", opts->query, "Selected query row");
    cmd->add_option("--model-view", opts->model_view, "Model panel: heads|mean|rollout")->capture_default_str();
    cmd->add_option("--size", opts->size, "Window size WxH")->capture_default_str();
    cmd->add_option("--theme", opts->theme, "dark|light")->capture_default_str();
    cmd->add_option("--frames", opts->request.frames, "Frames to draw (the last is saved)")->capture_default_str();
    cmd->add_flag("--report", opts->request.report, "Print median and p95 frame time");
    cmd->add_flag("--retype", opts->request.retype,
                  "Change the sentence every frame, as typing does (with --report: frame time while traces recompute)");
    cmd->add_option("--lesson", opts->lesson, "Open this lesson (file name, e.g. 02-scaling.json) in the Lessons panel");
    cmd->add_option("--lesson-step", opts->lesson_step, "The lesson's step to show (1-based)")->capture_default_str();
    cmd->add_flag("--scaling-sweep", opts->scaling_sweep, "Scaling panel: run its sweep before drawing");
    cmd->add_option("--scaling-variant", opts->scaling_variants, "Scaling panel: variant to time (repeatable)");
    cmd->add_option("--scaling-n", opts->scaling_n, "Scaling panel: lengths, powers of two A..B");
    cmd->add_option("--scaling-heads", opts->scaling_heads, "Scaling panel: heads");
    cmd->add_option("--scaling-d-head", opts->scaling_d_head, "Scaling panel: d_head");
    cmd->add_option("--scaling-budget", opts->scaling_budget, "Scaling panel: seconds per run before a variant is dropped");
    cmd->add_option("--scaling-threads", opts->scaling_threads, "Scaling panel: kernel threads (0: all cores)");
    cmd->add_option("--train-task", opts->train_task, "Training panel: task (copy|reverse|sort|induction)");
    cmd->add_option("--train-steps", opts->train_steps, "Training panel: train this many steps before drawing");
    cmd->add_flag("--train-running", opts->train_running, "Training panel: keep training in the background while drawing");
    cmd->add_option("--layout-json", opts->request.layout_json,
                    "Also write where each heatmap and plot was drawn (heatmaps: id, x0, y0, x1, y1, rows, cols; plots: area, ranges, curves) as JSON, for tests");
    cmd->callback([opts] {
        gui::AppState state;
        state.inputs = to_inputs(opts->inputs);
        const std::optional<gui::Step> step = gui::parse_step(opts->step);
        if (!step) {
            std::string ids;
            for (int i = 0; i < gui::kStepCount; ++i) ids += (i ? ", " : "") + std::string(gui::step_info(gui::step_at(i)).id);
            throw Error("unknown step '" + opts->step + "': choose one of " + ids);
        }
        state.selection = {opts->head, opts->query, *step, std::max(0, opts->inputs.layer)};
        if (state.inputs.model.empty() && (opts->head < 0 || opts->head >= state.inputs.heads))
            throw Error("head " + std::to_string(opts->head) + " does not exist: choose 0.." +
                        std::to_string(state.inputs.heads - 1));
        if (opts->theme != "dark" && opts->theme != "light") throw Error("unknown theme '" + opts->theme + "': choose dark or light");
        state.theme = opts->theme == "dark" ? gui::Theme::Dark : gui::Theme::Light;
        if (opts->model_view != "heads" && opts->model_view != "mean" && opts->model_view != "rollout")
            throw Error("unknown --model-view '" + opts->model_view + "': choose heads, mean or rollout");
        gui::panel_state<gui::ModelPanelState>(state, "model").view = opts->model_view == "heads"  ? gui::ModelView::Heads
                                  : opts->model_view == "mean" ? gui::ModelView::MeanOverHeads
                                                               : gui::ModelView::Rollout;
        const WindowSize size = parse_window_size(opts->size);
        apply_scaling_options(*opts, state);
        apply_training_options(*opts, state);
        apply_lesson_options(*opts, state);
        opts->request.width = size.width;
        opts->request.height = size.height;
        gui::render_screenshot(std::move(state), opts->request);
    });
}

}  // namespace attnscope::cli
