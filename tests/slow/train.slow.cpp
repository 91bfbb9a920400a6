// Training runs that must learn their task's attention pattern (label `slow`: seconds to tens of
// seconds each in Release; the sanitizer pass skips them).
#include <catch2/catch.hpp>

#include <cmath>

#include "attnscope/train_tasks.hpp"

using namespace attnscope;
using namespace attnscope::train;

TEST_CASE("a 1-layer model trained on reverse puts each answer position's largest weight on key n-1-i") {
    Task task;
    task.kind = TaskKind::Reverse;
    task.symbols = 10;
    task.length = 8;
    TrainSettings s;
    s.n_layer = 1, s.n_head = 1, s.n_embd = 32;
    s.steps = 400;
    s.seed = 1;
    Trainer trainer(task, s);
    for (int i = 0; i < s.steps; ++i) trainer.step();
    // Fresh sequences, not seen in training.
    Rng rng(12345);
    const Batch b = sample_batch(task, 256, rng);
    const double loss = trainer.model().forward(b.tokens.data(), b.targets.data(), b.B, b.T);
    const double score = reverse_pattern_score(trainer.model(), 0, task.length);
    INFO("pattern score " << score << ", loss " << loss);
    REQUIRE(score >= 0.9);
    REQUIRE(loss < 0.2 * unigram_loss(task));
}

TEST_CASE("a 2-layer model trained on induction predicts the repeated half far below the unigram baseline") {
    Task task;
    task.kind = TaskKind::Induction;
    task.symbols = 24;
    task.length = 12;
    TrainSettings s;
    s.n_layer = 2, s.n_head = 4, s.n_embd = 32;
    s.batch = 64;
    s.steps = 3000;
    s.seed = 1;
    Trainer trainer(task, s);
    for (int i = 0; i < s.steps; ++i) trainer.step();
    Rng rng(12345);
    const Batch b = sample_batch(task, 256, rng);
    // Only the repeated half is scored, so this is the loss there.
    const double loss = trainer.model().forward(b.tokens.data(), b.targets.data(), b.B, b.T);
    const double induction = induction_pattern_score(trainer.model(), 1);
    INFO("loss on the repeated half " << loss << ", unigram baseline " << unigram_loss(task)
                                      << ", layer 1's weight on the token after the earlier copy " << induction);
    REQUIRE(loss < 0.6 * unigram_loss(task));
}
