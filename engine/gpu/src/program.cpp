#include "attnscope/gpu/program.hpp"

#include <epoxy/gl.h>

#include <algorithm>
#include <cstring>
#include <regex>
#include <set>

#include "attnscope/error.hpp"
#include "compute_shaders_embedded.hpp"

namespace attnscope::gpu {
namespace {

struct Resolver {
    const SourceLookup& lookup;
    ResolvedSource out;
    std::vector<std::string> open;  // the include chain, to catch cycles
    std::set<std::string> done;     // each file once, like #pragma once

    int source_number(const std::string& file) {
        out.files.push_back(file);
        return static_cast<int>(out.files.size()) - 1;
    }

    // Appends `file` from its line `first_line` (1-based) on, splicing its includes.
    void append(const std::string& file, std::string_view text, int first_line) {
        static const std::regex include_line(R"re(^\s*#\s*include\s*"([^"]+)"\s*$)re");
        open.push_back(file);
        const int number = source_number(file);
        out.text += "#line " + std::to_string(first_line) + " " + std::to_string(number) + "\n";
        int line = 1;
        std::size_t pos = 0;
        while (pos <= text.size()) {
            const std::size_t end = std::min(text.find('\n', pos), text.size());
            const std::string row(text.substr(pos, end - pos));
            if (line >= first_line) {
                std::smatch match;
                if (std::regex_match(row, match, include_line)) {
                    include(match[1], file, line);
                    out.text += "#line " + std::to_string(line + 1) + " " + std::to_string(number) + "\n";
                } else {
                    out.text += row + "\n";
                }
            }
            if (end == text.size()) break;
            pos = end + 1;
            ++line;
        }
        open.pop_back();
    }

    void include(const std::string& file, const std::string& from, int line) {
        const std::string where = "shaders/" + from + ":" + std::to_string(line) + ": ";
        if (std::find(open.begin(), open.end(), file) != open.end())
            throw Error(where + "#include \"" + file + "\" includes itself through a cycle: remove one of the includes");
        if (done.count(file)) return;
        const std::optional<std::string_view> text = lookup(file);
        if (!text) throw Error(where + "cannot find #include \"" + file + "\" in shaders/: check the name");
        done.insert(file);
        append(file, *text, 1);
    }
};

// Compile or link logs: source number -> file name, then one line per message.
std::string program_log(GLuint object, bool is_program) {
    GLint length = 0;
    if (is_program)
        glGetProgramiv(object, GL_INFO_LOG_LENGTH, &length);
    else
        glGetShaderiv(object, GL_INFO_LOG_LENGTH, &length);
    std::string log(std::max(length, 1), '\0');
    if (is_program)
        glGetProgramInfoLog(object, length, nullptr, log.data());
    else
        glGetShaderInfoLog(object, length, nullptr, log.data());
    log.resize(std::strlen(log.c_str()));
    while (!log.empty() && (log.back() == '\n' || log.back() == ' ')) log.pop_back();
    return log;
}

}  // namespace

SourceLookup embedded_sources() {
    return [](std::string_view file) -> std::optional<std::string_view> {
        for (const compute_shaders::Source& s : compute_shaders::kAll)
            if (s.file == file) return s.text;
        return std::nullopt;
    };
}

ResolvedSource resolve_includes(std::string_view file, const SourceLookup& lookup, const std::string& defines) {
    const std::optional<std::string_view> text = lookup(file);
    if (!text) throw Error("shader " + std::string(file) + " is not in shaders/: rebuild attnscope");
    // #version must come first: keep it, then the defines, then the rest of the file from line 2.
    const std::size_t version_end = text->find('\n');
    const std::string_view version = text->substr(0, version_end);
    if (version.rfind("#version", 0) != 0)
        throw Error("shaders/" + std::string(file) + ":1: the first line must be #version 430");
    Resolver r{lookup, {}, {}, {std::string(file)}};
    r.out.text = std::string(version) + "\n" + defines + (defines.empty() || defines.back() == '\n' ? "" : "\n");
    r.append(std::string(file), *text, 2);
    return r.out;
}

std::string with_file_names(const std::string& log, const std::vector<std::string>& files) {
    static const std::regex source_prefix(R"((^|\n)(\d+)([:(]))");
    std::string out;
    auto begin = std::sregex_iterator(log.begin(), log.end(), source_prefix);
    std::size_t last = 0;
    for (auto it = begin; it != std::sregex_iterator(); ++it) {
        const std::smatch& m = *it;
        const std::size_t number = std::stoul(m[2]);
        out += log.substr(last, m.position(0) - last) + m[1].str();
        out += number < files.size() ? "shaders/" + files[number] : m[2].str();
        out += m[3].str();
        last = m.position(0) + m.length(0);
    }
    return out + log.substr(last);
}

unsigned build_compute_program(std::string_view file, const SourceLookup& lookup, const std::string& defines) {
    const ResolvedSource source = resolve_includes(file, lookup, defines);
    const GLuint shader = glCreateShader(GL_COMPUTE_SHADER);
    const GLchar* text = source.text.c_str();
    glShaderSource(shader, 1, &text, nullptr);
    glCompileShader(shader);
    GLint ok = GL_FALSE;
    glGetShaderiv(shader, GL_COMPILE_STATUS, &ok);
    if (!ok) {
        const std::string log = with_file_names(program_log(shader, false), source.files);
        glDeleteShader(shader);
        throw Error("compute shader shaders/" + std::string(file) + " failed to compile:\n" + log);
    }
    const GLuint program = glCreateProgram();
    glAttachShader(program, shader);
    glLinkProgram(program);
    glDeleteShader(shader);
    glGetProgramiv(program, GL_LINK_STATUS, &ok);
    if (!ok) {
        const std::string log = with_file_names(program_log(program, true), source.files);
        glDeleteProgram(program);
        throw Error("compute shader shaders/" + std::string(file) + " failed to link:\n" + log);
    }
    return program;
}

}  // namespace attnscope::gpu
