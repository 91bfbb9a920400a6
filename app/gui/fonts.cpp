#include "gui/fonts.hpp"

#include <imgui.h>

#include <filesystem>
#include <vector>

#include "attnscope/tokenizer.hpp"

namespace attnscope::gui {
namespace {

constexpr const char* kLatinFont = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
constexpr const char* kCjkFont = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc";

bool outside_latin_ranges(char32_t c) { return c > 0x24F && !(c >= 0x2000 && c <= 0x22FF); }

std::vector<char32_t> code_points(std::string_view text) {
    try {
        return decode_utf8(text);
    } catch (...) {
        return {};  // the engine reports invalid UTF-8 in place
    }
}

}  // namespace

const char* latin_font_file() { return kLatinFont; }
const char* cjk_font_file() { return kCjkFont; }

bool Fonts::needs(std::string_view text) const {
    for (char32_t c : code_points(text))
        if (outside_latin_ranges(c) && !cjk_.count(c)) return true;
    return false;
}

void Fonts::rebuild(std::string_view text, float pixel_size) {
    for (char32_t c : code_points(text))
        if (outside_latin_ranges(c)) cjk_.insert(c);
    ImGuiIO& io = ImGui::GetIO();
    io.Fonts->Clear();
    warning_.clear();
    static const ImWchar latin_ranges[] = {0x0020, 0x024F, 0x2000, 0x22FF, 0};  // must outlive the atlas build
    if (std::filesystem::exists(kLatinFont)) {
        io.Fonts->AddFontFromFileTTF(kLatinFont, pixel_size, nullptr, latin_ranges);
    } else {
        ImFontConfig config;
        config.SizePixels = pixel_size;
        io.Fonts->AddFontDefault(&config);
        warning_ = "DejaVu Sans not found: run scripts/setup.sh for the fonts. ";
    }
    ImFontGlyphRangesBuilder builder;
    for (char32_t c : cjk_)
        if (c <= 0xFFFF) builder.AddChar(static_cast<ImWchar>(c));  // ImWchar is 16 bits in Debian's build
    ImVector<ImWchar> ranges;
    builder.BuildRanges(&ranges);
    if (!cjk_.empty() && std::filesystem::exists(kCjkFont)) {
        ImFontConfig merge;
        merge.MergeMode = true;
        io.Fonts->AddFontFromFileTTF(kCjkFont, pixel_size, &merge, ranges.Data);
    } else if (!cjk_.empty()) {
        warning_ += "WenQuanYi Micro Hei not found: CJK text shows as '?'; run scripts/setup.sh.";
    }
    io.Fonts->Build();  // uses `ranges` now, before it goes out of scope
}

}  // namespace attnscope::gui
