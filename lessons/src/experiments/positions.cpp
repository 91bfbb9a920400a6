// Where position comes in: an additive positional encoding enters at the input only, and without
// one attention is equivariant to shuffling the tokens.
#include "common.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "attnscope/random.hpp"
#include "attnscope/error.hpp"
#include "attnscope/run.hpp"

// Shapes: n queries, m keys, d = d_k = d_head; random queries and keys are (n, d).
namespace attnscope {

using namespace lessons_detail;

ExperimentResult where_pe_enters(const ExperimentContext& context) {
    Inputs in = self_attention(context.inputs);
    drop_edits(in, {"positional", "input"});
    const Positional additive = in.pe == Positional::Learned ? Positional::Learned : Positional::Sinusoidal;
    Inputs none = in, with = in;
    none.pe = Positional::None, with.pe = additive;
    const Trace a = run(none), b = run(with);
    const Matrix& PE = b.query.positional;  // (n, d_model)
    const double input_gap = (b.query.input - a.query.input - PE).norm();
    const double output_change = (b.layers[0].output - a.layers[0].output).norm();
    const double claim_gap = (b.layers[0].output - (a.layers[0].output + PE)).norm();
    ExperimentResult r;
    r.name = "where_pe_enters";
    r.title = std::string("The same text without a positional encoding and with '") + name(additive) + "'";
    r.columns = {"quantity", "Frobenius norm"};
    r.row_labels = {"PE", "input(pe) - input(none) - PE", "output(pe) - output(none)",
                    "output(pe) - (output(none) + PE)"};
    r.rows = {{PE.norm()}, {input_gap}, {output_change}, {claim_gap}};
    r.values = {{"pe_norm", PE.norm()}, {"input_gap", input_gap}, {"output_change", output_change}, {"claim_gap", claim_gap}};
    r.finding = "Myth. PE is added once, to the input: input(pe) - input(none) - PE = " + num(input_gap) +
                ". From there it flows through W_Q, W_K, W_V, the softmax and W_O, so the output is not the weighted "
                "sum plus PE: output(pe) misses output(none) + PE by " + num(claim_gap) + " (||PE|| = " + num(PE.norm()) +
                "). In a full transformer block the residual connection adds the whole input (embedding + PE) back, "
                "not PE alone; RoPE, ALiBi and relative biases enter even later, inside the scores.";
    return r;
}

ExperimentResult permutation_equivariance(const ExperimentContext& context) {
    Inputs in = self_attention(context.inputs);
    in.edits.clear();  // edits are tied to positions; the shuffle is done with edits of its own
    in.mask = Mask::None;
    const int n = run(in).n();
    if (n < 2) throw Error("shuffling needs at least 2 tokens: type a longer sentence");
    std::vector<int> perm(n);
    std::iota(perm.begin(), perm.end(), 0);
    Rng rng(11);
    while (std::is_sorted(perm.begin(), perm.end()))
        for (int i = n - 1; i > 0; --i) std::swap(perm[i], perm[static_cast<int>(rng.uniform() * (i + 1))]);
    ExperimentResult r;
    r.name = "permutation_equivariance";
    r.title = "Tokens shuffled (row i takes token " + std::to_string(perm[0]) + ", " + std::to_string(perm[1]) +
              ", ...): max |out(shuffled) - shuffled(out)|";
    r.columns = {"positional encoding", "max |out(P x) - P out(x)|", "max |out|"};
    for (Positional pe : kAllPositional) {
        in.pe = pe;
        const Trace base = run(in);
        Inputs shuffled = in;
        for (int i = 0; i < n; ++i)
            for (int c = 0; c < in.d_model; ++c) shuffled.edits.push_back({"embeddings", i, c, base.query.embeddings(perm[i], c)});
        const Trace s = run(shuffled);
        double gap = 0;
        for (int i = 0; i < n; ++i) gap = std::max(gap, (s.layers[0].output.row(i) - base.layers[0].output.row(perm[i])).cwiseAbs().maxCoeff());
        r.row_labels.push_back(name(pe));
        r.rows.push_back({gap, base.layers[0].output.cwiseAbs().maxCoeff()});
        r.values[std::string(name(pe)) + "_gap"] = gap;
    }
    std::string others;
    for (size_t k = 1; k < r.rows.size(); ++k) others += (k > 1 ? ", " : "") + r.row_labels[k] + " " + num(r.rows[k][0]);
    r.finding = "Without a positional encoding, shuffling the tokens shuffles the outputs the same way (largest gap " +
                num(r.rows[0][0]) + ", rounding): attention sees a bag of tokens, not a sequence. Every encoding breaks "
                "this symmetry: " + others + ".";
    return r;
}

}  // namespace attnscope
