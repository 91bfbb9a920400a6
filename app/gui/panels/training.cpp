#include "gui/panels/training.hpp"

#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "attnscope/error.hpp"
#include "gui/widgets/plot.hpp"
#include "gui/widgets/texts_drawn.hpp"
#include "gui/widgets/tones.hpp"

namespace attnscope::gui {
namespace {

constexpr int kWidths[] = {16, 32, 64, 128};
constexpr int kHeads[] = {1, 2, 4};

// The task's one-line explanation and what to look for in its heatmaps.
const char* task_hint(train::TaskKind kind) {
    switch (kind) {
        case train::TaskKind::Copy:
            return "Copy x after '|'. Watch the answer rows (below '|') attend to the same letter: a diagonal "
                   "offset by n.";
        case train::TaskKind::Reverse:
            return "Reverse x after '|'. Watch the answer rows attend to key n-1-i: an anti-diagonal in the "
                   "lower left.";
        case train::TaskKind::Sort:
            return "Sort x after '|'. Each answer row looks for the next-larger letter wherever it is.";
        case train::TaskKind::Induction:
            return "A random run repeated: the second copy is predictable only by finding the token after the "
                   "previous occurrence (an induction head, which needs 2 layers).";
        case train::TaskKind::Text:
            break;
    }
    return "";
}

void draw_controls(TrainingPanelState& s) {
    const bool busy = s.job->running();
    ImGui::BeginDisabled(busy);
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 7);
    const std::vector<std::string>& tasks = training_tasks();
    if (ImGui::BeginCombo("task", tasks[s.task].c_str())) {
        for (int i = 0; i < static_cast<int>(tasks.size()); ++i)
            if (ImGui::Selectable(tasks[i].c_str(), i == s.task)) s.task = i;
        ImGui::EndCombo();
    }
    ImGui::SameLine();
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 4);
    ImGui::SliderInt("layers", &s.layers, 1, 2);
    ImGui::SameLine();
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 4);
    if (ImGui::BeginCombo("heads", std::to_string(s.heads).c_str())) {
        for (int h : kHeads)
            if (ImGui::Selectable(std::to_string(h).c_str(), h == s.heads)) s.heads = h;
        ImGui::EndCombo();
    }
    ImGui::SameLine();
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 5);
    if (ImGui::BeginCombo("d_model", std::to_string(s.d_model).c_str())) {
        for (int w : kWidths)
            if (ImGui::Selectable(std::to_string(w).c_str(), w == s.d_model)) s.d_model = w;
        ImGui::EndCombo();
    }
    ImGui::EndDisabled();

    ImGui::SameLine();
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 5);
    ImGui::InputInt("stop at step", &s.stop_steps, 0, 0);
    s.stop_steps = std::clamp(s.stop_steps, 0, 10000000);
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("0: train until Pause. Also the length of the learning-rate schedule.");
    ImGui::SameLine();
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 4);
    ImGui::InputFloat("or loss below", &s.stop_loss, 0, 0, "%.3g");
    if (!(s.stop_loss >= 0)) s.stop_loss = 0;  // negative or NaN: off
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("0: no loss target.");

    const char* start = s.job->has_trainer() ? "Resume" : "Train";
    if (busy) {
        if (ImGui::Button("Pause")) s.job->pause();
    } else {
        const bool pressed = ImGui::Button(start);
        note_target(std::string("Training: ") + start);
        if (pressed) try {
                s.job->start(training_task(s.task), training_settings(s), StopRule{s.stop_steps, s.stop_loss});
                s.error.clear();
            } catch (const Error& e) {
                s.error = e.what();
            }
    }
    ImGui::SameLine();
    if (ImGui::Button("Reset")) s.job->reset(), s.error.clear();
    ImGui::SameLine();
    ImGui::Checkbox("log loss", &s.log_loss);
    ImGui::SameLine();
    const TrainingSnapshot& t = s.shown;
    if (!t.losses.empty()) {
        ImGui::Text("step %d   loss %.3g (uniform guess %.3g)", t.step, t.losses.back(), t.baseline);
        if (busy && t.steps_per_second > 0) ImGui::SameLine(), ImGui::Text("  %.0f steps/s", t.steps_per_second);
    } else
        ImGui::TextDisabled("not trained yet");
    if (t.pattern >= 0) {
        ImGui::SameLine();
        ImGui::Text("  anti-diagonal %.0f%%", 100 * t.pattern);
    }
    if (!busy && !t.stopped.empty()) ImGui::SameLine(), ImGui::TextUnformatted(("  " + t.stopped).c_str());
    ImGui::TextWrapped("%s", task_hint(training_task(s.task).kind));
    const std::string error = !s.error.empty() ? s.error : s.job->error();
    if (!error.empty()) ImGui::TextColored(tone(Tone::Error), "%s", error.c_str());
}

void draw_loss(const TrainingSnapshot& t, bool log_scale, float height) {
    PlotSeries loss;
    loss.name = "loss";
    loss.x = t.steps, loss.y = t.losses;
    loss.markers = false;
    std::vector<PlotSeries> series{loss};
    if (!t.steps.empty()) {
        PlotSeries base;
        base.name = "uniform guess";
        base.x = {t.steps.front(), t.steps.back()}, base.y = {t.baseline, t.baseline};
        base.color = IM_COL32(160, 160, 160, 255);
        base.markers = false;
        series.push_back(base);
    }
    PlotStyle style;
    style.x.title = "step";
    style.y.title = log_scale ? "cross-entropy (log)" : "cross-entropy";
    if (log_scale)
        style.y.scale = AxisScale::Log10;
    else
        style.y.min = 0;
    style.size = ImVec2(0, height);
    draw_plot("loss", series, style);
}

void draw_maps(TrainingPanelState& s) {
    const TrainingSnapshot& t = s.shown;
    if (t.attention.empty()) {
        ImGui::TextDisabled("Press Train: the probe sequence's attention appears here and updates as it learns.");
        return;
    }
    s.maps.resize(t.attention.size());
    HeatmapStyle style;  // weights: viridis on [0, 1], the same scale for every head
    style.row_labels = &t.tokens;
    style.col_labels = &t.tokens;
    const float title_h = ImGui::GetTextLineHeightWithSpacing();
    style.max_height = std::max(60.0f, ImGui::GetContentRegionAvail().y / t.layers - title_h - 4);
    if (!ImGui::BeginTable("maps", t.heads, ImGuiTableFlags_SizingStretchSame)) return;
    for (int l = 0; l < t.layers; ++l)
        for (int h = 0; h < t.heads; ++h) {
            ImGui::TableNextColumn();
            const std::string title = "layer " + std::to_string(l) + " head " + std::to_string(h);
            ImGui::TextUnformatted(title.c_str());
            const int i = l * t.heads + h;
            const HeatmapHit hit = s.maps[i].draw(title.c_str(), t.attention[i], style);
            if (hit.hovered())
                ImGui::SetTooltip("query %d '%s' -> key %d '%s': weight %s", hit.row, t.tokens[hit.row].c_str(),
                                  hit.col, t.tokens[hit.col].c_str(), format_value(t.attention[i](hit.row, hit.col)).c_str());
        }
    ImGui::EndTable();
}

}  // namespace

const std::vector<std::string>& training_tasks() {
    static const std::vector<std::string> names = {"copy", "reverse", "sort", "induction"};
    return names;
}

train::Task training_task(int index) {
    train::Task task;
    task.kind = train::parse_task(training_tasks().at(std::clamp(index, 0, 3)));
    if (task.kind == train::TaskKind::Induction) task.symbols = 24, task.length = 12;
    return task;
}

train::TrainSettings training_settings(const TrainingPanelState& s) {
    train::TrainSettings t;
    t.n_layer = s.layers, t.n_head = s.heads, t.n_embd = s.d_model;
    t.steps = s.stop_steps > 0 ? s.stop_steps : 2000;  // the cosine schedule's length; then 10% of lr
    return t;
}

std::string trained_models_dir() {
    const char* xdg = std::getenv("XDG_DATA_HOME");
    const char* home = std::getenv("HOME");
    if (xdg && *xdg) return (std::filesystem::path(xdg) / "attnscope" / "trained").string();
    if (home && *home) return (std::filesystem::path(home) / ".local" / "share" / "attnscope" / "trained").string();
    return {};
}

namespace {

// "Open in Model panel": saves the model under trained_models_dir() and opens it on the probe sequence.
Edits open_in_model_panel(const Inputs& inputs, TrainingPanelState& s) {
    Edits out;
    const train::Task task = training_task(s.task);
    const std::string root = trained_models_dir();
    if (root.empty()) {
        s.error = "cannot save the model: set HOME (or XDG_DATA_HOME) to a folder attnscope may write";
        return out;
    }
    char name[96];
    std::snprintf(name, sizeof name, "%s-%dL%dH%d-step%d", training_tasks()[s.task].c_str(), s.layers, s.heads,
                  s.d_model, s.shown.step);
    const std::string dir = (std::filesystem::path(root) / name).string();
    try {
        s.job->save(dir);
    } catch (const Error& e) {
        s.error = e.what();
        return out;
    } catch (const std::filesystem::filesystem_error& e) {
        s.error = "cannot save the model in " + dir + ": " + e.code().message();
        return out;
    }
    s.error.clear();
    s.saved_to = dir;
    Inputs next = inputs;
    next.model = dir;
    next.text.clear();
    for (const std::string& label : probe_labels(task)) next.text += label;
    out.inputs = next;
    out.workspace = "inspect";
    return out;
}

}  // namespace

Edits draw_training_panel(const Inputs& inputs, TrainingPanelState& s) {
    if (s.start_steps > 0) {  // headless screenshots: train now, then maybe go on in the background
        try {
            s.job->train_now(training_task(s.task), training_settings(s), s.start_steps);
            if (s.keep_running) s.job->start(training_task(s.task), training_settings(s));
        } catch (const Error& e) {
            s.error = e.what();
        }
        s.start_steps = 0;
    }
    s.job->snapshot_if_newer(s.shown.version, s.shown);
    draw_controls(s);
    Edits out;
    if (s.job->has_trainer()) {
        const bool open = ImGui::Button("Open in Model panel");
        note_target("Training: Open in Model panel");
        if (open) out = open_in_model_panel(inputs, s);
        if (ImGui::IsItemHovered())
            ImGui::SetTooltip("Saves the model in %s and inspects it on the probe sequence: every layer, head and "
                              "stage.", trained_models_dir().c_str());
        if (!s.saved_to.empty()) ImGui::SameLine(), ImGui::TextDisabled("saved in %s", s.saved_to.c_str());
    }
    ImGui::Separator();
    const float avail = ImGui::GetContentRegionAvail().y;
    draw_loss(s.shown, s.log_loss, std::max(80.0f, avail * 0.3f));
    draw_maps(s);
    return out;
}

}  // namespace attnscope::gui
