#pragma once
// The trace as JSON, schema "attnscope.trace/1" (see README "Trace JSON").
// Matrices are arrays of rows; masked logits are null.
#include <nlohmann/json.hpp>

#include "attnscope/matrix.hpp"
#include "attnscope/trace.hpp"

namespace attnscope {

inline constexpr const char* kTraceSchema = "attnscope.trace/1";

nlohmann::json to_json(const Trace& trace);
nlohmann::json matrix_to_json(const Matrix& m);  // -inf and NaN become null
Matrix matrix_from_json(const nlohmann::json& rows);  // null becomes -inf

nlohmann::json inputs_to_json(const Inputs& inputs);
Inputs inputs_from_json(const nlohmann::json& j);  // throws Error on bad fields

}  // namespace attnscope
