#include "attnscope/patterns.hpp"

namespace attnscope {

int pattern_kind(VariantKind kind) {
    switch (kind) {
        case VariantKind::Local: return patterns::kPatternLocal;
        case VariantKind::Strided: return patterns::kPatternStrided;
        case VariantKind::Fixed: return patterns::kPatternFixed;
        case VariantKind::BigBird: return patterns::kPatternBigBird;
        default: return patterns::kPatternDense;
    }
}

}  // namespace attnscope
