// libFuzzer target: any bytes as a GUI session file (app/gui/session.cpp: parse_session). Loading must
// either throw attnscope::Error or give a session whose view is within bounds (head < heads, 0 <= query
// < kMaxTokens) and that survives saving: session_to_json(...).dump() parses back to the same inputs
// and view. An Error's message may hold no control character but newline and tab (check_message.hpp: a
// terminal escape from a hostile file must come out quoted). Anything else (a crash, a sanitizer
// report, another exception type such as nlohmann's type_error from dump() on bad UTF-8) is a bug.
#include <cstddef>
#include <cstdint>
#include <string>

#include "attnscope/error.hpp"
#include "check_message.hpp"
#include "gui/session.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    namespace gui = attnscope::gui;
    gui::Session s;
    try {
        s = gui::parse_session(std::string(reinterpret_cast<const char*>(data), size));
    } catch (const attnscope::Error& e) {
        check_message(e);
        return 0;
    }
    if (s.selection.head < 0 || s.selection.head >= s.inputs.heads) __builtin_trap();
    if (s.selection.query < 0 || s.selection.query >= attnscope::kMaxTokens) __builtin_trap();
    // Saved and loaded again, as the Export panel does: nothing may be lost or refused.
    const gui::Session again = gui::parse_session(gui::session_to_json(s.inputs, s.selection).dump(2));
    if (!(again.inputs == s.inputs) || again.selection.head != s.selection.head ||
        again.selection.query != s.selection.query || again.selection.step != s.selection.step)
        __builtin_trap();
    return 0;
}
