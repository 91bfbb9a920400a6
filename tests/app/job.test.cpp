#include <catch2/catch.hpp>

#include <chrono>
#include <stdexcept>

#include "gui/job.hpp"

using attnscope::gui::BackgroundJob;
using attnscope::gui::JobControl;

TEST_CASE("BackgroundJob runs work to completion and reports its progress") {
    BackgroundJob job;
    int result = 0;
    job.start([&](JobControl& control) {
        for (int i = 1; i <= 10; ++i) {
            result += i;
            control.set_progress(i / 10.0);
        }
    });
    job.wait();
    CHECK_FALSE(job.running());
    CHECK(result == 55);
    CHECK(job.progress() == 1.0);
    CHECK(job.error().empty());
}

TEST_CASE("BackgroundJob cancel stops a job that polls cancelled()") {
    BackgroundJob job;
    std::atomic<bool> started{false};
    job.start([&](JobControl& control) {
        started = true;
        while (!control.cancelled()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    });
    while (!started) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    CHECK(job.running());
    job.cancel();
    job.wait();
    CHECK_FALSE(job.running());
    CHECK(job.was_cancelled());
}

TEST_CASE("BackgroundJob turns an exception into error() and can be restarted") {
    BackgroundJob job;
    job.start([](JobControl&) { throw std::runtime_error("disk full: free some space"); });
    job.wait();
    CHECK(job.error() == "disk full: free some space");
    bool ran = false;
    job.start([&](JobControl&) { ran = true; });
    job.wait();
    CHECK(ran);
    CHECK(job.error().empty());
    CHECK_FALSE(job.was_cancelled());
}
