// The GUI's start state: the default model when the assets hold one, else the synthetic engine.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "gui/startup.hpp"

namespace fs = std::filesystem;

TEST_CASE("startup_state opens the default model found under ATTNSCOPE_ASSETS") {
    const fs::path root = fs::temp_directory_path() / "attnscope_startup_assets";
    fs::remove_all(root);
    fs::create_directories(root / "models" / "default");
    setenv("ATTNSCOPE_ASSETS", root.c_str(), 1);
    // An assets folder without a model.safetensors is not taken (a half-copied folder).
    const attnscope::gui::AppState without = attnscope::gui::startup_state();
    REQUIRE(without.inputs.model != (root / "models" / "default").string());
    std::ofstream(root / "models" / "default" / "model.safetensors") << "x";
    const attnscope::gui::AppState with = attnscope::gui::startup_state();
    REQUIRE(with.inputs.model == (root / "models" / "default").string());
    REQUIRE(attnscope::gui::panel_open(with, "model"));
    unsetenv("ATTNSCOPE_ASSETS");
    fs::remove_all(root);
}

TEST_CASE("find_asset lists where it looked and returns empty when nothing exists") {
    std::vector<std::string> searched;
    REQUIRE(attnscope::gui::find_asset("no/such/asset/here", &searched).empty());
    REQUIRE(searched.size() >= 1);
}
