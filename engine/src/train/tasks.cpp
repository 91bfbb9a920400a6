// Training tasks (see train_tasks.hpp for each sequence's layout) and the trainer that runs one.
#include "attnscope/train_tasks.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <numeric>

#include "attnscope/error.hpp"
#include "attnscope/export.hpp"

namespace attnscope::train {

TaskKind parse_task(const std::string& name) {
    if (name == "copy") return TaskKind::Copy;
    if (name == "reverse") return TaskKind::Reverse;
    if (name == "sort") return TaskKind::Sort;
    if (name == "induction") return TaskKind::Induction;
    if (name == "text") return TaskKind::Text;
    throw Error("unknown task '" + name + "': choose copy, reverse, sort, induction or text");
}

const char* task_name(TaskKind kind) {
    switch (kind) {
        case TaskKind::Copy: return "copy";
        case TaskKind::Reverse: return "reverse";
        case TaskKind::Sort: return "sort";
        case TaskKind::Induction: return "induction";
        case TaskKind::Text: return "text";
    }
    return "?";
}

int Task::vocab_size() const {
    if (kind == TaskKind::Text) return corpus_vocab;
    if (kind == TaskKind::Induction) return symbols;
    return symbols + 1;  // + SEP
}

int Task::seq_len() const { return kind == TaskKind::Text ? context : 2 * length; }

void check_task(const Task& t) {
    if (t.kind == TaskKind::Text) {
        if (t.context < 2) throw Error("text windows need a context of at least 2 tokens");
        if (t.corpus_vocab < 1) throw Error("the text task needs a tokenizer (its vocabulary is empty)");
        if (static_cast<long>(t.corpus.size()) < t.context + 1)
            throw Error("the corpus has " + std::to_string(t.corpus.size()) + " tokens, fewer than one window of " +
                        std::to_string(t.context + 1) + ": use a longer corpus or a shorter context");
        return;
    }
    if (t.symbols < 2 || t.symbols > 1000) throw Error("symbols (" + std::to_string(t.symbols) + ") must be 2..1000");
    if (t.length < 2 || t.length > 256) throw Error("length (" + std::to_string(t.length) + ") must be 2..256");
}

namespace {

int below(Rng& rng, int n) { return static_cast<int>(rng.next_u64() % static_cast<std::uint64_t>(n)); }

// One sequence of a synthetic task into tokens/targets (T each).
void fill_sequence(const Task& task, Rng& rng, int* tokens, int* targets) {
    const int n = task.length, T = task.seq_len();
    if (task.kind == TaskKind::Induction) {
        const int m = n / 2 + below(rng, n - n / 2 + 1);  // run length in [n/2, n]
        // The run's symbols are drawn with replacement: knowing which symbols are in the run (and which
        // were already repeated) does not give the next one; only looking it up does.
        std::vector<int> symbols(m);
        for (int& v : symbols) v = below(rng, task.symbols);
        const int start = T - 2 * m;  // a random prefix fills positions [0, start)
        for (int t = 0; t < start; ++t) tokens[t] = below(rng, task.symbols);
        for (int i = 0; i < m; ++i) tokens[start + i] = tokens[start + m + i] = symbols[i];
        std::fill(targets, targets + T, -1);
        for (int i = 0; i + 1 < m; ++i) targets[start + m + i] = symbols[i + 1];
        return;
    }
    const int sep = task.symbols;
    std::vector<int> x(n), y(n);
    for (int& v : x) v = below(rng, task.symbols);
    y = x;
    if (task.kind == TaskKind::Reverse) std::reverse(y.begin(), y.end());
    if (task.kind == TaskKind::Sort) std::sort(y.begin(), y.end());
    for (int i = 0; i < n; ++i) tokens[i] = x[i], targets[i] = -1;
    tokens[n] = sep;
    for (int i = 0; i + 1 < n; ++i) tokens[n + 1 + i] = y[i];
    for (int i = 0; i < n; ++i) targets[n + i] = y[i];
}

}  // namespace

Batch sample_batch(const Task& task, int B, Rng& rng) {
    check_task(task);
    Batch batch;
    batch.B = B, batch.T = task.seq_len();
    const int T = batch.T;
    batch.tokens.resize(static_cast<long>(B) * T);
    batch.targets.resize(static_cast<long>(B) * T);
    for (int b = 0; b < B; ++b) {
        int* tokens = batch.tokens.data() + static_cast<long>(b) * T;
        int* targets = batch.targets.data() + static_cast<long>(b) * T;
        if (task.kind == TaskKind::Text) {
            const long start = static_cast<long>(rng.next_u64() % (task.corpus.size() - T));
            for (int t = 0; t < T; ++t) tokens[t] = task.corpus[start + t], targets[t] = task.corpus[start + t + 1];
        } else {
            fill_sequence(task, rng, tokens, targets);
        }
    }
    return batch;
}

Batch probe_batch(const Task& task) {
    Rng rng(hash64("probe", static_cast<std::uint64_t>(task.kind)));
    if (task.kind != TaskKind::Text) return sample_batch(task, 1, rng);
    Batch b = sample_batch(task, 1, rng);
    return b;
}

double unigram_loss(const Task& task) {
    if (task.kind != TaskKind::Text) return std::log(static_cast<double>(task.symbols));
    std::vector<double> counts(task.corpus_vocab, 0.0);
    for (int id : task.corpus) counts[id] += 1;
    const double total = static_cast<double>(task.corpus.size());
    double h = 0;
    for (double c : counts)
        if (c > 0) h -= c / total * std::log(c / total);
    return h;
}

double reverse_pattern_score(const Model<float>& model, int layer, int n) {
    const int B = model.batch(), T = model.time(), NH = model.config().n_head;
    if (T != 2 * n) throw Error("the last forward was not a reverse batch of length " + std::to_string(n));
    const float* att = model.attention(layer);  // (B, NH, T, T)
    int hits = 0;
    for (int b = 0; b < B; ++b)
        for (int i = 0; i < n; ++i) {
            const int q = n + i;
            int best = 0;
            double best_w = -1;
            for (int k = 0; k <= q; ++k) {
                double w = 0;
                for (int h = 0; h < NH; ++h) w += att[((static_cast<long>(b) * NH + h) * T + q) * T + k];
                if (w > best_w) best_w = w, best = k;
            }
            hits += best == n - 1 - i;
        }
    return static_cast<double>(hits) / (static_cast<double>(B) * n);
}

double induction_pattern_score(const Model<float>& model, int layer) {
    const int B = model.batch(), T = model.time(), NH = model.config().n_head;
    const std::vector<int>& tokens = model.tokens();
    const std::vector<int>& targets = model.targets();
    if (targets.empty()) throw Error("induction_pattern_score needs a forward pass with targets");
    const float* att = model.attention(layer);  // (B, NH, T, T)
    double sum = 0;
    long count = 0;
    for (int b = 0; b < B; ++b)
        for (int p = 0; p < T; ++p) {
            if (targets[static_cast<long>(b) * T + p] < 0) continue;
            const int* seq = tokens.data() + static_cast<long>(b) * T;
            int j = p - 1;
            while (j >= 0 && seq[j] != seq[p]) --j;
            if (j < 0 || j + 1 >= p) continue;
            float best = 0;
            for (int h = 0; h < NH; ++h)
                best = std::max(best, att[((static_cast<long>(b) * NH + h) * T + p) * T + j + 1]);
            sum += best, ++count;
        }
    return count ? sum / count : 0.0;
}

void check_settings(const TrainSettings& s) {
    if (s.n_layer < 1 || s.n_layer > 12) throw Error("layers (" + std::to_string(s.n_layer) + ") must be 1..12");
    if (s.batch < 1 || s.batch > 4096) throw Error("batch (" + std::to_string(s.batch) + ") must be 1..4096");
    if (!(s.lr > 0 && s.lr < 1)) throw Error("the learning rate must be between 0 and 1, e.g. 0.003");
    if (!(s.weight_decay >= 0 && s.weight_decay <= 1)) throw Error("weight decay must be between 0 and 1, e.g. 0.01");
    if (!(s.clip > 0 && s.clip <= 1e6)) throw Error("the gradient clip must be a positive norm up to 1e6, e.g. 1");
    if (s.warmup < 0 || s.steps < 1) throw Error("steps must be at least 1 and warm-up at least 0");
}

namespace {
Task checked(Task task, const TrainSettings& settings) {
    check_task(task);
    check_settings(settings);
    // What one step keeps for backpropagation, in float32 (computed in double: no overflow): per layer
    // the attention weights and their gradients (2 H T^2) and about 24 (T, D) activations, plus the
    // logits and their gradients (2 T V), for each sequence of the batch.
    const double T = task.seq_len(), D = settings.n_embd, H = settings.n_head, L = settings.n_layer, V = task.vocab_size();
    const double bytes = 4.0 * settings.batch * (L * (2 * H * T * T + 24 * T * D) + 2 * T * V);
    constexpr double kMaxTrainingBytes = 4.0 * (1 << 30);
    if (bytes > kMaxTrainingBytes)
        throw Error("a batch of " + std::to_string(settings.batch) + " sequences of " + std::to_string(task.seq_len()) +
                    " tokens needs about " + describe_size(static_cast<std::uintmax_t>(bytes)) + " for one training step, more than the " +
                    describe_size(static_cast<std::uintmax_t>(kMaxTrainingBytes)) + " training may use: choose a smaller batch or shorter sequences");
    return task;
}
}  // namespace

Trainer::Trainer(Task task, const TrainSettings& settings)
    : task_(checked(std::move(task), settings)),
      settings_(settings),
      model_(Gpt2Config{settings.n_layer, settings.n_head, settings.n_embd, task_.seq_len(), task_.vocab_size()}),
      rng_(hash64("batches", settings.seed)) {
    init_gpt2(model_, settings_.seed);
    adam_.lr = settings_.lr;
    adam_.weight_decay = settings_.weight_decay;
}

float Trainer::step() {
    const Batch batch = sample_batch(task_, settings_.batch, rng_);
    const float loss = model_.forward(batch.tokens.data(), batch.targets.data(), batch.B, batch.T);
    model_.zero_grad();
    model_.backward();
    clip_grad_norm(model_.grads(), settings_.clip);
    // Linear warm-up, then a cosine decay to 10% at settings.steps (and 10% after).
    const int s = steps_;
    double lr = settings_.lr;
    if (s < settings_.warmup) {
        lr *= (s + 1.0) / settings_.warmup;
    } else {
        const double progress = std::min(1.0, (s - settings_.warmup) / std::max(1.0, settings_.steps - settings_.warmup * 1.0));
        lr *= 0.1 + 0.9 * 0.5 * (1 + std::cos(std::numbers::pi * progress));
    }
    adam_.update(model_, lr);
    ++steps_;
    return loss;
}

std::vector<Matrix> Trainer::probe_attention() {
    const Batch probe = probe_batch(task_);
    model_.forward(probe.tokens.data(), nullptr, 1, probe.T);
    const int L = model_.config().n_layer, NH = model_.config().n_head, T = probe.T;
    std::vector<Matrix> maps;
    for (int l = 0; l < L; ++l) {
        const float* att = model_.attention(l);  // (1, NH, T, T)
        for (int h = 0; h < NH; ++h) {
            Matrix m(T, T);
            for (int i = 0; i < T; ++i)
                for (int j = 0; j < T; ++j) m(i, j) = att[(static_cast<long>(h) * T + i) * T + j];
            maps.push_back(std::move(m));
        }
    }
    return maps;
}

double Trainer::probe_loss() {
    const Batch probe = probe_batch(task_);
    return model_.forward(probe.tokens.data(), probe.targets.data(), 1, probe.T);
}

std::string symbol_text(const Task& task, int id) {
    if (task.kind != TaskKind::Induction && id == task.symbols) return "|";
    return id < 26 ? std::string(1, static_cast<char>('a' + id)) : std::to_string(id);
}

BpeVocabulary letters_vocabulary(const Task& task) {
    if (task.kind == TaskKind::Text) throw Error("the text task's tokenizer is the corpus's, not letters");
    if (task.symbols > 26)
        throw Error("a task with " + std::to_string(task.symbols) +
                    " symbols cannot be spelled with the letters a..z: use at most 26 symbols");
    BpeVocabulary v;
    for (int id = 0; id < task.vocab_size(); ++id) v.tokens.push_back(symbol_text(task, id));
    for (int b = 0; b < 256; ++b) {
        const std::string byte(1, static_cast<char>(b));
        if (std::find(v.tokens.begin(), v.tokens.end(), byte) == v.tokens.end()) v.tokens.push_back(byte);
    }
    return v;
}

}  // namespace attnscope::train
