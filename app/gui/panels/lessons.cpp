// Lessons panel: the lesson list with progress; inside a lesson, Back / Next, the step's text with
// live numbers, its task with a live check, and its experiment's table and plot.
#include "gui/panels/lessons.hpp"

#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "attnscope/error.hpp"
#include "attnscope/lessons/state.hpp"
#include "gui/frame.hpp"
#include "gui/widgets/plot.hpp"
#include "gui/widgets/texts_drawn.hpp"
#include "gui/widgets/tones.hpp"

namespace attnscope::gui {
namespace {

const ImU32 kSeriesColors[] = {IM_COL32(90, 170, 255, 255), IM_COL32(255, 140, 60, 255), IM_COL32(120, 200, 120, 255),
                               IM_COL32(170, 170, 170, 255)};

// --- loading ---

void load(LessonsPanelState& state) {
    state.loaded = true;
    state.lessons.clear();
    state.load_errors.clear();
    std::vector<std::string> searched;
    state.folder = find_lessons_folder(searched);
    if (state.folder.empty()) {
        std::string list;
        for (const std::string& s : searched) list += "\n  " + s;
        state.load_errors.push_back("No lessons folder found. Looked in:" + list +
                                    "\nSet ATTNSCOPE_ASSETS to the folder that holds lessons/.");
        return;
    }
    LessonLibrary library = load_lessons(state.folder, lesson_vocabulary());
    state.lessons = std::move(library.lessons);
    state.load_errors = std::move(library.errors);
    state.done.assign(state.lessons.size(), {});
    for (size_t i = 0; i < state.lessons.size(); ++i) state.done[i].assign(state.lessons[i].steps.size(), false);
    state.lesson = -1;
}

// --- experiments in the background ---

void request_experiment(ExperimentJob& job, const std::string& name, const ExperimentContext& context) {
    job.name = name;
    job.context = context;
    job.slot = std::make_shared<ExperimentSlot>();
    job.job->start([slot = job.slot, name, context](JobControl&) {
        ExperimentResult r = run_experiment(name, context);
        std::lock_guard<std::mutex> lock(slot->mutex);
        slot->result = std::move(r);
    });
}

// --- entering a step ---

// Sets up step `index` of the open lesson: its inputs (always when `reset`; otherwise only when the
// step sets some, so that a student's work carries forward on Next), its view and its experiment.
Edits enter_step(const Trace& trace, const Selection& sel, LessonsPanelState& state, int index, bool reset) {
    Edits out;
    const Lesson& lesson = state.lessons[state.lesson];
    const LessonStep& step = lesson.steps[index];
    state.step = index;
    state.show_hint = false;
    state.error.clear();
    ExperimentContext context{trace.inputs, sel.head, sel.query};
    try {
        const StepState s = lesson_state(lesson, index);
        if (reset || step.inputs || step.set_equal) out.inputs = context.inputs = s.inputs;
        if (reset || step.view.head) out.head = context.head = s.head;
        if (reset || step.view.query) out.query = context.query = s.query;
        if (s.step) out.step = parse_step(*s.step);
        out.open_panels = s.panels;
    } catch (const Error& e) {
        state.error = e.what();
    }
    state.done[state.lesson][index] = state.done[state.lesson][index] || !step.task;
    if (step.experiment.empty())
        state.experiment.name.clear();
    else
        request_experiment(state.experiment, step.experiment, context);
    return out;
}

Edits open_lesson(const Trace& trace, const Selection& sel, LessonsPanelState& state, int lesson, int step) {
    if (!state.user_inputs) state.user_inputs = trace.inputs, state.user_view = sel;
    state.lesson = lesson;
    return enter_step(trace, sel, state, step, true);
}

// Back to the list: the user's own sentence, settings and view come back.
Edits leave_lesson(LessonsPanelState& state) {
    Edits out;
    state.lesson = -1;
    state.experiment.name.clear();
    if (state.user_inputs) {
        out.inputs = std::move(state.user_inputs);
        out.layer = state.user_view.layer;
        out.head = state.user_view.head;
        out.query = state.user_view.query;
        out.step = state.user_view.step;
        state.user_inputs.reset();
    }
    return out;
}

// --- drawing ---

// Word-wrapped text whose pieces have their own colours; breaks only after spaces, so that a
// value glued to its quotes stays on one line with them.
void draw_rich_text(const std::vector<RenderedPiece>& pieces) {
    const float width = ImGui::GetContentRegionAvail().x;
    float x = 0;
    bool line_start = true, can_break = false;
    for (const RenderedPiece& piece : pieces) {
        const ImVec4 color = piece.error ? tone(Tone::Error) : piece.value ? tone(Tone::Accent) : ImGui::GetStyleColorVec4(ImGuiCol_Text);
        size_t pos = 0;
        while (pos < piece.text.size()) {
            size_t end = piece.text.find_first_of(" \n", pos);
            const bool newline = end != std::string::npos && piece.text[end] == '\n';
            end = end == std::string::npos ? piece.text.size() : end + 1;
            const std::string word = piece.text.substr(pos, newline ? end - pos - 1 : end - pos);
            pos = end;
            const float w = ImGui::CalcTextSize(word.c_str()).x;
            if (!line_start && !(can_break && x + w > width)) ImGui::SameLine(0.0f, 0.0f);
            else if (!line_start) x = 0;
            ImGui::PushStyleColor(ImGuiCol_Text, color);
            ImGui::TextUnformatted(word.c_str());
            ImGui::PopStyleColor();
            x += w;
            line_start = newline;
            can_break = !word.empty() && word.back() == ' ';
            if (newline) x = 0;
        }
    }
}

std::string format_cell(double v) {
    char buf[48];
    const double a = std::abs(v);
    if (std::isnan(v)) return "NaN";
    if (v == std::round(v) && a < 1e12) std::snprintf(buf, sizeof buf, "%.0f", v);
    else if (a == 0 || (a >= 1e-3 && a < 1e6)) std::snprintf(buf, sizeof buf, "%.4g", v);
    else std::snprintf(buf, sizeof buf, "%.3e", v);
    return buf;
}

// The width the table needs with every column as wide as its widest cell.
float table_width(const ExperimentResult& r) {
    const ImGuiStyle& style = ImGui::GetStyle();
    float total = 0;
    for (size_t c = 0; c < r.columns.size(); ++c) {
        float w = ImGui::CalcTextSize(r.columns[c].c_str()).x;
        const bool labels = !r.row_labels.empty();
        for (size_t i = 0; i < r.rows.size(); ++i) {
            const std::string cell = labels && c == 0 ? r.row_labels[i] : format_cell(r.rows[i][c - (labels ? 1 : 0)]);
            w = std::max(w, ImGui::CalcTextSize(cell.c_str()).x);
        }
        total += w + 2 * style.CellPadding.x + 1;
    }
    return total;
}

void draw_table(const ExperimentResult& r) {
    const int cols = static_cast<int>(r.columns.size());
    ImGuiTableFlags flags = ImGuiTableFlags_Borders | ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingFixedFit;
    ImVec2 size(0.0f, 0.0f);
    if (table_width(r) > ImGui::GetContentRegionAvail().x) {  // scroll sideways; that needs a fixed height
        const float row = ImGui::GetTextLineHeight() + 2 * ImGui::GetStyle().CellPadding.y;
        flags |= ImGuiTableFlags_ScrollX;
        size.y = row * (r.rows.size() + 1) + ImGui::GetStyle().ScrollbarSize + 4;
    }
    if (cols == 0 || !ImGui::BeginTable("measured", cols, flags, size)) return;
    for (const std::string& c : r.columns) ImGui::TableSetupColumn(c.c_str());
    ImGui::TableHeadersRow();
    const bool labelled = !r.row_labels.empty();
    for (size_t i = 0; i < r.rows.size(); ++i) {
        ImGui::TableNextRow();
        if (labelled) ImGui::TableNextColumn(), ImGui::TextUnformatted(r.row_labels[i].c_str());
        for (double v : r.rows[i]) ImGui::TableNextColumn(), ImGui::TextUnformatted(format_cell(v).c_str());
    }
    ImGui::EndTable();
}

void draw_experiment_plot(const ExperimentResult& r) {
    if (r.series.empty()) return;
    std::vector<PlotSeries> series;
    for (size_t i = 0; i < r.series.size(); ++i) {
        PlotSeries s;
        s.name = r.series[i].name, s.x = r.series[i].x, s.y = r.series[i].y, s.color = kSeriesColors[i % 4];
        series.push_back(std::move(s));
    }
    PlotStyle style;
    style.x.title = r.x_label, style.x.scale = r.log_x ? AxisScale::Log10 : AxisScale::Linear;
    style.y.title = r.y_label, style.y.scale = r.log_y ? AxisScale::Log10 : AxisScale::Linear;
    style.size = ImVec2(0.0f, ImGui::GetFontSize() * 16);
    draw_plot("##experiment", series, style);
}

void draw_experiment(ExperimentJob& job) {
    if (job.name.empty()) return;
    ImGui::Separator();
    ImGui::Text("Experiment: %s", job.name.c_str());
    ImGui::SameLine();
    const bool busy = job.job->running();
    ImGui::BeginDisabled(busy);
    if (ImGui::SmallButton("Run again")) request_experiment(job, job.name, job.context);
    ImGui::EndDisabled();
    if (const std::string error = job.job->error(); !error.empty()) {
        ImGui::PushStyleColor(ImGuiCol_Text, tone(Tone::Error));
        ImGui::TextWrapped("The experiment failed: %s", error.c_str());
        ImGui::PopStyleColor();
        return;
    }
    std::optional<ExperimentResult> result;
    if (job.slot) {
        std::lock_guard<std::mutex> lock(job.slot->mutex);
        result = job.slot->result;  // a copy: the work may still post into the slot
    }
    if (!result) {
        ImGui::TextDisabled("Measuring...");
        return;
    }
    const ExperimentResult& r = *result;
    ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
    ImGui::TextWrapped("%s", r.title.c_str());
    ImGui::PopStyleColor();
    draw_rich_text({{r.finding, false, false}});  // wraps at spaces only: "7.04" stays whole
    draw_experiment_plot(r);
    draw_table(r);
}

// The task box: the prompt, whether the check passes now, a hint and the solution.
Edits draw_task(const Lesson& lesson, int index, const LessonScope& scope, LessonsPanelState& state) {
    Edits out;
    const LessonTask& task = *lesson.steps[index].task;
    ImGui::Separator();
    ImGui::TextColored(tone(Tone::Accent), "Task");
    draw_rich_text(render_template(task.prompt, scope));
    try {
        if (task.check.holds(scope)) {
            state.done[state.lesson][index] = true;
            ImGui::TextColored(tone(Tone::Good), "Done! The check passes: %s", task.check.source().c_str());
        } else {
            ImGui::TextDisabled("Not yet (checking live: %s)", task.check.source().c_str());
        }
    } catch (const Error& e) {
        ImGui::PushStyleColor(ImGuiCol_Text, tone(Tone::Error));
        ImGui::TextWrapped("The check cannot be evaluated now: %s", e.what());
        ImGui::PopStyleColor();
    }
    if (!task.hint.empty()) {
        if (ImGui::SmallButton(state.show_hint ? "Hide hint" : "Hint")) state.show_hint = !state.show_hint;
        if (task.solution) ImGui::SameLine();
    }
    if (task.solution && ImGui::SmallButton("Show me")) {
        try {
            out.inputs = solution_inputs(lesson, index);
        } catch (const Error& e) {
            state.error = e.what();
        }
    }
    if (state.show_hint && !task.hint.empty()) draw_rich_text(render_template(task.hint, scope));
    return out;
}

Edits draw_navigation(const Trace& trace, const Selection& sel, LessonsPanelState& state) {
    Edits out;
    const Lesson& lesson = state.lessons[state.lesson];
    const int count = static_cast<int>(lesson.steps.size());
    const bool leave = ImGui::Button("Lessons");
    note_target("Lessons: back to the list");
    if (leave) return leave_lesson(state);
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("Back to the list; your own sentence and settings come back");
    ImGui::SameLine();
    ImGui::BeginDisabled(state.step == 0);
    if (ImGui::Button("< Back")) out = enter_step(trace, sel, state, state.step - 1, true);
    ImGui::EndDisabled();
    ImGui::SameLine();
    if (state.step + 1 < count) {
        if (ImGui::Button("Next >")) out = enter_step(trace, sel, state, state.step + 1, false);
    } else if (ImGui::Button("Finish")) {
        return leave_lesson(state);
    }
    ImGui::SameLine();
    if (ImGui::Button("Restart step")) out = enter_step(trace, sel, state, state.step, true);
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("Set the inputs and the view as this step had them");
    const std::string label = "step " + std::to_string(state.step + 1) + " / " + std::to_string(count);
    ImGui::ProgressBar(float(state.step + 1) / count, ImVec2(-1.0f, 0.0f), label.c_str());
    return out;
}

Edits draw_step(const Trace& trace, const Selection& sel, LessonsPanelState& state) {
    Edits out = draw_navigation(trace, sel, state);
    if (state.lesson < 0) return out;
    const Lesson& lesson = state.lessons[state.lesson];
    const LessonStep& step = lesson.steps[state.step];
    ImGui::BeginChild("lesson body");
    ImGui::TextDisabled("%s", lesson.title.c_str());
    ImGui::TextWrapped("%s", step.title.c_str());  // a myth's claim can be long
    ImGui::Separator();
    if (!state.error.empty()) {
        ImGui::PushStyleColor(ImGuiCol_Text, tone(Tone::Error));
        ImGui::TextWrapped("%s", state.error.c_str());
        ImGui::PopStyleColor();
    }
    const LessonScope scope{trace, sel.head, sel.query};
    draw_rich_text(render_template(step.text, scope));
    if (step.task) out.merge(draw_task(lesson, state.step, scope, state));
    draw_experiment(state.experiment);
    ImGui::EndChild();
    return out;
}

Edits draw_list(const Trace& trace, const Selection& sel, LessonsPanelState& state) {
    Edits out;
    ImGui::TextWrapped("Each lesson sets up the other panels, explains with the live numbers and asks you to try "
                       "things; leaving it brings back your own sentence and settings. Pick one:");
    ImGui::Separator();
    for (size_t i = 0; i < state.lessons.size(); ++i) {
        const Lesson& l = state.lessons[i];
        const std::vector<bool>& done = state.done[i];
        const int finished = static_cast<int>(std::count(done.begin(), done.end(), true));
        ImGui::PushID(static_cast<int>(i));
        if (ImGui::Button(finished == 0 ? "Start" : "Open")) out = open_lesson(trace, sel, state, static_cast<int>(i), 0);
        ImGui::SameLine();
        ImGui::TextUnformatted(l.title.c_str());
        ImGui::SameLine();
        if (finished == static_cast<int>(done.size()))
            ImGui::TextColored(tone(Tone::Good), "done");
        else
            ImGui::TextDisabled("%d/%zu", finished, done.size());
        if (!l.summary.empty()) {
            ImGui::Indent();
            ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
            ImGui::TextWrapped("%s", l.summary.c_str());
            ImGui::PopStyleColor();
            ImGui::Unindent();
        }
        ImGui::PopID();
    }
    if (state.lessons.empty() && state.load_errors.empty()) ImGui::TextDisabled("No lessons.");
    ImGui::Spacing();
    if (ImGui::Button("Open a lesson file..."))
        state.browser.open("Open a lesson file", FileBrowser::Pick::File, {".json"}, state.folder);
    if (ImGui::IsItemHovered())
        ImGui::SetTooltip("A lesson of your own (schema attnscope.lesson/1, as in %s). You can also drop it on the "
                          "window.", state.folder.c_str());
    return out;
}

void draw_load_errors(LessonsPanelState& state) {
    for (const std::string& e : state.load_errors) {
        ImGui::PushStyleColor(ImGuiCol_Text, tone(Tone::Error));
        ImGui::TextWrapped("%s", e.c_str());
        ImGui::PopStyleColor();
    }
    if (!state.folder.empty()) ImGui::TextDisabled("from %s", state.folder.c_str());
    if (ImGui::SmallButton("Reload lessons")) load(state);
}

// attnscope render --lesson FILE --lesson-step N: open it once, on the first frame.
Edits open_start_lesson(const Trace& trace, const Selection& sel, LessonsPanelState& state) {
    const std::string wanted = state.start_lesson;
    state.start_lesson.clear();
    for (size_t i = 0; i < state.lessons.size(); ++i) {
        const std::string& file = state.lessons[i].file;
        if (file != wanted && std::filesystem::path(file).stem().string() != wanted) continue;
        if (state.start_step < 0 || state.start_step >= static_cast<int>(state.lessons[i].steps.size())) {
            state.load_errors.push_back("lesson " + file + " has no step " + std::to_string(state.start_step + 1));
            return {};
        }
        return open_lesson(trace, sel, state, static_cast<int>(i), state.start_step);
    }
    state.load_errors.push_back("no lesson named '" + wanted + "' in " + state.folder);
    return {};
}

// A lesson file from outside the lessons folder: added to the list (replacing one of the same file
// name) and opened; a bad file is listed with the load errors.
Edits open_lesson_file(const Trace& trace, const Selection& sel, LessonsPanelState& state) {
    const std::string path = state.open_file;
    state.open_file.clear();
    try {
        Lesson lesson = load_lesson(path, lesson_vocabulary());
        auto same = std::find_if(state.lessons.begin(), state.lessons.end(),
                                 [&](const Lesson& l) { return l.file == lesson.file; });
        const int index = static_cast<int>(same - state.lessons.begin());
        const std::size_t steps = lesson.steps.size();
        if (same == state.lessons.end())
            state.lessons.push_back(std::move(lesson)), state.done.emplace_back();
        else
            *same = std::move(lesson);
        state.done[index].assign(steps, false);
        return open_lesson(trace, sel, state, index, 0);
    } catch (const Error& e) {
        state.load_errors.push_back(e.what());
        return {};
    }
}

}  // namespace

std::string find_lessons_folder(std::vector<std::string>& searched) {
    std::vector<std::filesystem::path> candidates;
    if (const char* env = std::getenv("ATTNSCOPE_ASSETS"); env && *env) candidates.push_back(std::filesystem::path(env) / "lessons");
#ifdef ATTNSCOPE_SOURCE_ASSETS
    candidates.push_back(std::filesystem::path(ATTNSCOPE_SOURCE_ASSETS) / "lessons");
#endif
    std::error_code ec;
    const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (!ec) candidates.push_back(exe.parent_path() / ".." / "share" / "attnscope" / "assets" / "lessons");
    for (const auto& c : candidates) {
        searched.push_back(c.lexically_normal().string());
        if (std::filesystem::is_directory(c, ec)) return c.lexically_normal().string();
    }
    return {};
}

LessonVocabulary lesson_vocabulary() {
    LessonVocabulary v;
    for (int i = 0; i < kStepCount; ++i) v.steps.push_back(step_info(step_at(i)).id);
    for (const PanelInfo& p : panels()) v.panels.push_back(p.id);
    return v;
}

Edits draw_lessons_panel(const Trace& trace, const Selection& sel, LessonsPanelState& state) {
    if (!state.loaded) load(state);
    Edits out;
    if (!state.start_lesson.empty()) out = open_start_lesson(trace, sel, state);
    if (const std::optional<std::string> picked = state.browser.draw()) state.open_file = *picked;
    if (!state.open_file.empty()) out.merge(open_lesson_file(trace, sel, state));
    if (state.wait_for_experiments) state.experiment.job->wait();
    if (state.lesson < 0) {
        out.merge(draw_list(trace, sel, state));
        draw_load_errors(state);
    } else {
        out.merge(draw_step(trace, sel, state));
    }
    return out;
}

}  // namespace attnscope::gui
