#pragma once
// The GUI's one background-job system. Work too slow for a frame (engine runs, model loading,
// lesson experiments, scaling sweeps, training) runs on a BackgroundJob: one worker thread of its
// own, at a lower priority than the frame loop, with a progress fraction, a cancel flag, and an
// error message if the work threw. The newest work wins: start() cancels the work running,
// replaces work still waiting, and never waits itself, so a frame never blocks on a job. The work
// posts its results into state it shares with its panel (under that state's own mutex); the
// frame loop only polls. Destroying a job cancels it and waits for it.
#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace attnscope::gui {

// What the work function sees: report progress, and stop soon after cancelled() turns true.
class JobControl {
public:
    bool cancelled() const { return cancel_.load(); }
    void set_progress(double fraction) { progress_.store(fraction); }

private:
    friend class BackgroundJob;
    std::atomic<bool> cancel_{false};
    std::atomic<double> progress_{0.0};
};

class BackgroundJob {
public:
    using Work = std::function<void(JobControl&)>;
    BackgroundJob() = default;
    BackgroundJob(const BackgroundJob&) = delete;
    BackgroundJob& operator=(const BackgroundJob&) = delete;
    ~BackgroundJob();

    // Queues work to run once the work now running returns (which is asked to stop), replacing
    // work queued before it. An exception thrown by work ends it and its message becomes error().
    void start(Work work);
    void cancel();                // drops queued work and asks the running work to stop; returns at once
    void wait();                  // blocks until nothing is queued or running (tests, screenshots)
    bool running() const;         // work is queued or running
    double progress() const { return control_.progress_.load(); }
    bool was_cancelled() const { return control_.cancelled(); }
    std::string error() const;    // empty unless the latest work threw
    // How many jobs have work queued or running, in the whole app: while any has, the window
    // keeps drawing (progress, results); when none has and nothing moves, it idles.
    static int active_count();

private:
    void loop();

    mutable std::mutex mutex_;
    std::condition_variable wake_, idle_;
    std::optional<Work> queued_;
    bool busy_ = false, stop_ = false;
    std::string error_;
    JobControl control_;          // of the work running (or last run)
    std::thread thread_;          // started at the first start()
};

}  // namespace attnscope::gui
