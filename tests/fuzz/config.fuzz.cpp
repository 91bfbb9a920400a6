// libFuzzer target: any bytes as a GPT-2 config.json (engine/src/gpt2.cpp: parse_gpt2_config, what
// load_gpt2 reads first). Parsing must either throw attnscope::Error or give shapes within the loader's
// limits: 1 <= n_layer <= 256, 1 <= n_embd <= 16384, n_head dividing n_embd, 1 <= n_ctx <= 65536, 1 <=
// vocab_size <= 4M, layer_norm_epsilon > 0. An Error's message may hold no control character but
// newline and tab (check_message.hpp: a terminal escape from a hostile file must come out quoted).
// Anything else (a crash, a sanitizer report, another exception type) is a bug.
#include <cstddef>
#include <cstdint>
#include <string>

#include "attnscope/error.hpp"
#include "check_message.hpp"
#include "attnscope/gpt2.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    attnscope::Gpt2Config c;
    try {
        c = attnscope::parse_gpt2_config(std::string(reinterpret_cast<const char*>(data), size));
    } catch (const attnscope::Error& e) {
        check_message(e);
        return 0;
    }
    if (c.n_layer < 1 || c.n_layer > 256 || c.n_embd < 1 || c.n_embd > 16384 || c.n_head < 1 || c.n_embd % c.n_head != 0 ||
        c.n_ctx < 1 || c.n_ctx > 65536 || c.vocab_size < 1 || c.vocab_size > (1 << 22) || !(c.layer_norm_epsilon > 0))
        __builtin_trap();
    // The parameter count is checked in 64 bits: refusing is fine, overflowing is not.
    try {
        attnscope::check_gpt2_limits(c);
    } catch (const attnscope::Error& e) {
        check_message(e);
    }
    return 0;
}
