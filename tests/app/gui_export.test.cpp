// Tests app/gui/panels/export.cpp's file helpers and app/gui/png.cpp: the list of exportable
// matrices, the PNG image of a matrix (colours, masked grey, nearest-neighbour scaling).
#include <catch2/catch.hpp>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <set>

#include <nlohmann/json.hpp>

#include "attnscope/error.hpp"
#include "attnscope/export.hpp"
#include "attnscope/run.hpp"
#include "gui/panels/export.hpp"
#include "gui/png.hpp"
#include "../test_helpers.hpp"

using attnscope::Matrix;
using attnscope::gui::Colormap;
using attnscope::gui::colormap_color;
using attnscope::gui::matrix_image;
using attnscope::gui::Rgb;

namespace {

Rgb pixel(const attnscope::gui::RgbaImage& img, int x, int y) {
    const unsigned char* p = &img.rgba[(static_cast<size_t>(y) * img.width + x) * 4];
    REQUIRE(p[3] == 255);
    return {p[0], p[1], p[2]};
}

bool same(Rgb a, Rgb b) { return a.r == b.r && a.g == b.g && a.b == b.b; }

}  // namespace

TEST_CASE("every matrix of the trace is listed once, by its file name", "[export]") {
    attnscope::Inputs in;
    in.text = "the cat sat";
    in.cross_text = "le chat";
    in.d_model = 16;
    in.heads = 4;
    in.pe = attnscope::Positional::Rope;
    const attnscope::Trace t = attnscope::run(in);
    const auto all = attnscope::gui::trace_matrices(t, t.layers[0]);
    std::set<std::string> names;
    for (const auto& m : all) {
        REQUIRE(m.values != nullptr);
        REQUIRE(names.insert(m.name).second);
    }
    for (const char* n : {"embeddings", "positional", "input", "cross_embeddings", "cross_positional", "cross_input",
                          "W_Q", "W_K", "W_V", "W_O", "Q", "K", "V", "concat", "output"})
        REQUIRE(names.count(n) == 1);
    for (int h = 0; h < 4; ++h)
        for (const char* stage : {"Q", "K", "V", "scores", "scaled", "logits", "attention", "output"})
            REQUIRE(names.count("head" + std::to_string(h) + "_" + stage) == 1);
    const auto attention = std::find_if(all.begin(), all.end(), [](const auto& m) { return m.name == "head2_attention"; });
    REQUIRE(attention->values == &t.layers[0].heads[2].attention);
    REQUIRE(attention->weights);
    REQUIRE(std::count_if(all.begin(), all.end(), [](const auto& m) { return m.weights; }) == 4);
}

TEST_CASE("a matrix image has one square block per cell, at least 512 px wide", "[export]") {
    Matrix m(2, 3);
    m << 0.0, 0.5, 1.0, 0.25, -INFINITY, 2.0;
    const auto img = matrix_image(m, Colormap::Viridis, 0.0, 1.0);
    const int k = (512 + 2) / 3;  // 171 pixels per cell
    REQUIRE(img.width == 3 * k);
    REQUIRE(img.height == 2 * k);
    REQUIRE(img.rgba.size() == static_cast<size_t>(img.width) * img.height * 4);
    for (int i = 0; i < 2; ++i)
        for (int j = 0; j < 3; ++j) {
            const Rgb want = std::isfinite(m(i, j)) ? colormap_color(Colormap::Viridis, m(i, j))
                                                    : attnscope::gui::kMaskedColor;
            for (auto [dx, dy] : {std::pair{0, 0}, {k - 1, 0}, {0, k - 1}, {k - 1, k - 1}, {k / 2, k / 3}}) {
                INFO("cell " << i << "," << j << " pixel +" << dx << ",+" << dy);
                REQUIRE(same(pixel(img, j * k + dx, i * k + dy), want));
            }
        }
    REQUIRE(same(pixel(img, 2 * k, k), colormap_color(Colormap::Viridis, 1.0)));  // 2.0 is clamped to the top
}

TEST_CASE("a diverging image puts zero at the light centre", "[export]") {
    Matrix m(1, 3);
    m << -3.0, 0.0, 3.0;
    const auto img = matrix_image(m, Colormap::Diverging, -3.0, 3.0, 3);
    REQUIRE(img.width == 3);
    REQUIRE(same(pixel(img, 0, 0), colormap_color(Colormap::Diverging, 0.0)));
    REQUIRE(same(pixel(img, 1, 0), colormap_color(Colormap::Diverging, 0.5)));
    REQUIRE(same(pixel(img, 2, 0), colormap_color(Colormap::Diverging, 1.0)));
}

TEST_CASE("a tall narrow matrix is scaled to at most 8192 px, a wide one not at all", "[export]") {
    REQUIRE(matrix_image(Matrix::Zero(1024, 1), Colormap::Diverging, -1, 1).height == 8192);
    const auto wide = matrix_image(Matrix::Zero(4, 1024), Colormap::Viridis, 0, 1);
    REQUIRE((wide.width == 1024 && wide.height == 4));
    REQUIRE_THROWS_AS(matrix_image(Matrix(0, 0), Colormap::Viridis, 0, 1), attnscope::Error);
}

TEST_CASE("encode_png writes a PNG with the image's size", "[export]") {
    const auto img = matrix_image(Matrix::Identity(4, 4), Colormap::Viridis, 0, 1, 8);
    const std::string png = attnscope::gui::encode_png(img.rgba, img.width, img.height);
    REQUIRE(png.substr(0, 8) == std::string("\x89PNG\r\n\x1a\n", 8));
    auto be32 = [&](size_t at) {
        return (static_cast<unsigned char>(png[at]) << 24) | (static_cast<unsigned char>(png[at + 1]) << 16) |
               (static_cast<unsigned char>(png[at + 2]) << 8) | static_cast<unsigned char>(png[at + 3]);
    };
    REQUIRE(png.substr(12, 4) == "IHDR");
    REQUIRE(be32(16) == 8u);
    REQUIRE(be32(20) == 8u);
}

// ---- the panel's actions: files written, every failure reported in state.status ----

namespace {

namespace fs = std::filesystem;

// A fresh folder for the export tests, removed at the end of the test.
struct TempFolder : test::TempFolder {
    TempFolder() : test::TempFolder("export-test") {}
};

attnscope::Trace small_trace() {
    attnscope::Inputs in;
    in.text = "the cat sat on the mat";
    in.d_model = 16;
    in.heads = 2;
    in.mask = attnscope::Mask::Causal;
    return attnscope::run(in);
}

const attnscope::gui::NamedMatrix& named(const std::vector<attnscope::gui::NamedMatrix>& all, const std::string& name) {
    const auto it = std::find_if(all.begin(), all.end(), [&](const auto& m) { return m.name == name; });
    REQUIRE(it != all.end());
    return *it;
}

}  // namespace

TEST_CASE("Save CSV, NPY and PNG write files named after the matrix", "[export]") {
    using attnscope::gui::ExportFormat;
    TempFolder dir;
    const attnscope::Trace t = small_trace();
    const auto all = attnscope::gui::trace_matrices(t, t.layers[0]);
    attnscope::gui::ExportPanelState state;
    state.folder = dir.path.string();
    const auto& logits = named(all, "head1_logits");
    for (auto [format, ext] : {std::pair{ExportFormat::Csv, ".csv"}, {ExportFormat::Npy, ".npy"}, {ExportFormat::Png, ".png"}}) {
        attnscope::gui::export_matrix(logits, format, state);
        INFO(state.status);
        REQUIRE_FALSE(state.status_is_error);
        REQUIRE_THAT(state.status, Catch::Contains("head1_logits" + std::string(ext)));
        REQUIRE(fs::file_size(dir.path / ("head1_logits" + std::string(ext))) > 0);
    }
    const std::string csv = attnscope::read_file((dir.path / "head1_logits.csv").string());
    REQUIRE(std::count(csv.begin(), csv.end(), '\n') == 6);
    REQUIRE_THAT(csv, Catch::Contains("-inf"));  // the causal mask
    REQUIRE(attnscope::read_file((dir.path / "head1_logits.npy").string()).size() == 128 + 6 * 6 * 8);
    REQUIRE_FALSE(fs::exists(dir.path / "head1_logits.png.tmp"));
}

TEST_CASE("Save trace JSON writes the whole trace", "[export]") {
    TempFolder dir;
    attnscope::gui::ExportPanelState state;
    state.folder = dir.path.string();
    attnscope::gui::export_trace(small_trace(), state);
    INFO(state.status);
    REQUIRE_FALSE(state.status_is_error);
    const auto j = nlohmann::json::parse(attnscope::read_file((dir.path / "attnscope-trace.json").string()));
    REQUIRE(j.at("schema") == "attnscope.trace/2");
    REQUIRE(j.at("layers").size() == 1);
    REQUIRE(j.at("layers")[0].at("heads").size() == 2);
}

TEST_CASE("a missing or unwritable folder is reported with the fix, not thrown", "[export]") {
    const attnscope::Trace t = small_trace();
    const auto all = attnscope::gui::trace_matrices(t, t.layers[0]);
    attnscope::gui::ExportPanelState state;
    state.folder = "/nonexistent/attnscope/folder";
    REQUIRE_NOTHROW(attnscope::gui::export_matrix(all.front(), attnscope::gui::ExportFormat::Csv, state));
    REQUIRE(state.status_is_error);
    REQUIRE_THAT(state.status, Catch::Contains("does not exist") && Catch::Contains("create it"));

    state.folder = "/proc";  // a folder nobody, not even root, can create files in
    REQUIRE_NOTHROW(attnscope::gui::export_trace(t, state));
    REQUIRE(state.status_is_error);
    REQUIRE_THAT(state.status, Catch::Contains("cannot write") && Catch::Contains("writable"));
}

TEST_CASE("a saved session loads back as Edits, a bad one is reported", "[export]") {
    using attnscope::gui::Step;
    TempFolder dir;
    const attnscope::Trace t = small_trace();
    attnscope::gui::ExportPanelState state;
    state.session_path = (dir.path / "session.json").string();
    attnscope::gui::save_session(t, {1, 4, Step::Mask}, state);
    INFO(state.status);
    REQUIRE_FALSE(state.status_is_error);

    const attnscope::gui::Edits e = attnscope::gui::load_session(state);
    REQUIRE_FALSE(state.status_is_error);
    REQUIRE(e.inputs == t.inputs);
    REQUIRE((e.head == 1 && e.query == 4 && e.step == Step::Mask));

    attnscope::write_file_atomic(state.session_path, "{\"schema\": \"attnscope.session/1\", \"inputs\": [");
    const attnscope::gui::Edits bad = attnscope::gui::load_session(state);
    REQUIRE(state.status_is_error);
    REQUIRE_THAT(state.status, Catch::Contains("not valid JSON"));
    REQUIRE_FALSE((bad.inputs || bad.head || bad.query || bad.step));

    state.session_path = (dir.path / "missing.json").string();
    REQUIRE_FALSE(attnscope::gui::load_session(state).inputs);
    REQUIRE_THAT(state.status, Catch::Contains("cannot read"));
}

TEST_CASE("a session file named without a folder goes to the chosen folder, not the working one", "[export]") {
    using attnscope::gui::Step;
    TempFolder dir;
    const attnscope::Trace t = small_trace();
    attnscope::gui::ExportPanelState state;
    state.folder = dir.path.string();
    state.session_path = "mine.json";
    attnscope::gui::save_session(t, {0, 2, Step::Softmax}, state);
    INFO(state.status);
    REQUIRE_FALSE(state.status_is_error);
    REQUIRE(fs::exists(dir.path / "mine.json"));
    REQUIRE_FALSE(fs::exists("mine.json"));
    REQUIRE_THAT(state.status, Catch::Contains((dir.path / "mine.json").string()));
    const attnscope::gui::Edits e = attnscope::gui::load_session(state);
    REQUIRE(e.inputs == t.inputs);
    REQUIRE(e.query == 2);
    // A folder that does not exist is reported, and nothing is written.
    state.folder = (dir.path / "nope").string();
    attnscope::gui::save_session(t, {0, 2, Step::Softmax}, state);
    REQUIRE(state.status_is_error);
    REQUIRE_THAT(state.status, Catch::Contains("does not exist"));
}
