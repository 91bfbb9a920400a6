#include "attnscope/json_input.hpp"

#include <functional>

#include "attnscope/error.hpp"

namespace attnscope {

namespace {

using nlohmann::json;

// nlohmann's DOM builder behind a depth guard. (Its parser callback would do the same but is
// quadratic: at every object's end it scans the parent for discarded values, so a header of 40,000
// small objects took 16 s.)
class BoundedSax : public json::json_sax_t {
public:
    BoundedSax(json& result, const std::function<void(const std::string&)>& top_level_key)
        : dom_(result, true), top_level_key_(top_level_key) {}
    bool too_deep = false;

    bool null() override { return dom_.null(); }
    bool boolean(bool v) override { return dom_.boolean(v); }
    bool number_integer(number_integer_t v) override { return dom_.number_integer(v); }
    bool number_unsigned(number_unsigned_t v) override { return dom_.number_unsigned(v); }
    bool number_float(number_float_t v, const string_t& s) override { return dom_.number_float(v, s); }
    bool string(string_t& v) override { return dom_.string(v); }
    bool binary(binary_t& v) override { return dom_.binary(v); }
    bool start_object(std::size_t n) override { return deeper() && dom_.start_object(n); }
    bool key(string_t& k) override {
        if (depth_ == 1 && top_level_key_) top_level_key_(k);
        return dom_.key(k);
    }
    bool end_object() override { return --depth_, dom_.end_object(); }
    bool start_array(std::size_t n) override { return deeper() && dom_.start_array(n); }
    bool end_array() override { return --depth_, dom_.end_array(); }
    bool parse_error(std::size_t at, const std::string& token, const nlohmann::detail::exception& e) override {
        return dom_.parse_error(at, token, e);  // throws e
    }

private:
    bool deeper() {
        if (++depth_ <= kMaxJsonDepth) return true;
        too_deep = true;
        return false;  // stops the parser at once
    }
    nlohmann::detail::json_sax_dom_parser<json> dom_;
    const std::function<void(const std::string&)>& top_level_key_;
    int depth_ = 0;
};

}  // namespace

nlohmann::json parse_json(std::string_view text, const std::string& label, const std::string& advice,
                          const std::function<void(const std::string&)>& top_level_key) {
    json result;
    BoundedSax sax(result, top_level_key);
    try {
        json::sax_parse(text.begin(), text.end(), &sax);
    } catch (const json::exception& e) {
        throw Error(label + " is not valid JSON (" + e.what() + "): " + advice);
    }
    if (sax.too_deep) throw Error(label + " nests deeper than " + std::to_string(kMaxJsonDepth) + " levels: " + advice);
    return result;
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
