#include "attnscope/gpu/headless.hpp"

#include <epoxy/gl.h>
#define GLFW_INCLUDE_NONE
#include <EGL/egl.h>
#include <EGL/eglext.h>
#include <GLFW/glfw3.h>

#include <vector>

#include "attnscope/error.hpp"

namespace attnscope::gpu {

struct HeadlessContext::Egl {
    EGLDisplay display = EGL_NO_DISPLAY;
    EGLContext context = EGL_NO_CONTEXT;
    ~Egl() {
        if (display == EGL_NO_DISPLAY) return;
        eglMakeCurrent(display, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT);
        if (context != EGL_NO_CONTEXT) eglDestroyContext(display, context);
        eglTerminate(display);
    }
};

namespace {

bool has_extension(const char* list, const std::string& name) {
    if (!list) return false;
    const std::string all = std::string(" ") + list + " ";
    return all.find(" " + name + " ") != std::string::npos;
}

// An initialized display on one platform, or EGL_NO_DISPLAY.
EGLDisplay platform_display(EGLenum platform, void* native) {
    auto get = reinterpret_cast<PFNEGLGETPLATFORMDISPLAYEXTPROC>(eglGetProcAddress("eglGetPlatformDisplayEXT"));
    if (!get) return EGL_NO_DISPLAY;
    EGLDisplay display = get(platform, native, nullptr);
    if (display == EGL_NO_DISPLAY) return EGL_NO_DISPLAY;
    EGLint major = 0, minor = 0;
    if (!eglInitialize(display, &major, &minor)) return EGL_NO_DISPLAY;
    return display;
}

// A current OpenGL 4.3 core context on `display` with no surface, or false.
bool make_current_core(EGLDisplay display, EGLContext& context) {
    if (!has_extension(eglQueryString(display, EGL_EXTENSIONS), "EGL_KHR_surfaceless_context")) return false;
    if (!eglBindAPI(EGL_OPENGL_API)) return false;
    // No surface, so no config is needed where the display allows that; else any pbuffer config.
    const char* extensions = eglQueryString(display, EGL_EXTENSIONS);
    EGLConfig config = EGL_NO_CONFIG_KHR;
    if (!has_extension(extensions, "EGL_KHR_no_config_context")) {
        const EGLint config_attribs[] = {EGL_SURFACE_TYPE, EGL_PBUFFER_BIT, EGL_RENDERABLE_TYPE, EGL_OPENGL_BIT, EGL_NONE};
        EGLint count = 0;
        if (!eglChooseConfig(display, config_attribs, &config, 1, &count) || count < 1) return false;
    }
    const EGLint context_attribs[] = {EGL_CONTEXT_MAJOR_VERSION, 4, EGL_CONTEXT_MINOR_VERSION, 3,
                                      EGL_CONTEXT_OPENGL_PROFILE_MASK, EGL_CONTEXT_OPENGL_CORE_PROFILE_BIT, EGL_NONE};
    context = eglCreateContext(display, config, EGL_NO_CONTEXT, context_attribs);
    return context != EGL_NO_CONTEXT && eglMakeCurrent(display, EGL_NO_SURFACE, EGL_NO_SURFACE, context);
}

}  // namespace

HeadlessContext::HeadlessContext() {
    std::string tried;
    const char* client = eglQueryString(EGL_NO_DISPLAY, EGL_EXTENSIONS);
    if (has_extension(client, "EGL_MESA_platform_surfaceless")) {
        egl_ = std::make_unique<Egl>();
        egl_->display = platform_display(EGL_PLATFORM_SURFACELESS_MESA, EGL_DEFAULT_DISPLAY);
        if (egl_->display != EGL_NO_DISPLAY && make_current_core(egl_->display, egl_->context)) {
            how_ = "EGL surfaceless";
            return;
        }
        egl_.reset();
        tried += "EGL surfaceless gave no OpenGL 4.3 core context; ";
    }
    auto query_devices = reinterpret_cast<PFNEGLQUERYDEVICESEXTPROC>(eglGetProcAddress("eglQueryDevicesEXT"));
    if (has_extension(client, "EGL_EXT_platform_device") && query_devices) {
        EGLDeviceEXT devices[8];
        EGLint count = 0;
        query_devices(8, devices, &count);
        for (EGLint i = 0; i < count && how_.empty(); ++i) {
            egl_ = std::make_unique<Egl>();
            egl_->display = platform_display(EGL_PLATFORM_DEVICE_EXT, devices[i]);
            if (egl_->display != EGL_NO_DISPLAY && make_current_core(egl_->display, egl_->context))
                how_ = "EGL device";
            else
                egl_.reset();
        }
        if (!how_.empty()) return;
        tried += "EGL devices gave no OpenGL 4.3 core context; ";
    }
    if (glfwInit()) {
        glfwWindowHint(GLFW_VISIBLE, GLFW_FALSE);
        glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 4);
        glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 3);
        glfwWindowHint(GLFW_OPENGL_PROFILE, GLFW_OPENGL_CORE_PROFILE);
        GLFWwindow* window = glfwCreateWindow(16, 16, "attnscope-gpu", nullptr, nullptr);
        if (window) {
            glfwMakeContextCurrent(window);
            glfw_window_ = window;
            how_ = "GLFW hidden window";
            return;
        }
        glfwTerminate();
        tried += "GLFW found a display but no OpenGL 4.3 core context";
    } else {
        tried += "GLFW found no display (set DISPLAY, e.g. Xvfb :99)";
    }
    throw Error("no OpenGL 4.3 context for the GPU backend (" + tried +
                "): install Mesa's EGL (libegl1, libegl-mesa0) or run under a display");
}

HeadlessContext::~HeadlessContext() {
    if (glfw_window_) {
        glfwDestroyWindow(static_cast<GLFWwindow*>(glfw_window_));
        glfwTerminate();
    }
}

std::unique_ptr<HeadlessGpu> open_headless_gpu(std::string& why) {
    why.clear();
    try {
        auto gpu = std::unique_ptr<HeadlessGpu>(new HeadlessGpu{});
        return gpu;
    } catch (const Error& e) {
        why = e.what();
        return nullptr;
    }
}

}  // namespace attnscope::gpu
