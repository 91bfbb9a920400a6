#pragma once
// The GUI's one path to the engine: every run happens on a background thread, so a frame never
// waits for one. The frame loop posts requests and polls for results; the newest request wins
// (one still waiting is replaced, and a result whose request was superseded is dropped).
// A run computes the trace for the inputs and, when the Compare window is open, each compared
// variant from the same exact heads (vary()). Models open in the Runner's own ModelStore, with
// progress; the GPU backend gets its own headless OpenGL context on the worker thread.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "attnscope/model.hpp"
#include "attnscope/trace.hpp"
#include "gui/compared_run.hpp"

namespace attnscope::gui {

struct RunRequest {
    Inputs inputs;
    std::vector<VariantParams> compared;  // empty: Compare is closed
};

struct RunResult {
    std::uint64_t id = 0;                 // of the request it answers
    RunRequest request;
    std::optional<Trace> trace;           // empty when the inputs could not run
    std::string error;                    // why, in the GUI's words
    std::vector<ComparedRun> compared;    // one per requested variant
    std::string backend_status;           // which backend ran, or why not the one asked for
};

// What panels may know of the runner.
struct RunStatus {
    bool busy = false;      // a run is queued or on
    double progress = 0.0;  // loading a model: 0..1
};

class Runner {
public:
    Runner();
    ~Runner();
    Runner(const Runner&) = delete;
    Runner& operator=(const Runner&) = delete;

    // Queues a run, replacing one that has not started. Returns its id.
    std::uint64_t request(RunRequest request);
    // The result of the newest finished request not yet taken (older finished ones are dropped).
    std::optional<RunResult> take();
    bool busy() const;                  // a request is queued or running
    double progress() const;            // of the run in progress: loading a model reports 0..1
    void wait_idle();                   // blocks until nothing is queued or running (tests, screenshots)
    std::uint64_t latest_request() const;
    RunStatus status() const { return {busy(), progress()}; }

private:
    void work();
    RunResult compute(std::uint64_t id, const RunRequest& request);

    mutable std::mutex mutex_;
    std::condition_variable wake_, idle_;
    std::optional<std::pair<std::uint64_t, RunRequest>> pending_;
    std::optional<RunResult> done_;
    std::uint64_t next_id_ = 0;
    bool running_ = false, stop_ = false;
    std::atomic<double> progress_{0.0};
    ModelStore models_;
    struct Gpu;
    std::unique_ptr<Gpu> gpu_;  // created on the worker thread at the first GPU request
    std::thread thread_;        // last: started after everything it uses
};

}  // namespace attnscope::gui
