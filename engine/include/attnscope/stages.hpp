#pragma once
// The stages of a trace, listed once and walked: the JSON and safetensors writers, `trace --stages`
// and the README's field table all come from these lists.
// Shape legend: n query tokens, m key tokens, D = d_model, d = d_head.
#include <functional>
#include <string>
#include <vector>

#include "attnscope/trace.hpp"

namespace attnscope {

struct StageInfo {
    const char* name;   // the key in layers[l] or layers[l].heads[h]
    const char* shape;  // e.g. "(n, m)"
    const char* what;   // one line, for --help and the README
    // The matrix it is, in a layer or in a head; null for the stages that are not one matrix
    // (a layer's weights, a head's variant record).
    Matrix LayerTrace::*layer_matrix = nullptr;
    Matrix HeadTrace::*head_matrix = nullptr;
};

// Stages of a layer (layers[l].<name>) and of a head (layers[l].heads[h].<name>), in trace order.
const std::vector<StageInfo>& layer_stages();
const std::vector<StageInfo>& head_stages_list();

// Calls fn(name, matrix) for each non-empty matrix stage of the layer / head, in list order.
void for_each_stage(const LayerTrace& layer, const std::function<void(const char*, const Matrix&)>& fn);
void for_each_stage(const HeadTrace& head, const std::function<void(const char*, const Matrix&)>& fn);

// Which stages a writer keeps: every stage by default; `trace --stages attention,output` keeps those.
struct StageSelection {
    std::vector<std::string> names;  // empty: all
    bool keeps(const std::string& stage) const;
};
// Parses "attention,logits" (or "all"); throws Error naming an unknown stage and listing the known ones.
StageSelection parse_stages(const std::string& spec);

}  // namespace attnscope
