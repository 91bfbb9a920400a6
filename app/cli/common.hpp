#pragma once
// What every subcommand shares: the options that build Inputs, and writing output files.
#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "attnscope/inputs.hpp"

namespace attnscope::cli {

// The raw option values; to_inputs() validates and converts them.
struct InputOptions {
    Inputs defaults;
    std::string pe = name(defaults.pe);
    std::string mask = name(defaults.mask);
    std::vector<std::string> edits;
};

void add_input_options(CLI::App& cmd, InputOptions& opts);
Inputs to_inputs(const InputOptions& opts);  // throws Error

// Writes `text` to `path` ("-" is stdout) through a temporary file and a rename,
// so a reader never sees half a file. Throws Error when the folder is not writable.
void write_file(const std::string& path, const std::string& text);

}  // namespace attnscope::cli
