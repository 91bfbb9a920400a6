#pragma once
// One file per subcommand; each adds itself to the CLI11 app and runs in its callback.
#include <CLI/CLI.hpp>

namespace attnscope::cli {

void add_trace_command(CLI::App& app);
void add_tokenize_command(CLI::App& app);
void add_render_command(CLI::App& app);
void add_bench_command(CLI::App& app);
void add_train_command(CLI::App& app);
void add_model_command(CLI::App& app);

}  // namespace attnscope::cli
