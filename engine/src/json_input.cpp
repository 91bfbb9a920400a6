#include "attnscope/json_input.hpp"

#include "attnscope/error.hpp"

namespace attnscope {

nlohmann::json parse_json(std::string_view text, const std::string& label, const std::string& advice,
                          const nlohmann::json::parser_callback_t& extra) {
    bool too_deep = false;
    const nlohmann::json::parser_callback_t guard = [&](int depth, nlohmann::json::parse_event_t event,
                                                        nlohmann::json& parsed) {
        if (depth > kMaxJsonDepth) {
            too_deep = true;
            throw Error("");  // stops the parser at once; replaced below
        }
        return extra ? extra(depth, event, parsed) : true;
    };
    try {
        return nlohmann::json::parse(text.begin(), text.end(), guard);
    } catch (const nlohmann::json::exception& e) {
        throw Error(label + " is not valid JSON (" + e.what() + "): " + advice);
    } catch (const Error&) {
        if (!too_deep) throw;
        throw Error(label + " nests deeper than " + std::to_string(kMaxJsonDepth) + " levels: " + advice);
    }
}

std::string quote_json(const nlohmann::json& value) {
    // Depth is bounded by parse_json, so dump() cannot run out of stack; the size is cut here.
    // Control characters (a terminal's escape sequences) come out escaped as \u001b; the rest as UTF-8.
    std::string s = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    if (s.size() > 80) {
        s.resize(77);
        while (!s.empty() && (static_cast<unsigned char>(s.back()) & 0xC0) == 0x80) s.pop_back();  // whole UTF-8
        if (!s.empty() && static_cast<unsigned char>(s.back()) >= 0xC0) s.pop_back();
        if (const std::size_t slash = s.rfind('\\'); slash != std::string::npos && s.size() - slash < 6)
            s.resize(slash);  // not half an escape
        s += "...";
    }
    return s;
}

}  // namespace attnscope
