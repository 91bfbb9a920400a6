#pragma once
// The GUI's one path to the engine: every run happens on a BackgroundJob, so a frame never waits
// for one. The frame loop posts requests and polls for results; the newest request wins (one
// still waiting is replaced, a model still loading stops, and a result whose request was
// superseded is dropped).
// A run computes the trace for the inputs and, when the Compare window is open, each compared
// variant from the same exact heads (vary()). Models open in the Runner's own ModelStore, with
// progress; the GPU backend gets its own headless OpenGL context on the worker thread.
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "attnscope/model.hpp"
#include "attnscope/trace.hpp"
#include "gui/compared_run.hpp"
#include "gui/job.hpp"

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
    RunResult compute(std::uint64_t id, const RunRequest& request, JobControl& control);

    mutable std::mutex mutex_;
    std::optional<RunResult> done_;
    std::uint64_t next_id_ = 0;
    ModelStore models_;         // used on the job's thread only
    struct Gpu;
    std::unique_ptr<Gpu> gpu_;  // created on the job's thread at the first GPU request
    BackgroundJob job_;         // last: destroyed first, after its work has finished
};

}  // namespace attnscope::gui
