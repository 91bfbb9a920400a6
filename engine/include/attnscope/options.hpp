#pragma once
// The named choices a user makes, with their spellings on the command line,
// in the trace JSON and in the GUI. parse_* throws Error listing the valid names.
#include <array>
#include <string>
#include <string_view>

namespace attnscope {

enum class Positional { None, Sinusoidal, Learned, Rope, Alibi, Relative };
enum class Mask { None, Causal, Padding, CausalPadding };
// Where the forward pass runs: Eigen on the CPU, or OpenGL 4.3 compute shaders (engine/gpu).
enum class Backend { Cpu, Gpu };

inline constexpr std::array<Positional, 6> kAllPositional = {
    Positional::None, Positional::Sinusoidal, Positional::Learned,
    Positional::Rope, Positional::Alibi,      Positional::Relative};
inline constexpr std::array<Mask, 4> kAllMasks = {Mask::None, Mask::Causal, Mask::Padding,
                                                  Mask::CausalPadding};
inline constexpr std::array<Backend, 2> kAllBackends = {Backend::Cpu, Backend::Gpu};

const char* name(Positional pe);  // "none", "sinusoidal", "learned", "rope", "alibi", "relative"
const char* name(Mask mask);      // "none", "causal", "padding", "causal+padding"
const char* name(Backend backend);  // "cpu", "gpu"

Positional parse_positional(std::string_view s);
Mask parse_mask(std::string_view s);
Backend parse_backend(std::string_view s);

inline bool is_causal(Mask m) { return m == Mask::Causal || m == Mask::CausalPadding; }
inline bool masks_padding(Mask m) { return m == Mask::Padding || m == Mask::CausalPadding; }

}  // namespace attnscope
