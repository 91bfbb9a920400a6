// attnscope trace: one forward pass written as trace JSON (schema attnscope.trace/2) or as
// safetensors (--out FILE.safetensors).
#include <fstream>
#include <iostream>
#include <memory>

#include "attnscope/error.hpp"
#include "attnscope/export.hpp"
#include "attnscope/gpu/headless.hpp"
#include "attnscope/gpu/run_gpu.hpp"
#include "attnscope/model.hpp"
#include "attnscope/run.hpp"
#include "attnscope/trace_json.hpp"
#include "attnscope/trace_tensors.hpp"
#include "cli/common.hpp"
#include "cli/subcommands.hpp"

namespace attnscope::cli {

// Runs inputs on the backend they ask for: the GPU through a headless context when there is one.
// Prints a warning when the trace ran elsewhere than asked.
Trace run_for_cli(const Inputs& inputs, ModelStore& models, const StageSelection& keep) {
    std::unique_ptr<gpu::HeadlessGpu> device;
    std::unique_ptr<gpu::DeviceBackend> backend;
    std::string why;
    if (inputs.backend == Backend::Gpu && inputs.model.empty()) {
        device = gpu::open_headless_gpu(why);
        if (device) backend = std::make_unique<gpu::DeviceBackend>(device->device);
    }
    RunContext context;
    context.models = &models;
    context.backend = backend.get();
    context.keep = keep;
    Trace trace = run(inputs, context);
    if (!trace.backend_note.empty())
        std::cerr << "attnscope: warning: " << (why.empty() ? trace.backend_note : why + ": ran on the CPU instead") << "\n";
    return trace;
}

namespace {

bool ends_with(const std::string& s, const std::string& tail) {
    return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

}  // namespace

void add_trace_command(CLI::App& app) {
    struct Options {
        InputOptions inputs;
        std::string out;
        std::string stages = "all";
        int indent = -1;
    };
    auto opts = std::make_shared<Options>();
    CLI::App* cmd = app.add_subcommand("trace", "Run one forward pass and write every stage as JSON or safetensors");
    add_input_options(*cmd, opts->inputs);
    cmd->add_option("--out", opts->out, "Output file: .json (- for stdout) or .safetensors")->required();
    cmd->add_option("--indent", opts->indent, "Pretty-print the JSON with this many spaces (0-16)");
    cmd->add_option("--stages", opts->stages,
                    "Stages to write, comma-separated (e.g. attention,output), or all; see the README's Trace JSON")
        ->capture_default_str();
    cmd->callback([opts] {
        const Inputs inputs = to_inputs(opts->inputs);
        TraceWriteOptions write;
        write.stages = parse_stages(opts->stages);
        write.layer = opts->inputs.layer;
        write.indent = opts->indent;
        if (write.indent < -1 || write.indent > 16)
            throw Error("--indent " + std::to_string(write.indent) + " is out of range: use 0 to 16, or leave it out");
        ModelStore models;
        const Trace trace = run_for_cli(inputs, models, write.stages);
        if (ends_with(opts->out, ".safetensors")) {
            write_trace_safetensors(opts->out, trace, write);
        } else if (opts->out == "-") {
            write_json(std::cout, trace, write);
            check_stdout();
        } else {
            write_file_atomic_with(opts->out, [&](std::ostream& out) { write_json(out, trace, write); });
        }
    });
}

}  // namespace attnscope::cli
