#include "gui/job.hpp"

#include <exception>

namespace attnscope::gui {

BackgroundJob::~BackgroundJob() {
    cancel();
    wait();
}

void BackgroundJob::start(std::function<void(JobControl&)> work) {
    cancel();
    wait();
    control_.cancel_.store(false);
    control_.progress_.store(0.0);
    {
        std::lock_guard<std::mutex> lock(error_mutex_);
        error_.clear();
    }
    running_.store(true);
    thread_ = std::thread([this, work = std::move(work)] {
        try {
            work(control_);
        } catch (const std::exception& e) {
            std::lock_guard<std::mutex> lock(error_mutex_);
            error_ = e.what();
        }
        running_.store(false);
    });
}

void BackgroundJob::cancel() { control_.cancel_.store(true); }

void BackgroundJob::wait() {
    if (thread_.joinable()) thread_.join();
}

std::string BackgroundJob::error() const {
    std::lock_guard<std::mutex> lock(error_mutex_);
    return error_;
}

}  // namespace attnscope::gui
