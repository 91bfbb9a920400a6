// Tests the variant parameter table (engine/src/variants.cpp, variant_param_table()) and what
// walks it in the engine: validate() (engine/src/inputs.cpp) and the inputs' JSON
// (engine/src/trace_json.cpp). Properties over every row, plus a few messages written out.
#include "attnscope/variants.hpp"

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "attnscope/inputs.hpp"
#include "attnscope/trace_json.hpp"
#include "../test_helpers.hpp"

namespace as = attnscope;
using as::VariantKind;
using as::VariantParamInfo;
using as::VariantParams;

namespace {

// Inputs that validate() accepts with this kind (mask none, pe sinusoidal).
as::Inputs inputs_with(VariantKind kind) {
    as::Inputs in;
    in.variant.kind = kind;
    return in;
}

std::vector<std::string> names_of(VariantKind kind) {
    std::vector<std::string> out;
    for (const VariantParamInfo* p : as::variant_params_of(kind)) out.push_back(p->name);
    return out;
}

}  // namespace

TEST_CASE("the parameter table: one row per field, every kind's parameters, defaults in range") {
    const std::vector<VariantParamInfo>& table = as::variant_param_table();
    std::vector<int VariantParams::*> fields;  // member pointers compare only for equality
    std::set<std::string> names, options;
    int lists = 0;
    for (const VariantParamInfo& p : table) {
        INFO(p.name);
        REQUIRE((p.field == nullptr) != (p.list == nullptr));  // an int row or the list row, not both
        if (p.field) {
            REQUIRE(std::find(fields.begin(), fields.end(), p.field) == fields.end());
            fields.push_back(p.field);
        }
        lists += p.list != nullptr;
        REQUIRE(names.insert(p.name).second);
        REQUIRE(options.insert(p.option()).second);
        REQUIRE(p.option().rfind("--", 0) == 0);
        REQUIRE_FALSE(p.kinds.empty());
        REQUIRE(std::find(p.kinds.begin(), p.kinds.end(), VariantKind::Dense) == p.kinds.end());
        REQUIRE(std::string(p.help).size() > 0);
        REQUIRE(std::string(p.example).rfind(p.option() + " ", 0) == 0);  // the fix names the option
        REQUIRE(as::find_variant_param(p.name) == &p);
        if (p.hi == as::UpperBound::Param) REQUIRE(p.hi_param != nullptr);
        // The default lies in the range for each reader, at a typical length and at the cap.
        for (VariantKind kind : p.kinds) {
            VariantParams v;
            v.kind = kind;
            REQUIRE(p.default_value() >= p.lo);
            REQUIRE(p.default_value() <= p.upper(v, 16, 16));
            REQUIRE(p.default_value() <= p.upper(v, as::kMaxTokens, as::kMaxTokens));
        }
    }
    REQUIRE(lists == 1);
    REQUIRE(as::find_variant_param("no_such_parameter") == nullptr);

    // Today's CLI option names stay.
    REQUIRE(as::find_variant_param("top_k")->option() == "--top-k");
    REQUIRE(as::find_variant_param("random_blocks")->option() == "--random-blocks");
    REQUIRE(as::find_variant_param("pinv_iterations")->option() == "--pinv-iterations");
    REQUIRE(as::find_variant_param("global_tokens")->option() == "--global");

    // Each kind reads what VariantParams' comments say (written out here, not taken from the table).
    using S = std::vector<std::string>;
    REQUIRE(names_of(VariantKind::Dense).empty());
    REQUIRE(names_of(VariantKind::Local) == S{"window", "dilation", "global_tokens"});
    REQUIRE(names_of(VariantKind::Strided) == S{"stride"});
    REQUIRE(names_of(VariantKind::Fixed) == S{"stride", "summary"});
    REQUIRE(names_of(VariantKind::BigBird) == S{"window", "block", "globals", "random_blocks"});
    REQUIRE(names_of(VariantKind::TopK) == S{"top_k"});
    REQUIRE(names_of(VariantKind::Linformer) == S{"k"});
    REQUIRE(names_of(VariantKind::Nystrom) == S{"landmarks", "pinv_iterations"});
    REQUIRE(names_of(VariantKind::Performer) == S{"features"});
    REQUIRE(names_of(VariantKind::Svd) == S{"rank"});
    // Every field of VariantParams but kind has its row: 13 ints and the list.
    REQUIRE(table.size() == 14);
}

TEST_CASE("the parameter table's upper bounds follow the sequence and the other parameters") {
    VariantParams local;
    local.kind = VariantKind::Local;
    VariantParams bigbird;
    bigbird.kind = VariantKind::BigBird;
    bigbird.block = 4;
    VariantParams fixed;
    fixed.kind = VariantKind::Fixed;
    fixed.stride = 6;
    const VariantParamInfo& window = *as::find_variant_param("window");
    REQUIRE(window.upper(local, 10, 13) == 13);    // keys
    REQUIRE(window.upper(bigbird, 10, 13) == 4);   // key blocks: ceil(13 / 4)
    REQUIRE(as::find_variant_param("global_tokens")->upper(local, 10, 13) == 12);
    REQUIRE(as::find_variant_param("summary")->upper(fixed, 10, 13) == 6);  // the stride
    REQUIRE(as::find_variant_param("landmarks")->upper(local, 10, 13) == 10);  // min(n, m)
    REQUIRE(as::find_variant_param("features")->upper(local, 10, 13) == 4096);
    REQUIRE(as::find_variant_param("summary")->range_text() == "1..stride");
    REQUIRE(as::find_variant_param("global_tokens")->range_text() == "0..keys - 1");
    REQUIRE(as::find_variant_param("rank")->range_text() == "1..min(n, m)");
}

TEST_CASE("inputs JSON round-trips every parameter of the table") {
    for (const VariantParamInfo& p : as::variant_param_table()) {
        for (VariantKind kind : p.kinds) {
            INFO(p.name << " for " << as::name(kind));
            as::Inputs in = inputs_with(kind);
            if (p.field)
                in.variant.*p.field = p.default_value() + 1;  // a value only this row's JSON key carries
            else
                in.variant.*p.list = {0, 3};
            const nlohmann::json j = as::inputs_to_json(in);
            REQUIRE(j.at("variant_params").contains(p.name));
            const as::Inputs back = as::inputs_from_json(nlohmann::json::parse(j.dump()));
            REQUIRE(back.variant == in.variant);
            // And from the JSON of the defaults, without the key: the default.
            nlohmann::json without = j;
            without["variant_params"].erase(p.name);
            REQUIRE(as::inputs_from_json(without).variant.kind == kind);
            if (p.field) REQUIRE(as::inputs_from_json(without).variant.*p.field == p.default_value());
        }
    }
    nlohmann::json j = as::inputs_to_json(inputs_with(VariantKind::TopK));
    j["variant_params"]["top_k"] = 2.5;
    REQUIRE_ERROR(as::inputs_from_json(j), "'top_k' has the wrong type");
}

TEST_CASE("validate() rejects each row's value out of range, naming it, its range and a fix") {
    for (const VariantParamInfo& p : as::variant_param_table()) {
        for (VariantKind kind : p.kinds) {
            INFO(p.name << " for " << as::name(kind));
            as::Inputs in = inputs_with(kind);
            REQUIRE_NOTHROW(as::validate(in));  // the defaults are valid
            const int hi = p.upper(in.variant, as::kMaxTokens, as::kMaxTokens);
            for (int bad : {p.lo - 1, hi + 1}) {
                as::Inputs b = in;
                if (p.field)
                    b.variant.*p.field = bad;
                else
                    b.variant.*p.list = {bad};
                // The summary's bound follows the stride: its own bad value is still out of range.
                const int lo = p.lo, top = p.upper(b.variant, as::kMaxTokens, as::kMaxTokens);
                REQUIRE_ERROR(as::validate(b), std::string(p.label) + " (" + std::to_string(bad) + ") must be between " +
                                                   std::to_string(lo) + " and " + std::to_string(top) + ": try " +
                                                   p.example);
            }
            // Another kind's parameter is not this kind's business.
            for (VariantKind other : as::kAllVariants) {
                if (p.reads(other) || !p.field) continue;
                as::Inputs o = inputs_with(other);
                o.variant.*p.field = p.lo - 1;
                REQUIRE_NOTHROW(as::validate(o));
            }
        }
    }
    // Written out: what a user reads.
    as::Inputs in = inputs_with(VariantKind::Local);
    in.variant.window = -1;
    REQUIRE_ERROR(as::validate(in), "window (-1) must be between 0 and 1024: try --window 2");
    in = inputs_with(VariantKind::Fixed);
    in.variant.stride = 4, in.variant.summary = 5;
    REQUIRE_ERROR(as::validate(in), "summary (5) must be between 1 and 4: try --summary 1");
    in = inputs_with(VariantKind::BigBird);
    in.variant.block = 4, in.variant.window = 300;  // at most 1024 / 4 key blocks
    REQUIRE_ERROR(as::validate(in), "window (300) must be between 0 and 256: try --window 2");
    in = inputs_with(VariantKind::Nystrom);
    in.variant.pinv_iterations = 101;
    REQUIRE_ERROR(as::validate(in), "pinv iterations (101) must be between 1 and 100: try --pinv-iterations 6");
    in = inputs_with(VariantKind::Local);
    in.variant.global_tokens = {0, 1024};
    REQUIRE_ERROR(as::validate(in), "global token (1024) must be between 0 and 1023: try --global 0");
}

TEST_CASE("a row's help per reader: its own part of a shared help") {
    const VariantParamInfo& window = *as::find_variant_param("window");
    REQUIRE(window.help_for(VariantKind::Local) == "keys on each side");
    REQUIRE(window.help_for(VariantKind::BigBird) == "blocks on each side");
    REQUIRE(as::find_variant_param("k")->help_for(VariantKind::Linformer) == "projected length k (E, F are k x m)");
}
