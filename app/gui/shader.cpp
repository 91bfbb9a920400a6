#include "gui/shader.hpp"

#include <regex>
#include <string>

#include "attnscope/error.hpp"
#include "shaders_embedded.hpp"

namespace attnscope::gui {
namespace {

std::string_view source_of(std::string_view file) {
    for (const shaders::Source& s : shaders::kAll)
        if (s.file == file) return s.text;
    throw Error("shader " + std::string(file) + " is not in shaders/: rebuild attnscope");
}

// Drivers report "0:LINE(COL): message" (Mesa) or "0(LINE) : message" (NVIDIA):
// rewrite the leading source number as the file name so the line can be found.
std::string with_file_names(std::string log, std::string_view file) {
    static const std::regex source_prefix(R"((^|\n)0([:(]))");
    return std::regex_replace(log, source_prefix, "$1" + std::string(file) + "$2");
}

// A shader's or a program's info log: the two differ only in their two query functions.
using GetParameter = void (*)(GLuint, GLenum, GLint*);
using GetLog = void (*)(GLuint, GLsizei, GLsizei*, GLchar*);
std::string info_log(GLuint object, GetParameter get_parameter, GetLog get_log) {
    GLint log_len = 0;
    get_parameter(object, GL_INFO_LOG_LENGTH, &log_len);
    std::string log(std::max(log_len, 1), '\0');
    get_log(object, log_len, nullptr, log.data());
    return log;
}

GLuint compile(GLenum stage, std::string_view file) {
    const std::string_view text = source_of(file);
    const GLchar* src = text.data();
    const GLint len = static_cast<GLint>(text.size());
    const GLuint shader = glCreateShader(stage);
    glShaderSource(shader, 1, &src, &len);
    glCompileShader(shader);
    GLint ok = GL_FALSE;
    glGetShaderiv(shader, GL_COMPILE_STATUS, &ok);
    if (!ok) {
        const std::string log = info_log(shader, glGetShaderiv, glGetShaderInfoLog);
        glDeleteShader(shader);
        throw Error("shader " + std::string(file) + " failed to compile: " + with_file_names(log, file));
    }
    return shader;
}

}  // namespace

GLuint build_program(std::string_view vertex_file, std::string_view fragment_file) {
    const GLuint vs = compile(GL_VERTEX_SHADER, vertex_file);
    GLuint fs = 0;
    try {
        fs = compile(GL_FRAGMENT_SHADER, fragment_file);
    } catch (...) {
        glDeleteShader(vs);
        throw;
    }
    const GLuint program = glCreateProgram();
    glAttachShader(program, vs);
    glAttachShader(program, fs);
    glLinkProgram(program);
    glDeleteShader(vs);
    glDeleteShader(fs);
    GLint ok = GL_FALSE;
    glGetProgramiv(program, GL_LINK_STATUS, &ok);
    if (!ok) {
        const std::string log = info_log(program, glGetProgramiv, glGetProgramInfoLog);
        glDeleteProgram(program);
        throw Error("shaders " + std::string(vertex_file) + " + " + std::string(fragment_file) +
                    " failed to link: " + log);
    }
    return program;
}

}  // namespace attnscope::gui
