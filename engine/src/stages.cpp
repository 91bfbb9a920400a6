#include "attnscope/stages.hpp"

#include <algorithm>
#include <sstream>

#include "attnscope/error.hpp"

namespace attnscope {

const std::vector<StageInfo>& layer_stages() {
    static const std::vector<StageInfo> list = {
        {"input", "(n, D)", "residual stream entering the layer"},
        {"attention_input", "(n, D)", "what the query projection sees (a pre-LN model: ln_1(input))"},
        {"key_input", "(m, D)", "what the key and value projections see (cross-attention only)"},
        {"weights", "(D, D)", "W_Q, W_K, W_V, W_O, their biases b_Q.. (models), alibi_slopes, relative_bias_table"},
        {"Q", "(n, D)", "attention_input W_Q + b_Q, before RoPE and the head split"},
        {"K", "(m, D)", "key_input W_K + b_K"},
        {"V", "(m, D)", "key_input W_V + b_V"},
        {"concat", "(n, D)", "the heads' outputs side by side"},
        {"output", "(n, D)", "concat W_O + b_O"},
        {"exact_output", "(n, D)", "with a variant: exact attention's output"},
        {"mean_attention", "(n, m)", "the heads' attention averaged"},
        {"rollout", "(n, n)", "attention rollout through this layer"},
    };
    return list;
}

const std::vector<StageInfo>& head_stages_list() {
    static const std::vector<StageInfo> list = {
        {"Q", "(n, d)", "the head's queries as they enter the dot product (after RoPE)"},
        {"K", "(m, d)", "the head's keys (after RoPE)"},
        {"V", "(m, d)", "the head's values"},
        {"scores", "(n, m)", "Q K^T, unscaled"},
        {"bias", "(n, m)", "ALiBi or relative position bias"},
        {"scaled", "(n, m)", "(scores / sqrt(d) + bias) / T"},
        {"logits", "(n, m)", "scaled with -inf (JSON null) where masked"},
        {"attention", "(n, m)", "softmax(logits) row-wise: the weights applied to V"},
        {"output", "(n, d)", "attention V"},
        {"variant", "record", "a compared variant's pattern or factors, exact attention and output, comparison"},
    };
    return list;
}

void for_each_stage(const LayerTrace& l, const std::function<void(const char*, const Matrix&)>& fn) {
    const std::pair<const char*, const Matrix*> stages[] = {
        {"input", &l.input}, {"attention_input", &l.attention_input}, {"key_input", &l.key_input},
        {"Q", &l.Q},         {"K", &l.K},                             {"V", &l.V},
        {"concat", &l.concat}, {"output", &l.output},                 {"exact_output", &l.exact_output},
        {"mean_attention", &l.mean_attention}, {"rollout", &l.rollout}};
    for (const auto& [name, m] : stages)
        if (m->size() > 0) fn(name, *m);
}

void for_each_stage(const HeadTrace& h, const std::function<void(const char*, const Matrix&)>& fn) {
    const std::pair<const char*, const Matrix*> stages[] = {
        {"Q", &h.Q},           {"K", &h.K},           {"V", &h.V},
        {"scores", &h.scores}, {"bias", &h.bias},     {"scaled", &h.scaled},
        {"logits", &h.logits}, {"attention", &h.attention}, {"output", &h.output}};
    for (const auto& [name, m] : stages)
        if (m->size() > 0) fn(name, *m);
}

bool StageSelection::keeps(const std::string& stage) const {
    return names.empty() || std::find(names.begin(), names.end(), stage) != names.end();
}

StageSelection parse_stages(const std::string& spec) {
    StageSelection s;
    if (spec.empty() || spec == "all") return s;
    std::stringstream in(spec);
    std::string name;
    while (std::getline(in, name, ',')) {
        bool known = false;
        for (const auto* list : {&layer_stages(), &head_stages_list()})
            for (const StageInfo& st : *list) known = known || name == st.name;
        if (!known) {
            std::string all;
            for (const auto* list : {&layer_stages(), &head_stages_list()})
                for (const StageInfo& st : *list)
                    if (all.find(std::string(" ") + st.name + ",") == std::string::npos) all += std::string(" ") + st.name + ",";
            all.pop_back();
            throw Error("unknown stage '" + name + "': choose from" + all + " (comma-separated), or all");
        }
        s.names.push_back(name);
    }
    return s;
}

}  // namespace attnscope
