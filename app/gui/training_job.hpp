#pragma once
// Training in the GUI: a train::Trainer stepping on a BackgroundJob, posting the loss curve and the
// probe sequence's attention maps into a snapshot the Training panel copies each frame.
// Pause cancels the job but keeps the trainer, so Start resumes it; Reset drops it.
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "attnscope/matrix.hpp"
#include "attnscope/train_tasks.hpp"
#include "gui/job.hpp"

namespace attnscope::gui {

struct TrainingSnapshot {
    long version = 0;                      // changes whenever anything below does
    int step = 0;
    std::vector<double> steps, losses;     // the loss curve (mean loss per logged step)
    std::vector<Matrix> attention;         // the probe's weights, [layer * heads + head], each (T, T)
    std::vector<std::string> tokens;       // the probe's tokens as text
    int layers = 0, heads = 0;
    double baseline = 0;                   // the unigram loss, for scale
    double pattern = -1;                   // reverse: the anti-diagonal score of the probe; -1 otherwise
    double steps_per_second = 0;
    std::string stopped;                   // why training stopped on its own ("reached step 2000"); empty otherwise
};

// When background training stops on its own: at a step count, or once the logged loss (the mean of
// about a tenth of a second's steps) falls to a target. 0 turns a rule off.
struct StopRule {
    int steps = 0;
    double loss = 0;
};

class TrainingJob {
public:
    TrainingJob() = default;
    TrainingJob(const TrainingJob&) = delete;
    TrainingJob& operator=(const TrainingJob&) = delete;
    ~TrainingJob() { pause(); }  // the job posts into this object's members: stop it first

    // Starts (or resumes, when the task and settings are those of the kept trainer) in the background,
    // until `stop` or pause(). Throws Error when the kept trainer is already at the stop step.
    void start(const train::Task& task, const train::TrainSettings& settings, StopRule stop = {});
    void pause();
    void reset();
    // Runs `steps` steps on this thread (headless screenshots), then posts a snapshot.
    void train_now(const train::Task& task, const train::TrainSettings& settings, int steps);
    bool running() const { return job_.running(); }
    bool has_trainer() const;
    // Writes the trained model as a model folder (config.json, model.safetensors, and the letters
    // tokenizer) that the Model panel opens; pauses training first. Throws Error with no trainer, a
    // task the letters cannot spell, or a folder that cannot be written.
    void save(const std::string& dir);
    std::string error() const { return job_.error(); }  // why the last background run stopped, if it threw
    // A copy of the latest snapshot if its version differs from `have`; false when nothing changed.
    bool snapshot_if_newer(long have, TrainingSnapshot& out) const;

private:
    void ensure_trainer(const train::Task& task, const train::TrainSettings& settings);
    void post(train::Trainer& trainer, double loss, double steps_per_second);

    BackgroundJob job_;
    std::shared_ptr<train::Trainer> trainer_;  // used by one thread at a time: the job, or the caller when idle
    mutable std::mutex mutex_;                 // guards shared_
    TrainingSnapshot shared_;
};

// Probe tokens as the panel labels them: symbols as letters a.., SEP as '|'.
std::vector<std::string> probe_labels(const train::Task& task);

}  // namespace attnscope::gui
