// attnscope trace: one forward pass written as trace JSON (schema attnscope.trace/1).
#include <memory>

#include "attnscope/run.hpp"
#include "attnscope/trace_json.hpp"
#include "cli/common.hpp"
#include "cli/subcommands.hpp"

namespace attnscope::cli {

void add_trace_command(CLI::App& app) {
    struct Options {
        InputOptions inputs;
        std::string out;
        int indent = -1;
    };
    auto opts = std::make_shared<Options>();
    CLI::App* cmd = app.add_subcommand("trace", "Run one forward pass and write every stage as JSON");
    add_input_options(*cmd, opts->inputs);
    cmd->add_option("--out", opts->out, "Output file (- for stdout)")->required();
    cmd->add_option("--indent", opts->indent, "Pretty-print with this many spaces");
    cmd->callback([opts] {
        const Trace trace = run(to_inputs(opts->inputs));
        write_output(opts->out, to_json(trace).dump(opts->indent) + "\n");
    });
}

}  // namespace attnscope::cli
