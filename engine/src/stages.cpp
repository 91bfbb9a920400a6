#include "attnscope/stages.hpp"

#include <algorithm>
#include <sstream>

#include "attnscope/error.hpp"

namespace attnscope {

const std::vector<StageInfo>& layer_stages() {
    static const std::vector<StageInfo> list = {
        {"input", "(n, D)", "residual stream entering the layer", &LayerTrace::input},
        {"attention_input", "(n, D)", "what the query projection sees (a pre-LN model: ln_1(input))", &LayerTrace::attention_input},
        {"key_input", "(m, D)", "what the key and value projections see (cross-attention only)", &LayerTrace::key_input},
        {"weights", "(D, D)", "W_Q, W_K, W_V, W_O, their biases b_Q.. (models), alibi_slopes, relative_bias_table"},
        {"Q", "(n, D)", "attention_input W_Q + b_Q, before RoPE and the head split", &LayerTrace::Q},
        {"K", "(m, D)", "key_input W_K + b_K", &LayerTrace::K},
        {"V", "(m, D)", "key_input W_V + b_V", &LayerTrace::V},
        {"concat", "(n, D)", "the heads' outputs side by side", &LayerTrace::concat},
        {"output", "(n, D)", "concat W_O + b_O", &LayerTrace::output},
        {"exact_output", "(n, D)", "with a variant: exact attention's output", &LayerTrace::exact_output},
        {"mean_attention", "(n, m)", "the heads' attention averaged", &LayerTrace::mean_attention},
        {"rollout", "(n, n)", "attention rollout through this layer", &LayerTrace::rollout},
    };
    return list;
}

const std::vector<StageInfo>& head_stages_list() {
    static const std::vector<StageInfo> list = {
        {"Q", "(n, d)", "the head's queries as they enter the dot product (after RoPE)", nullptr, &HeadTrace::Q},
        {"K", "(m, d)", "the head's keys (after RoPE)", nullptr, &HeadTrace::K},
        {"V", "(m, d)", "the head's values", nullptr, &HeadTrace::V},
        {"scores", "(n, m)", "Q K^T, unscaled", nullptr, &HeadTrace::scores},
        {"bias", "(n, m)", "ALiBi or relative position bias", nullptr, &HeadTrace::bias},
        {"scaled", "(n, m)", "(scores / sqrt(d) + bias) / T", nullptr, &HeadTrace::scaled},
        {"logits", "(n, m)", "scaled with -inf (JSON null) where masked", nullptr, &HeadTrace::logits},
        {"attention", "(n, m)", "softmax(logits) row-wise: the weights applied to V", nullptr, &HeadTrace::attention},
        {"output", "(n, d)", "attention V", nullptr, &HeadTrace::output},
        {"variant", "record", "a compared variant's pattern or factors, exact attention and output, comparison"},
    };
    return list;
}

void for_each_stage(const LayerTrace& l, const std::function<void(const char*, const Matrix&)>& fn) {
    for (const StageInfo& st : layer_stages())
        if (st.layer_matrix && (l.*st.layer_matrix).size() > 0) fn(st.name, l.*st.layer_matrix);
}

void for_each_stage(const HeadTrace& h, const std::function<void(const char*, const Matrix&)>& fn) {
    for (const StageInfo& st : head_stages_list())
        if (st.head_matrix && (h.*st.head_matrix).size() > 0) fn(st.name, h.*st.head_matrix);
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
