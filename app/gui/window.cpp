#include "gui/window.hpp"

#include "gui/panels/input.hpp"

#include <epoxy/gl.h>
#include <GLFW/glfw3.h>
#include <imgui.h>
#include <backends/imgui_impl_glfw.h>
#include <backends/imgui_impl_opengl3.h>

#include <algorithm>
#include <cfloat>
#include <cstdlib>
#include <filesystem>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <string>
#include <utility>

#include "attnscope/error.hpp"
#include "gui/damage.hpp"
#include "gui/frame.hpp"
#include "gui/job.hpp"
#include "gui/redraw.hpp"
#include "gui/widgets/heatmap.hpp"

namespace attnscope::gui {
namespace {

constexpr float kBaseFontPixels = 16.0f;

// Keys, the main thread's only. ImGui 1.86 reads key state once a frame, so a key pressed and
// released between two frames would never be seen down: releases that follow a press not yet
// seen by a frame wait for the next frame.
struct DeferredRelease {
    int key, scancode, mods;
};
std::vector<std::string> g_dropped;          // paths dropped on the window since the last take_dropped()

bool g_window_damaged = true;               // the window's pixels were lost (see GuiWindow::present)

void on_refresh(GLFWwindow*) { g_window_damaged = true; }

void on_drop(GLFWwindow*, int count, const char** paths) {
    for (int i = 0; i < count; ++i) g_dropped.emplace_back(paths[i]);
}

std::vector<int> g_presses;                  // GLFW keys pressed (or repeated) since the frame began
std::vector<DeferredRelease> g_releases;     // releases of those keys: due at the frame after next
std::vector<DeferredRelease> g_due;          // releases to deliver before the next NewFrame

void on_key(GLFWwindow* window, int key, int scancode, int action, int mods) {
    if (action != GLFW_RELEASE) g_presses.push_back(key);
    // Any release after a press not yet seen waits, modifiers included (xdotool's ctrl+z may release
    // ctrl in the same instant as z).
    if (action == GLFW_RELEASE && (!g_presses.empty() || !g_releases.empty())) {
        g_releases.push_back({key, scancode, mods});
        return;
    }
    ImGui_ImplGlfw_KeyCallback(window, key, scancode, action, mods);
}

std::string layout_file() {
    const char* xdg = std::getenv("XDG_CONFIG_HOME");
    const char* home = std::getenv("HOME");
    if (!xdg && !home) return {};
    const std::filesystem::path dir = std::filesystem::path(xdg ? xdg : std::string(home) + "/.config") / "attnscope";
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    return ec ? std::string() : (dir / "imgui.ini").string();
}

std::string all_text(const AppState& app) {
    return app.inputs.text + app.inputs.cross_text + panel_state<InputPanelState>(app, "input").text;
}

}  // namespace

GuiWindow::GuiWindow(const WindowOptions& options) {
#if defined(__GLIBC__)
    // A software rasterizer (Mesa's llvmpipe) allocates and frees buffers of a few MB every frame; glibc
    // would give them back to the kernel each time and fault them in again on the next frame (a fifth of
    // the frame's time). Memory freed below 64 MB at the top of the heap stays; blocks of 32 MB and more
    // (a long trace's matrices) are still mapped on their own and returned when freed.
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 64 << 20);
#endif
    if (!glfwInit())
        throw Error("cannot open a window: no display found. Set DISPLAY, or run under a virtual one: "
                    "Xvfb :99 & DISPLAY=:99 attnscope ...");
    glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 4);
    glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 3);
    glfwWindowHint(GLFW_OPENGL_PROFILE, GLFW_OPENGL_CORE_PROFILE);
    glfwWindowHint(GLFW_DEPTH_BITS, 0);
    glfwWindowHint(GLFW_STENCIL_BITS, 0);
    glfwWindowHint(GLFW_ALPHA_BITS, 0);
    int width = options.width, height = options.height;
    if (options.fill_screen) {
        glfwWindowHint(GLFW_MAXIMIZED, GLFW_TRUE);
        if (GLFWmonitor* monitor = glfwGetPrimaryMonitor())
            if (const GLFWvidmode* mode = glfwGetVideoMode(monitor)) width = mode->width, height = mode->height;
    }
    mouse_ = options.mouse;
    window_ = glfwCreateWindow(width, height, "attnscope", nullptr, nullptr);
    if (!window_) {
        glfwTerminate();
        throw Error("cannot create an OpenGL 4.3 core window: update the graphics driver or use Mesa "
                    "(LIBGL_ALWAYS_SOFTWARE=1 gives llvmpipe)");
    }
    glfwMakeContextCurrent(window_);
    glfwSwapInterval(options.vsync ? 1 : 0);
    float xscale = 1.0f, yscale = 1.0f;
    glfwGetWindowContentScale(window_, &xscale, &yscale);
    scale_ = std::max(1.0f, xscale);  // HiDPI

    IMGUI_CHECKVERSION();
    ImGui::CreateContext();
    ImGuiIO& io = ImGui::GetIO();
    ini_path_ = options.persist_layout ? layout_file() : std::string();
    io.IniFilename = ini_path_.empty() ? nullptr : ini_path_.c_str();
    apply_theme(theme_);
    ImGui::GetStyle().ScaleAllSizes(scale_);
    ImGui_ImplGlfw_InitForOpenGL(window_, true);
    glfwSetKeyCallback(window_, on_key);  // in place of ImGui's, which it calls
    glfwSetDropCallback(window_, on_drop);
    glfwSetWindowRefreshCallback(window_, on_refresh);
    ImGui_ImplOpenGL3_Init("#version 430 core");
    fonts_.rebuild("", kBaseFontPixels * scale_);
    colormaps_ = std::make_unique<ColormapPass>();
    damage_ = std::make_unique<Damage>();
    partial_ = can_present_part() && !std::getenv("ATTNSCOPE_FULL_REDRAW");  // the switch: for comparing
    g_window_damaged = true;
}

GuiWindow::~GuiWindow() {
    colormaps_.reset();
    ImGui_ImplOpenGL3_Shutdown();
    ImGui_ImplGlfw_Shutdown();
    ImGui::DestroyContext();
    glfwDestroyWindow(window_);
    glfwTerminate();
}

bool GuiWindow::should_close() const { return glfwWindowShouldClose(window_); }

std::vector<std::string> GuiWindow::take_dropped() { return std::exchange(g_dropped, {}); }

bool GuiWindow::key_pressed(int key) const {
    const int glfw_key = ImGui::GetKeyIndex(key);  // the backend maps ImGuiKey to GLFW keys
    return std::find(pressed_.begin(), pressed_.end(), glfw_key) != pressed_.end();
}

void GuiWindow::wait_for_next_frame() {
    // ImGui settles an input over a few frames; hover tooltips appear after a still moment.
    constexpr int kSettleFrames = 3;
    constexpr double kHoverSeconds = 1.0, kHoverStep = 0.1, kCaretStep = 0.5, kLongest = 10.0;
    double timeout = std::min(take_redraw_deadline(), kLongest);
    const double now = glfwGetTime();
    if (frames_since_input_ < kSettleFrames || BackgroundJob::active_count() > 0) timeout = 0;
    if (now - last_input_ < kHoverSeconds) timeout = std::min(timeout, kHoverStep);
    if (ImGui::GetIO().WantTextInput) timeout = std::min(timeout, kCaretStep);
    ++frames_since_input_;
    if (timeout <= 0) return;  // begin_frame polls
    glfwWaitEventsTimeout(timeout);
    if (glfwGetTime() - now < 0.95 * timeout) {  // woken before the time: an event came
        last_input_ = glfwGetTime();
        frames_since_input_ = 0;
    }
}

void GuiWindow::begin_frame(const AppState& app) {
    glfwPollEvents();
    pressed_ = std::move(g_presses);
    g_presses.clear();
    const std::string text = all_text(app);
    if (fonts_.needs(text)) {
        fonts_.rebuild(text, kBaseFontPixels * scale_);
        note_texture_changed();
        ImGui_ImplOpenGL3_DestroyFontsTexture();
        ImGui_ImplOpenGL3_CreateFontsTexture();
    }
    if (app.theme != theme_) {
        theme_ = app.theme;
        apply_theme(theme_);
        redraw_all_ = true;  // the windows' backgrounds are cleared to the theme's colour
        ImGui::GetStyle().ScaleAllSizes(scale_);
    }
    ImGui_ImplOpenGL3_NewFrame();
    ImGui_ImplGlfw_NewFrame();
    if (!mouse_) ImGui::GetIO().MousePos = ImVec2(-FLT_MAX, -FLT_MAX);
    // Releases held back last frame, before this NewFrame (which computes the modifier flags).
    for (const DeferredRelease& r : g_due) ImGui_ImplGlfw_KeyCallback(window_, r.key, r.scancode, GLFW_RELEASE, r.mods);
    ImGui::NewFrame();
    g_due = std::move(g_releases);
    g_releases.clear();
}

PixelBox GuiWindow::draw() {
    ImGui::Render();
    ImDrawData* data = ImGui::GetDrawData();
    int w = 0, h = 0;
    glfwGetFramebufferSize(window_, &w, &h);
    const PixelBox screen{0, 0, w, h};
    drawn_share_ = 0;
    // Frames drawn whole (a GPU) need no comparison: skip hashing the lists.
    const PixelBox region = damage_->region(partial_ ? drawn_lists(*data) : std::vector<DrawnList>{}, partial_,
                                            std::exchange(redraw_all_, false), screen);
    drawn_share_ = static_cast<double>(region.x1 - region.x0) * (region.y1 - region.y0) / (static_cast<double>(w) * h);
    if (region.empty()) return region;  // the back buffer holds this frame already
    if (!(region == screen)) restrict_to(*data, region);
    glViewport(0, 0, w, h);
    const bool dark = theme_ == Theme::Dark;
    // Whole bytes: a scissored clear and a whole one round the same (llvmpipe's differ for 0.09).
    glClearColor(dark ? 20 / 255.0f : 235 / 255.0f, dark ? 20 / 255.0f : 235 / 255.0f, dark ? 23 / 255.0f : 237 / 255.0f, 1.0f);
    glEnable(GL_SCISSOR_TEST);
    glScissor(region.x0, h - region.y1, region.x1 - region.x0, region.y1 - region.y0);
    glClear(GL_COLOR_BUFFER_BIT);
    glDisable(GL_SCISSOR_TEST);
    ImGui_ImplOpenGL3_RenderDrawData(data);
    return region;
}

void GuiWindow::present(const PixelBox& drawn) {
    if (!partial_) {
        glfwSwapBuffers(window_);
        return;
    }
    int w = 0, h = 0;
    glfwGetFramebufferSize(window_, &w, &h);
    // The window lost what it showed (uncovered, mapped): all of the back buffer, which holds the frame.
    const bool whole = std::exchange(g_window_damaged, false);
    present_part(whole ? PixelBox{0, 0, w, h} : drawn, h);
}

void GuiWindow::end_frame() { present(draw()); }

std::string GuiWindow::drawing() const {
    const char* renderer = reinterpret_cast<const char*>(glGetString(GL_RENDERER));
    return std::string(partial_ ? "in part, what changed (GLX_MESA_copy_sub_buffer)" : "whole") + " on " +
           (renderer ? renderer : "an unknown renderer");
}

std::vector<unsigned char> GuiWindow::end_frame_captured(int& width, int& height) {
    const PixelBox drawn = draw();
    glfwGetFramebufferSize(window_, &width, &height);
    std::vector<unsigned char> pixels(static_cast<size_t>(width) * height * 4);
    glReadBuffer(GL_BACK);
    glPixelStorei(GL_PACK_ALIGNMENT, 1);
    glReadPixels(0, 0, width, height, GL_RGBA, GL_UNSIGNED_BYTE, pixels.data());
    // GL's rows start at the bottom; images start at the top.
    const size_t stride = static_cast<size_t>(width) * 4;
    for (int y = 0; y < height / 2; ++y)
        std::swap_ranges(pixels.begin() + y * stride, pixels.begin() + (y + 1) * stride,
                         pixels.begin() + (height - 1 - y) * stride);
    present(drawn);
    return pixels;
}

}  // namespace attnscope::gui
