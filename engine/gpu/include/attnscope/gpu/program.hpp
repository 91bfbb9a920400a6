#pragma once
// Compute programs from shaders/: one op per .comp file, shared code in .glsl files pulled in with
// #include "file.glsl" (resolved here: core GLSL has no #include). Compile and link errors name the
// file and line the driver complains about, followed by the driver's own message.
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace attnscope::gpu {

// A shader file's text by name ("softmax.comp"), or nullopt when there is no such file.
using SourceLookup = std::function<std::optional<std::string_view>(std::string_view file)>;

// shaders/*.comp and shaders/*.glsl as embedded into the library at build time.
SourceLookup embedded_sources();

// The file with its includes spliced in (each once; a cycle or a missing file is an Error naming
// the including file and line). `defines` goes right after #version. GLSL #line directives number
// the sources: files[k] is the file of source string k, so driver logs can be mapped back.
struct ResolvedSource {
    std::string text;
    std::vector<std::string> files;
};
ResolvedSource resolve_includes(std::string_view file, const SourceLookup& lookup, const std::string& defines = "");

// A driver's info log with each source-string number ("0:12(5): error" from Mesa, "0(12) : error"
// from NVIDIA) replaced by its file name: "softmax.comp:12(5): error".
std::string with_file_names(const std::string& log, const std::vector<std::string>& files);

// Compiles and links a compute program (needs a current OpenGL 4.3 context). Throws Error
// "shaders/FILE:LINE: ..." with the driver's message when compiling or linking fails.
unsigned build_compute_program(std::string_view file, const SourceLookup& lookup, const std::string& defines = "");

}  // namespace attnscope::gpu
