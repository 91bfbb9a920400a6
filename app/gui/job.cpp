#include "gui/job.hpp"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <exception>
#include <new>

namespace attnscope::gui {
namespace {

std::atomic<int> g_active{0};  // jobs with work queued or running

}  // namespace

int BackgroundJob::active_count() { return g_active.load(); }

BackgroundJob::~BackgroundJob() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stop_ = true;
        if (queued_ && !busy_) --g_active;
        queued_.reset();
        control_.cancel_.store(true);
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void BackgroundJob::start(Work work) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!busy_ && !queued_) ++g_active;
        queued_ = std::move(work);
        error_.clear();
        if (busy_) control_.cancel_.store(true);  // the running work makes way
        if (!thread_.joinable()) thread_ = std::thread([this] { loop(); });
    }
    wake_.notify_all();
}

void BackgroundJob::cancel() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (queued_ && !busy_) --g_active;
        queued_.reset();
        control_.cancel_.store(true);
    }
    idle_.notify_all();
}

void BackgroundJob::wait() {
    std::unique_lock<std::mutex> lock(mutex_);
    idle_.wait(lock, [this] { return !busy_ && !queued_; });
}

bool BackgroundJob::running() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return busy_ || queued_.has_value();
}

std::string BackgroundJob::error() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return error_;
}

void BackgroundJob::loop() {
    // The frame loop comes first: on a machine with few cores, background work must not delay a
    // frame (Linux sets priorities per thread).
    setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), 10);
    for (;;) {
        Work work;
        {
            std::unique_lock<std::mutex> lock(mutex_);
            wake_.wait(lock, [this] { return stop_ || queued_.has_value(); });
            if (stop_) break;
            work = std::move(*queued_);
            queued_.reset();
            busy_ = true;
            control_.cancel_.store(false);
            control_.progress_.store(0.0);
        }
        std::string error;
        try {
            work(control_);
        } catch (const std::bad_alloc&) {
            error = "not enough memory for this: try smaller sizes";
        } catch (const std::exception& e) {
            error = e.what();
        }
        {
            std::lock_guard<std::mutex> lock(mutex_);
            busy_ = false;
            if (!queued_) {
                error_ = std::move(error);  // superseded work's error is not the latest's
                --g_active;
            }
        }
        idle_.notify_all();
    }
}

}  // namespace attnscope::gui
