#include "gui/runner.hpp"

#include "attnscope/error.hpp"
#include "attnscope/gpu/headless.hpp"
#include "attnscope/gpu/run_gpu.hpp"
#include "attnscope/run.hpp"

namespace attnscope::gui {

struct Runner::Gpu {
    std::unique_ptr<gpu::HeadlessGpu> device;  // null when there is no OpenGL 4.3 context to be had
    std::unique_ptr<gpu::DeviceBackend> backend;
    std::string why;
};

Runner::Runner() = default;

Runner::~Runner() {
    // The GPU context is current on the job's thread: it is released there.
    job_.start([this](JobControl&) { gpu_.reset(); });
    job_.wait();
}

std::uint64_t Runner::request(RunRequest request) {
    std::uint64_t id;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        id = ++next_id_;
    }
    job_.start([this, id, request = std::move(request)](JobControl& control) {
        RunResult result = compute(id, request, control);
        std::lock_guard<std::mutex> lock(mutex_);
        if (id == next_id_) done_ = std::move(result);  // a superseded result is dropped
    });
    return id;
}

std::optional<RunResult> Runner::take() {
    std::lock_guard<std::mutex> lock(mutex_);
    std::optional<RunResult> out = std::move(done_);
    done_.reset();
    return out;
}

bool Runner::busy() const { return job_.running(); }

double Runner::progress() const { return job_.progress(); }

std::uint64_t Runner::latest_request() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return next_id_;
}

void Runner::wait_idle() { job_.wait(); }

namespace {

// Each compared variant from the exact heads of r's trace (a second forward pass only when the
// inputs themselves carry a variant).
void compare(RunResult& r) {
    std::optional<Trace> separate;
    const Trace* exact = r.trace && !r.trace->has_variant() ? &*r.trace : nullptr;
    std::string error = r.error;
    if (r.trace && r.trace->has_variant() && !r.request.compared.empty()) {
        try {
            Inputs in = r.request.inputs;
            in.variant = VariantParams{};
            exact = &separate.emplace(run(in));
        } catch (const Error& e) {
            error = e.what();
        }
    }
    for (const VariantParams& v : r.request.compared) {
        ComparedRun& c = r.compared.emplace_back();
        c.variant = v;
        if (!exact) {
            c.error = error;
            continue;
        }
        try {
            c.trace = vary(*exact, v);
        } catch (const Error& e) {
            c.error = e.what();
        }
    }
}

}  // namespace

RunResult Runner::compute(std::uint64_t id, const RunRequest& request, JobControl& control) {
    RunResult r;
    r.id = id;
    r.request = request;
    RunContext context;
    context.models = &models_;
    if (request.inputs.backend == Backend::Gpu && request.inputs.model.empty()) {
        if (!gpu_) {
            gpu_ = std::make_unique<Gpu>();
            gpu_->device = gpu::open_headless_gpu(gpu_->why);
            if (gpu_->device) gpu_->backend = std::make_unique<gpu::DeviceBackend>(gpu_->device->device);
        }
        context.backend = gpu_->backend.get();
    }
    try {
        if (!request.inputs.model.empty())  // loads (or finds loaded) with progress before run() opens it
            models_.open(request.inputs.model, [&control](float f) {
                control.set_progress(f);
                if (control.cancelled()) throw Error("loading stopped: a newer request came");
            });
        r.trace = run(request.inputs, context);
        const Trace& t = *r.trace;
        r.backend_status = !t.backend_note.empty()        ? t.backend_note
                           : t.backend == Backend::Gpu ? "computed on the GPU: " + gpu_->device->device.renderer()
                                                       : "computed on the CPU";
    } catch (const Error& e) {
        r.error = e.what();
    } catch (const std::bad_alloc&) {
        r.error = "not enough memory for this run: use a shorter text, fewer heads or a smaller d_model";
    }
    compare(r);
    control.set_progress(1.0);
    return r;
}

}  // namespace attnscope::gui
