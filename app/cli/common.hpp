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
    // Options of the synthetic engine that a model decides itself, with the reason; to_inputs
    // refuses them next to --model rather than ignore them.
    std::vector<std::pair<const CLI::Option*, std::string>> synthetic_only;
};

void add_input_options(CLI::App& cmd, InputOptions& opts);
// Every numeric option of `app` and its subcommands (CLI11's INT, UINT and FLOAT) accepts plain
// decimal only: not "010" (octal), "0x10", "", "-1" for a count that cannot be negative, nor a value
// past its type's range ("2^64" saturated before), inf or nan.
void require_decimal_numbers(CLI::App& app);
Inputs to_inputs(const InputOptions& opts);  // throws Error

// Writes `text` to `path` atomically, or to stdout when path is "-".
void write_output(const std::string& path, const std::string& text);
// Throws Error when what went to standard output could not be written (a closed pipe, a full disk).
void check_stdout();

}  // namespace attnscope::cli
