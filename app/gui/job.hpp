#pragma once
// Work too slow for one frame (scaling sweeps, model loading, training) runs as a BackgroundJob:
// on its own thread, with a progress fraction, a cancel flag, and an error message if it threw.
// The work function posts its results into state it shares with its panel (under that state's
// own mutex); the frame loop only polls. Destroying a job cancels it and waits for it.
#include <atomic>
#include <functional>
#include <mutex>
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
    BackgroundJob() = default;
    BackgroundJob(const BackgroundJob&) = delete;
    BackgroundJob& operator=(const BackgroundJob&) = delete;
    ~BackgroundJob();

    // Cancels and joins any job still running, then starts work on a new thread. An exception
    // thrown by work ends the job and its message becomes error().
    void start(std::function<void(JobControl&)> work);
    void cancel();       // asks the work to stop; returns at once
    void wait();         // joins the thread (after cancel(), or to let it finish)
    bool running() const { return running_.load(); }
    double progress() const { return control_.progress_.load(); }
    bool was_cancelled() const { return control_.cancelled(); }
    std::string error() const;  // empty unless the last job threw

private:
    std::thread thread_;
    JobControl control_;
    std::atomic<bool> running_{false};
    mutable std::mutex error_mutex_;
    std::string error_;
};

}  // namespace attnscope::gui
