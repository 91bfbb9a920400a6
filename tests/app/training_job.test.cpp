#include <catch2/catch.hpp>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <thread>

#include "attnscope/bpe.hpp"
#include "attnscope/error.hpp"
#include "attnscope/gpt2.hpp"
#include "gui/training_job.hpp"

namespace as = attnscope;
namespace train = attnscope::train;
using attnscope::gui::StopRule;
using attnscope::gui::TrainingJob;
using attnscope::gui::TrainingSnapshot;

namespace {

train::TrainSettings tiny() {
    train::TrainSettings s;
    s.n_layer = 1, s.n_head = 2, s.n_embd = 16, s.batch = 4;
    return s;
}

// Waits (at most a minute) for background training to stop on its own.
TrainingSnapshot when_stopped(TrainingJob& job) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (job.running() && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    REQUIRE_FALSE(job.running());
    TrainingSnapshot s;
    REQUIRE(job.snapshot_if_newer(-1, s));
    return s;
}

}  // namespace

TEST_CASE("Training stops on its own at the chosen step, and will not resume past it") {
    train::Task task;
    TrainingJob job;
    job.start(task, tiny(), StopRule{25, 0});
    const TrainingSnapshot s = when_stopped(job);
    CHECK(s.step == 25);
    CHECK(s.stopped == "stopped at step 25");
    REQUIRE_FALSE(s.steps.empty());
    CHECK(s.steps.back() == 25);  // the last logged point is the stop step's
    REQUIRE_THROWS_WITH(job.start(task, tiny(), StopRule{25, 0}), Catch::Contains("already at step 25"));
    // A later stop resumes the same trainer up to it.
    job.start(task, tiny(), StopRule{40, 0});
    CHECK(when_stopped(job).step == 40);
}

TEST_CASE("Training stops once the loss reaches the target") {
    train::Task task;
    TrainingJob job;
    // Any loss is below 1e9: the first logged loss stops it, and the message quotes both.
    job.start(task, tiny(), StopRule{0, 1e9});
    const TrainingSnapshot s = when_stopped(job);
    CHECK(s.step >= 1);
    CHECK_THAT(s.stopped, Catch::Contains("loss") && Catch::Contains("reached 1e+09"));
    // An unreachable target never stops it: pause does.
    job.start(task, tiny(), StopRule{0, 1e-30});
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    CHECK(job.running());
    job.pause();
    TrainingSnapshot paused;
    REQUIRE(job.snapshot_if_newer(-1, paused));
    CHECK(paused.stopped.empty());
}

TEST_CASE("A trained model saves as a folder the model loader and tokenizer open on the probe sequence") {
    train::Task task;  // reverse, 10 symbols, n = 8
    TrainingJob job;
    REQUIRE_THROWS_WITH(job.save("/nonexistent"), Catch::Contains("press Train"));
    job.train_now(task, tiny(), 5);
    const std::filesystem::path dir = std::filesystem::temp_directory_path() / "attnscope-trained-test";
    std::filesystem::remove_all(dir);
    job.save(dir.string());

    const as::Gpt2Weights w = as::load_gpt2(dir.string());
    CHECK(w.config.n_layer == 1);
    CHECK(w.config.n_head == 2);
    CHECK(w.config.n_embd == 16);
    CHECK(w.config.vocab_size == 11);  // 10 letters + '|'

    // The probe as the panel labels it ("abc..|..") encodes to the probe's own ids.
    std::string text;
    for (const std::string& label : attnscope::gui::probe_labels(task)) text += label;
    const std::vector<int> ids = as::BpeTokenizer::load(dir.string()).encode(text);
    CHECK(ids == train::probe_batch(task).tokens);
    const as::VectorF logits = as::gpt2_forward(w, ids);
    REQUIRE(logits.size() == 11);
    for (int i = 0; i < 11; ++i) CHECK(std::isfinite(logits[i]));

    // A letter past the task's symbols has an id past the vocabulary: refused with a reason.
    const std::vector<int> z = as::BpeTokenizer::load(dir.string()).encode("z");
    REQUIRE_THROWS_WITH(as::gpt2_forward(w, z), Catch::Contains("never learned"));
    std::filesystem::remove_all(dir);
}
