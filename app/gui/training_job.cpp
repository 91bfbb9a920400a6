#include "gui/training_job.hpp"

#include <chrono>
#include <cstdio>
#include <filesystem>

#include "attnscope/error.hpp"
#include "attnscope/gpt2.hpp"

namespace attnscope::gui {
namespace {

std::string format_loss(double loss) {
    char text[32];
    std::snprintf(text, sizeof text, "%.3g", loss);
    return text;
}

bool same_run(const train::Trainer& t, const train::Task& task, const train::TrainSettings& s) {
    const train::Task& a = t.task();
    const train::TrainSettings& b = t.settings();
    return a.kind == task.kind && a.symbols == task.symbols && a.length == task.length && b.n_layer == s.n_layer &&
           b.n_head == s.n_head && b.n_embd == s.n_embd && b.batch == s.batch && b.lr == s.lr && b.seed == s.seed;
}

}  // namespace

std::vector<std::string> probe_labels(const train::Task& task) {
    std::vector<std::string> labels;
    for (int id : train::probe_batch(task).tokens) labels.push_back(train::symbol_text(task, id));
    return labels;
}

bool TrainingJob::has_trainer() const { return trainer_ != nullptr; }

void TrainingJob::ensure_trainer(const train::Task& task, const train::TrainSettings& settings) {
    if (trainer_ && same_run(*trainer_, task, settings)) return;
    trainer_ = std::make_shared<train::Trainer>(task, settings);
    std::lock_guard<std::mutex> lock(mutex_);
    const long version = shared_.version + 1;
    shared_ = TrainingSnapshot{};
    shared_.version = version;
}

void TrainingJob::post(train::Trainer& trainer, double loss, double steps_per_second) {
    std::vector<Matrix> maps = trainer.probe_attention();
    double pattern = -1;
    const train::Task& task = trainer.task();
    if (task.kind == train::TaskKind::Reverse) {
        pattern = 0;
        for (int l = 0; l < trainer.model().config().n_layer; ++l)
            pattern = std::max(pattern, train::reverse_pattern_score(trainer.model(), l, task.length));
    }
    std::lock_guard<std::mutex> lock(mutex_);
    TrainingSnapshot& s = shared_;
    ++s.version;
    s.step = trainer.steps_done();
    if (loss >= 0) s.steps.push_back(s.step), s.losses.push_back(loss);
    s.attention = std::move(maps);
    if (s.tokens.empty()) s.tokens = probe_labels(task);
    s.layers = trainer.model().config().n_layer;
    s.heads = trainer.model().config().n_head;
    s.baseline = train::unigram_loss(task);
    s.pattern = pattern;
    if (steps_per_second > 0) s.steps_per_second = steps_per_second;
}

void TrainingJob::start(const train::Task& task, const train::TrainSettings& settings, StopRule stop) {
    job_.cancel();
    job_.wait();
    ensure_trainer(task, settings);
    if (stop.steps > 0 && trainer_->steps_done() >= stop.steps)
        throw Error("already at step " + std::to_string(trainer_->steps_done()) +
                    ": raise \"stop at step\" to train further, or Reset to start again");
    {
        std::lock_guard<std::mutex> lock(mutex_);
        shared_.stopped.clear();
    }
    post(*trainer_, -1, 0);
    job_.start([this, trainer = trainer_, stop](JobControl& control) {
        using clock = std::chrono::steady_clock;
        auto last = clock::now();
        double sum = 0;
        int n = 0;
        std::string why;
        while (!control.cancelled() && why.empty()) {
            sum += trainer->step(), ++n;
            const bool at_step = stop.steps > 0 && trainer->steps_done() >= stop.steps;
            const double seconds = std::chrono::duration<double>(clock::now() - last).count();
            if (seconds >= 0.1 || at_step) {  // ten updates a second are enough to watch
                const double loss = sum / n;
                if (at_step)
                    why = "stopped at step " + std::to_string(trainer->steps_done());
                else if (stop.loss > 0 && loss <= stop.loss)
                    why = "stopped at step " + std::to_string(trainer->steps_done()) + ": loss " +
                          format_loss(loss) + " reached " + format_loss(stop.loss);
                post(*trainer, loss, at_step ? 0 : n / seconds);
                sum = 0, n = 0, last = clock::now();
            }
        }
        if (n > 0) post(*trainer, sum / n, 0);
        std::lock_guard<std::mutex> lock(mutex_);
        shared_.stopped = why;
        ++shared_.version;
    });
}

void TrainingJob::pause() {
    job_.cancel();
    job_.wait();
}

void TrainingJob::reset() {
    pause();
    trainer_.reset();
    std::lock_guard<std::mutex> lock(mutex_);
    const long version = shared_.version + 1;
    shared_ = TrainingSnapshot{};
    shared_.version = version;
}

void TrainingJob::train_now(const train::Task& task, const train::TrainSettings& settings, int steps) {
    pause();
    ensure_trainer(task, settings);
    const int log_every = std::max(1, steps / 100);
    double sum = 0;
    int n = 0;
    for (int s = 0; s < steps; ++s) {
        sum += trainer_->step(), ++n;
        if (n == log_every) {
            std::lock_guard<std::mutex> lock(mutex_);
            shared_.steps.push_back(trainer_->steps_done());
            shared_.losses.push_back(sum / n);
            sum = 0, n = 0;
        }
    }
    post(*trainer_, n > 0 ? sum / n : -1, 0);
}

void TrainingJob::save(const std::string& dir) {
    pause();
    if (!trainer_) throw Error("nothing trained yet: press Train first");
    const BpeVocabulary letters = train::letters_vocabulary(trainer_->task());
    save_gpt2(dir, train::to_gpt2(trainer_->model()));
    write_bpe(dir, letters);
}

bool TrainingJob::snapshot_if_newer(long have, TrainingSnapshot& out) const {
    std::lock_guard<std::mutex> lock(mutex_);
    if (shared_.version == have) return false;
    out = shared_;
    return true;
}

}  // namespace attnscope::gui
