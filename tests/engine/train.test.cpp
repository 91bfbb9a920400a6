// The trainer's pieces: tasks' sequences, clipping, AdamW, the conversion to the loader's weights
// (checked against the loader's own forward pass), and the BPE trainer.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <set>

#include "attnscope/bpe.hpp"
#include "attnscope/bpe_train.hpp"
#include "attnscope/error.hpp"
#include "attnscope/gpt2.hpp"
#include "attnscope/train.hpp"
#include "attnscope/train_tasks.hpp"

using namespace attnscope;
using namespace attnscope::train;

TEST_CASE("reverse, copy and sort sequences: x, SEP, then the answer shifted by one, only the answer scored") {
    for (TaskKind kind : {TaskKind::Copy, TaskKind::Reverse, TaskKind::Sort}) {
        Task task;
        task.kind = kind;
        task.symbols = 6;
        task.length = 5;
        Rng rng(1);
        const Batch b = sample_batch(task, 3, rng);
        REQUIRE(b.T == 10);
        REQUIRE(task.vocab_size() == 7);
        for (int s = 0; s < 3; ++s) {
            const int* tok = b.tokens.data() + s * 10;
            const int* tgt = b.targets.data() + s * 10;
            std::vector<int> x(tok, tok + 5), y(tgt + 5, tgt + 10);
            if (kind == TaskKind::Reverse) std::reverse(x.begin(), x.end());
            if (kind == TaskKind::Sort) std::sort(x.begin(), x.end());
            REQUIRE(y == x);
            REQUIRE(tok[5] == 6);  // SEP
            for (int i = 0; i < 5; ++i) REQUIRE(tgt[i] == -1);
            for (int i = 0; i < 4; ++i) REQUIRE(tok[6 + i] == tgt[5 + i]);  // teacher forcing
        }
    }
}

TEST_CASE("induction sequences repeat a random run at a varying offset, scoring only the repeat") {
    Task task;
    task.kind = TaskKind::Induction;
    task.symbols = 20;
    task.length = 8;
    Rng rng(2);
    const Batch b = sample_batch(task, 50, rng);
    std::set<int> starts;
    for (int s = 0; s < 50; ++s) {
        const int* tok = b.tokens.data() + s * 16;
        const int* tgt = b.targets.data() + s * 16;
        const int first = static_cast<int>(std::find_if(tgt, tgt + 16, [](int t) { return t >= 0; }) - tgt);
        // Scored positions run from the second copy's start to the end but one.
        const int m = 16 - first;  // the second copy's length
        REQUIRE(m >= 4);
        REQUIRE(m <= 8);
        starts.insert(first);
        for (int i = 0; i < m; ++i) REQUIRE(tok[first + i] == tok[first - m + i]);
        for (int i = 0; i + 1 < m; ++i) REQUIRE(tgt[first + i] == tok[first + i + 1]);
        REQUIRE(tgt[15] == -1);
        for (int t = 0; t < first; ++t) REQUIRE(tgt[t] == -1);
    }
    REQUIRE(starts.size() >= 3);
    REQUIRE(std::abs(unigram_loss(task) - std::log(20.0)) < 1e-12);
}

TEST_CASE("text windows are consecutive corpus tokens with the next token as target") {
    Task task;
    task.kind = TaskKind::Text;
    task.context = 4;
    task.corpus_vocab = 50;
    for (int i = 0; i < 40; ++i) task.corpus.push_back(i);
    Rng rng(3);
    const Batch b = sample_batch(task, 5, rng);
    for (int s = 0; s < 5; ++s)
        for (int t = 0; t < 4; ++t) {
            REQUIRE(b.tokens[s * 4 + t] == b.tokens[s * 4] + t);
            REQUIRE(b.targets[s * 4 + t] == b.tokens[s * 4 + t] + 1);
        }
    task.corpus.resize(4);
    REQUIRE_THROWS_AS(sample_batch(task, 1, rng), Error);
}

TEST_CASE("bad task and model sizes are refused with a message") {
    REQUIRE_THROWS_WITH(parse_task("bogus"), Catch::Contains("reverse"));
    Task t;
    t.kind = TaskKind::Induction;
    t.symbols = 1;
    t.length = 8;
    REQUIRE_THROWS_AS(check_task(t), Error);
    TrainSettings s;
    s.n_head = 3;
    s.n_embd = 32;
    REQUIRE_THROWS_WITH(Trainer(Task{}, s), Catch::Contains("divide"));
}

TEST_CASE("clip_grad_norm scales to the max norm and reports the norm before") {
    std::vector<float> g = {3, 4};
    REQUIRE(clip_grad_norm(g, 1.0) == Approx(5.0));
    REQUIRE(g[0] == Approx(0.6));
    REQUIRE(g[1] == Approx(0.8));
    std::vector<float> small = {0.3f, 0.4f};
    clip_grad_norm(small, 1.0);
    REQUIRE(small[0] == 0.3f);
}

TEST_CASE("AdamW's first step moves each weight by lr against its gradient's sign, decay only on matrices") {
    const Gpt2Config cfg{1, 1, 4, 3, 5};
    Model<double> m(cfg);
    init_gpt2(m, 1);
    const std::vector<double> before = m.params();
    for (std::size_t i = 0; i < m.grads().size(); ++i) m.grads()[i] = (i % 3 == 0) ? 2.0 : -0.5;
    AdamW adam;
    adam.lr = 0.01;
    adam.weight_decay = 0.1;
    adam.update(m, 0.01);
    const ParamLayout& p = m.layout();
    // Bias-corrected m/sqrt(v) = sign(g) on step 1 (up to eps); matrices also shrink by lr * wd * w.
    for (long i : {p.wte, p.wte + 1, p.qkvw + 2}) {
        const double sign = (i % 3 == 0) ? 1.0 : -1.0;
        REQUIRE(m.params()[i] == Approx(before[i] - 0.01 * (sign + 0.1 * before[i])).margin(1e-7));
    }
    for (long i : {p.ln1w, p.qkvb + 1, p.lnfb}) {
        const double sign = (i % 3 == 0) ? 1.0 : -1.0;
        REQUIRE(m.params()[i] == Approx(before[i] - 0.01 * sign).margin(1e-7));
    }
}

TEST_CASE("to_gpt2 gives the loader's forward pass the same logits, and save_gpt2/load_gpt2 keep them") {
    const Gpt2Config cfg{2, 2, 8, 10, 11};
    Model<float> m(cfg);
    init_gpt2(m, 9);
    for (float& w : m.params()) w *= 10;
    const std::vector<int> ids = {3, 1, 4, 1, 5, 9, 2};
    m.forward(ids.data(), nullptr, 1, 7);
    const float* mine = m.acts().logits.data() + 6 * 11;  // last position (V)
    const Gpt2Weights w = to_gpt2(m);
    const VectorF theirs = gpt2_forward(w, ids);
    for (int v = 0; v < 11; ++v) REQUIRE(theirs[v] == Approx(mine[v]).margin(1e-4));

    const std::string dir = (std::filesystem::temp_directory_path() / "attnscope_train_roundtrip").string();
    std::filesystem::remove_all(dir);
    save_gpt2(dir, w);
    const Model<float> back = from_gpt2(load_gpt2(dir));
    REQUIRE(back.params() == m.params());
    std::filesystem::remove_all(dir);
}

TEST_CASE("BPE training merges the most frequent pair first and round-trips through the tokenizer") {
    const std::string text = "aab aab aab ab";
    // Pieces: "aab", " aab", " aab", " ab". Pairs: (a,a) 3, (a,b) 4, (' ',a) 3 -> (a,b) first.
    const BpeVocabulary v = train_bpe(text, 2);
    REQUIRE(v.merges.size() == 2);
    REQUIRE(v.merges[0] == std::pair<int, int>{'a', 'b'});
    REQUIRE(v.tokens[256] == "ab");
    // Then: "a"+"ab" occurs 3 times, ' '+"a" 2 times, ' '+"ab" once.
    REQUIRE(v.merges[1] == std::pair<int, int>{'a', 256});
    REQUIRE(v.tokens[257] == "aab");

    const std::string dir = (std::filesystem::temp_directory_path() / "attnscope_bpe_train").string();
    std::filesystem::remove_all(dir);
    write_bpe(dir, v);
    const BpeTokenizer tok = BpeTokenizer::load(dir);
    REQUIRE(tok.vocab_size() == 258);
    REQUIRE(tok.encode("aab") == std::vector<int>{257});
    REQUIRE(tok.encode(" ab") == std::vector<int>{' ', 256});
    const std::string any = "Hello, w\xc3\xb6rld!\n";
    REQUIRE(tok.decode(tok.encode(any)) == any);
    std::filesystem::remove_all(dir);
}
