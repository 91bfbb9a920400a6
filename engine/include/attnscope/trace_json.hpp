#pragma once
// The trace as JSON, schema "attnscope.trace/2" (see README "Trace JSON").
// Matrices are arrays of rows; masked logits are null.
#include <nlohmann/json.hpp>

#include "attnscope/matrix.hpp"
#include "attnscope/stages.hpp"
#include "attnscope/trace.hpp"
#include <ostream>

namespace attnscope {

inline constexpr const char* kTraceSchema = "attnscope.trace/2";

struct TraceWriteOptions {
    StageSelection stages;  // which stages; all by default
    int layer = -1;         // only this layer; -1: every layer
    int indent = -1;        // -1: compact; 0..16 spaces
};
nlohmann::json to_json(const Trace& trace, const TraceWriteOptions& options = {});
// Everything but the layers: schema, config, model, tokens, sequences, mask, next tokens.
nlohmann::json trace_header_json(const Trace& trace);
// The same JSON written layer by layer, so that a large trace is never in memory as JSON at once.
void write_json(std::ostream& out, const Trace& trace, const TraceWriteOptions& options);
// -inf (a masked logit) becomes null; NaN and +inf, which a run never leaves (run() refuses them),
// become the strings "NaN" and "Infinity", never confused with a masked cell.
nlohmann::json matrix_to_json(const Matrix& m);
Matrix matrix_from_json(const nlohmann::json& rows);  // null becomes -inf

nlohmann::json inputs_to_json(const Inputs& inputs);
Inputs inputs_from_json(const nlohmann::json& j);  // throws Error on bad fields

}  // namespace attnscope
