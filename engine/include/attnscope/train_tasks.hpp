#pragma once
// Training tasks the engine generates, and the trainer that runs one on a model.
// Shape legend: B batch, T tokens per sequence, n the task's length, V vocabulary.
//
// copy / reverse / sort (vocabulary: `symbols` symbols + SEP = symbols; T = 2n):
//   tokens   x_0 .. x_{n-1} SEP y_0 .. y_{n-2}
//   targets  -1 (n times)       y_0 .. y_{n-1}       y = x, x reversed, or x sorted
//   so the query at position n + i predicts y_i; for reverse it should look at key n-1-i.
// induction (vocabulary: `symbols`; T = 2n): a random prefix, then a random run r of m symbols
//   (n/2 <= m <= n, so the offset varies), then r again. Only the second r's next tokens are scored:
//   they are predictable from the first r only (an induction head), not from position.
// text: windows of a tokenized corpus; every next token is scored.
#include <cstdint>
#include <string>
#include <vector>

#include "attnscope/bpe_train.hpp"
#include "attnscope/matrix.hpp"
#include "attnscope/random.hpp"
#include "attnscope/train.hpp"

namespace attnscope::train {

enum class TaskKind { Copy, Reverse, Sort, Induction, Text };
TaskKind parse_task(const std::string& name);  // throws Error listing the tasks
const char* task_name(TaskKind kind);

struct Task {
    TaskKind kind = TaskKind::Reverse;
    int symbols = 10;             // copy/reverse/sort/induction: distinct symbols
    int length = 8;               // n (not text)
    int context = 64;             // text: tokens per window
    std::vector<int> corpus;      // text: the tokenized corpus
    int corpus_vocab = 0;         // text: the tokenizer's vocabulary size

    int vocab_size() const;
    int seq_len() const;          // T
};
// Throws Error on sizes that make no task (e.g. fewer than 2 symbols).
void check_task(const Task& task);

struct Batch {
    int B = 0, T = 0;
    std::vector<int> tokens, targets;  // (B, T); target -1 = not scored
};
Batch sample_batch(const Task& task, int B, Rng& rng);
// The same fixed sequence every time (for watching attention form): one batch of one.
Batch probe_batch(const Task& task);

// The loss a model would get by predicting each scored token from the symbols' frequencies
// alone: ln(symbols) for the uniform synthetic tasks.
double unigram_loss(const Task& task);

// Reverse's pattern: the fraction of scored queries (row n+i) whose largest attention weight,
// averaged over the heads of `layer`, falls on key n-1-i. Uses the model's last forward.
double reverse_pattern_score(const Model<float>& model, int layer, int n);

// Induction's pattern: over the scored positions p of the last forward (which had targets), the
// weight on key j+1 where j < p is the earlier occurrence of p's token (the token that followed it
// last time); the mean over positions of the largest such weight among the heads of `layer`.
double induction_pattern_score(const Model<float>& model, int layer);

struct TrainSettings {
    int n_layer = 1, n_head = 1, n_embd = 32;
    int batch = 32;
    double lr = 3e-3, weight_decay = 0.0, clip = 1.0;
    int warmup = 20;              // steps of linear learning-rate warm-up
    int steps = 1000;             // for the cosine decay to 10% of lr at the last step
    std::uint64_t seed = 1;
};
void check_settings(const TrainSettings& s);

// A synthetic task's token as its tokenizer spells it: symbol k as the letter 'a' + k (past z, its
// number), SEP as '|'.
std::string symbol_text(const Task& task, int id);
// Synthetic tasks' tokenizer: symbol k is 'a' + k and SEP is '|', one byte each with no merges, so
// "abcdefgh|hgfedcb" encodes to the task's ids. A byte-level vocabulary must spell every byte, so the
// other bytes follow with ids past the model's vocabulary (text using them is refused). Throws Error
// for more than 26 symbols or the text task.
BpeVocabulary letters_vocabulary(const Task& task);

// Runs a task on a fresh model: one step() per batch.
class Trainer {
public:
    Trainer(Task task, const TrainSettings& settings);
    // One batch: forward, backward, clip, AdamW. Returns the batch's mean loss.
    float step();
    int steps_done() const { return steps_; }
    const Task& task() const { return task_; }
    const TrainSettings& settings() const { return settings_; }
    Model<float>& model() { return model_; }
    const Model<float>& model() const { return model_; }
    // The probe sequence's attention weights: one (T, T) matrix per layer and head, [l * NH + h].
    std::vector<Matrix> probe_attention();
    // Mean loss of the probe sequence (its scored positions).
    double probe_loss();

private:
    Task task_;
    TrainSettings settings_;
    Model<float> model_;
    AdamW adam_;
    Rng rng_;
    int steps_ = 0;
};

}  // namespace attnscope::train
