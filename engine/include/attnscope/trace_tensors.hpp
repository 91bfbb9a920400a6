#pragma once
// The trace as a safetensors file, for traces too large for JSON: every stage a tensor, named
// like `layers.3.heads.5.attention`, F32 (masked logits -inf), the mask as U8; the header's
// __metadata__ holds `schema` ("attnscope.trace/2") and `trace`, the JSON of everything that is
// not a matrix (config, tokens, token_ids, model, next_tokens). Written in two passes (shapes, then
// data) so that only one head's stages are in memory at a time beyond the trace itself; stages a
// large model trace did not keep (scores, scaled, logits) are recomputed head by head.
#include <string>

#include "attnscope/trace.hpp"
#include "attnscope/trace_json.hpp"

namespace attnscope {

// Throws Error when the file cannot be written.
void write_trace_safetensors(const std::string& path, const Trace& trace, const TraceWriteOptions& options);

}  // namespace attnscope
