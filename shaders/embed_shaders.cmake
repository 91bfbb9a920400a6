# Writes every shader in SHADER_DIR into one header as raw string literals, so the
# executable needs no files beside it. Run by the build whenever a shader changes.
file(GLOB shader_files "${SHADER_DIR}/*.vert" "${SHADER_DIR}/*.frag" "${SHADER_DIR}/*.comp" "${SHADER_DIR}/*.glsl")
list(SORT shader_files)
set(body "// Generated from shaders/ by shaders/embed_shaders.cmake. Do not edit.\n#pragma once\n#include <string_view>\n\nnamespace attnscope::shaders {\n\nstruct Source { std::string_view file; std::string_view text; };\n\ninline constexpr Source kAll[] = {\n")
foreach(f ${shader_files})
  get_filename_component(name "${f}" NAME)
  file(READ "${f}" text)
  string(APPEND body "    {\"${name}\", R\"glsl(${text})glsl\"},\n")
endforeach()
string(APPEND body "};\n\n}  // namespace attnscope::shaders\n")
file(WRITE "${OUTPUT}.new" "${body}")
file(COPY_FILE "${OUTPUT}.new" "${OUTPUT}" ONLY_IF_DIFFERENT)
