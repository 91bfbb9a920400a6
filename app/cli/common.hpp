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
    std::string variant = name(defaults.variant.kind);
    std::string backend = name(defaults.backend);
    std::vector<std::string> edits;
    int layer = -1;  // a view choice, not an input: which layer trace writes, or render shows
};

void add_input_options(CLI::App& cmd, InputOptions& opts);
Inputs to_inputs(const InputOptions& opts);  // throws Error

// Writes `text` to `path` atomically, or to stdout when path is "-".
void write_output(const std::string& path, const std::string& text);
// Throws Error when what went to standard output could not be written (a closed pipe, a full disk).
void check_stdout();

}  // namespace attnscope::cli
