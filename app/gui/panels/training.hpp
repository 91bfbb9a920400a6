#pragma once
// Training panel: pick a task and a model size, train it live in the background, and watch the loss
// fall and the probe sequence's attention form (reverse's anti-diagonal, induction's offset stripe).
#include <memory>
#include <string>
#include <vector>

#include "attnscope/inputs.hpp"
#include "gui/edits.hpp"
#include "gui/training_job.hpp"
#include "gui/widgets/heatmap.hpp"

namespace attnscope::gui {

struct TrainingPanelState {
    int task = 1;                   // index into training_tasks(): copy, reverse, sort, induction
    int layers = 1, heads = 1, d_model = 32;
    std::unique_ptr<TrainingJob> job = std::make_unique<TrainingJob>();
    TrainingSnapshot shown;         // the job's latest snapshot, copied when it changes
    std::vector<Heatmap> maps;      // one per layer and head
    int stop_steps = 2000;          // stop there (0: never); also the learning-rate schedule's length
    float stop_loss = 0;            // or once the loss falls to this (0: never)
    bool log_loss = true;           // the loss plot's y axis
    std::string error;              // the last Start refused (bad sizes), or why the model could not be saved
    std::string saved_to;           // the folder "Open in Model panel" wrote last
    // attnscope render --train-task/--train-steps: train this many steps on the first frame, then
    // keep training in the background if keep_running.
    int start_steps = 0;
    bool keep_running = false;
};
// Returns the edits of "Open in Model panel": the saved model and its probe sequence as the inputs.
Edits draw_training_panel(const Inputs& inputs, TrainingPanelState& state);
// Where "Open in Model panel" saves trained models: $XDG_DATA_HOME/attnscope/trained, else
// ~/.local/share/attnscope/trained; empty when neither is set.
std::string trained_models_dir();

// The tasks the panel offers, and the task (with its sizes) for an index.
const std::vector<std::string>& training_tasks();
train::Task training_task(int index);
train::TrainSettings training_settings(const TrainingPanelState& state);

}  // namespace attnscope::gui
