#pragma once
// An OpenGL 4.3 core context without a visible window, for the command line and the tests:
// EGL first (Mesa's surfaceless platform, or the device platform: no X server needed), then a
// hidden GLFW window (needs a display, e.g. Xvfb). Current on the creating thread while it lives.
#include <memory>
#include <string>

#include "attnscope/gpu/device.hpp"

namespace attnscope::gpu {

class HeadlessContext {
public:
    // Throws Error saying why neither EGL nor GLFW gave an OpenGL 4.3 core context.
    HeadlessContext();
    ~HeadlessContext();
    HeadlessContext(const HeadlessContext&) = delete;
    HeadlessContext& operator=(const HeadlessContext&) = delete;
    const std::string& how() const { return how_; }  // "EGL surfaceless", "EGL device", "GLFW hidden window"

private:
    struct Egl;
    std::unique_ptr<Egl> egl_;
    void* glfw_window_ = nullptr;
    std::string how_;
};

// A headless context and a Device on it, as the command line uses them.
struct HeadlessGpu {
    HeadlessContext context;
    Device device;
};
// nullptr when there is no OpenGL 4.3 anywhere; `why` then says what was tried.
std::unique_ptr<HeadlessGpu> open_headless_gpu(std::string& why);

}  // namespace attnscope::gpu
