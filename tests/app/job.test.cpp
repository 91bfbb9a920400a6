#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>

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

TEST_CASE("BackgroundJob start never waits: the running work is asked to stop and the newest queued work wins") {
    BackgroundJob job;
    std::atomic<bool> first_started{false}, release{false};
    std::atomic<int> ran_second{0}, ran_third{0};
    bool first_saw_cancel = false;
    job.start([&](JobControl& control) {
        first_started = true;
        while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(1));  // ignores cancel for a while
        first_saw_cancel = control.cancelled();
    });
    while (!first_started) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    const auto before = std::chrono::steady_clock::now();
    job.start([&](JobControl&) { ++ran_second; });
    job.start([&](JobControl& control) {
        CHECK_FALSE(control.cancelled());  // each work starts uncancelled
        ++ran_third;
    });
    // Both calls returned while the first work still ran.
    CHECK(std::chrono::steady_clock::now() - before < std::chrono::seconds(1));
    CHECK(job.running());
    release = true;
    job.wait();
    CHECK(first_saw_cancel);
    CHECK(ran_second == 0);  // replaced before it began
    CHECK(ran_third == 1);
    CHECK_FALSE(job.running());
}

TEST_CASE("BackgroundJob reports only the latest work's error") {
    BackgroundJob job;
    std::atomic<bool> started{false}, release{false};
    job.start([&](JobControl&) {
        started = true;
        while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        throw std::runtime_error("stale failure");
    });
    while (!started) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    job.start([](JobControl&) {});
    release = true;
    job.wait();
    CHECK(job.error().empty());
}
