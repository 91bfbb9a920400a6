#pragma once
// Fonts from Debian packages: DejaVu Sans for Latin text, WenQuanYi Micro Hei merged
// in for CJK. The CJK font holds tens of thousands of glyphs, so the atlas only
// bakes those the current texts use, and is rebuilt when a new character appears.
#include <set>
#include <string>
#include <string_view>

namespace attnscope::gui {

// The font files (from Debian's fonts-dejavu-core and fonts-wqy-microhei).
const char* latin_font_file();
const char* cjk_font_file();

class Fonts {
public:
    // True when `text` has characters the atlas lacks; call rebuild() between frames then.
    bool needs(std::string_view text) const;
    // Rebuilds the ImGui font atlas with every character seen so far plus those of `text`.
    void rebuild(std::string_view text, float pixel_size);
    // A note for the user when a font file was missing (empty when all is well).
    const std::string& warning() const { return warning_; }

private:
    std::set<char32_t> cjk_;  // CJK code points baked into the atlas
    std::string warning_;
};

}  // namespace attnscope::gui
