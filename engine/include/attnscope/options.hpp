#pragma once
// The named choices a user makes, with their spellings on the command line,
// in the trace JSON and in the GUI. parse_* throws Error listing the valid names.
#include <array>
#include <string>
#include <string_view>

namespace attnscope {

enum class Positional { None, Sinusoidal, Learned, Rope, Alibi, Relative };
enum class Mask { None, Causal, Padding, CausalPadding };

inline constexpr std::array<Positional, 6> kAllPositional = {
    Positional::None, Positional::Sinusoidal, Positional::Learned,
    Positional::Rope, Positional::Alibi,      Positional::Relative};
inline constexpr std::array<Mask, 4> kAllMasks = {Mask::None, Mask::Causal, Mask::Padding,
                                                  Mask::CausalPadding};

const char* name(Positional pe);  // "none", "sinusoidal", "learned", "rope", "alibi", "relative"
const char* name(Mask mask);      // "none", "causal", "padding", "causal+padding"

Positional parse_positional(std::string_view s);
Mask parse_mask(std::string_view s);

inline bool is_causal(Mask m) { return m == Mask::Causal || m == Mask::CausalPadding; }
inline bool masks_padding(Mask m) { return m == Mask::Padding || m == Mask::CausalPadding; }

}  // namespace attnscope
