#pragma once
// The GLFW window with an OpenGL 4.3 core context and Dear ImGui on it.
#include <memory>
#include <string>
#include <vector>

#include "gui/app_state.hpp"
#include "gui/fonts.hpp"

struct GLFWwindow;

namespace attnscope::gui {

class ColormapPass;
class Damage;
struct PixelBox;

struct WindowOptions {
    int width = 1600, height = 960;
    bool persist_layout = true;  // keep window layout in ~/.config/attnscope/imgui.ini
    bool vsync = true;
    bool fill_screen = false;
    bool mouse = true;           // false: screenshots, where the pointer of the display must not hover anything    // the live app: as large as the screen (maximized where a window manager is)
};

class GuiWindow {
public:
    // Throws attnscope::Error when there is no display or no OpenGL 4.3.
    explicit GuiWindow(const WindowOptions& options);
    ~GuiWindow();
    GuiWindow(const GuiWindow&) = delete;
    GuiWindow& operator=(const GuiWindow&) = delete;

    bool should_close() const;
    // Returns when the next frame is due: at once while the user acts (and for a moment after),
    // while background jobs run, or when a panel asked (redraw_within); otherwise it sleeps until
    // input comes. A caret in a text field blinks at 2 Hz.
    void wait_for_next_frame();
    void begin_frame(const AppState& app);  // events, fonts for new characters, theme
    // Whether `key` (an ImGuiKey) went down, or repeated, since the last frame began: a press and
    // release quicker than a frame still counts (ImGui 1.86 would miss it).
    bool key_pressed(int key) const;
    // Paths dropped on the window (files or folders) since the last call, in drop order.
    std::vector<std::string> take_dropped();
    void end_frame();                       // draws and presents
    // Like end_frame, and returns the frame as RGBA rows, top row first.
    std::vector<unsigned char> end_frame_captured(int& width, int& height);
    // How frames are drawn: in part (what changed) or whole, and with which renderer (for reports).
    std::string drawing() const;
    double drawn_share() const { return drawn_share_; }  // of the last frame's pixels, 0 to 1

private:
    PixelBox draw();                   // returns the pixels drawn (gui/damage.hpp)
    void present(const PixelBox& drawn);  // swaps, or copies what was drawn to the window
    GLFWwindow* window_ = nullptr;
    std::string ini_path_;
    Fonts fonts_;
    float scale_ = 1.0f;
    bool mouse_ = true;
    std::vector<int> pressed_;  // GLFW keys pressed since the last frame began
    Theme theme_ = Theme::Dark;
    double last_input_ = 0;       // glfwGetTime() of the last wake by an event
    int frames_since_input_ = 0;
    std::unique_ptr<ColormapPass> colormaps_;
    std::unique_ptr<Damage> damage_;  // what changed since the back buffer was drawn
    bool redraw_all_ = false;         // the next frame is drawn whole (the theme changed)
    bool partial_ = false;            // frames drawn and shown in part (can_present_part)
    double drawn_share_ = 1;
};

}  // namespace attnscope::gui
