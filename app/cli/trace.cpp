// attnscope trace: one forward pass written as trace JSON (schema attnscope.trace/1).
#include <iostream>
#include <memory>

#include "attnscope/gpu/headless.hpp"
#include "attnscope/gpu/run_gpu.hpp"
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
        const Inputs inputs = to_inputs(opts->inputs);
        std::unique_ptr<gpu::HeadlessGpu> device;
        std::string why, warning;
        if (inputs.backend == Backend::Gpu) device = gpu::open_headless_gpu(why);
        const Trace trace = gpu::run_on_backend(inputs, device ? &device->device : nullptr, warning);
        if (!warning.empty())
            std::cerr << "attnscope: warning: " << (why.empty() ? warning : why + ": ran on the CPU instead") << "\n";
        write_output(opts->out, to_json(trace).dump(opts->indent) + "\n");
    });
}

}  // namespace attnscope::cli
