#!/usr/bin/python3
"""Screenshot tests: run `attnscope render` and check the pixels of the PNG it writes.

Usage:
  gui_screenshots.py --list                       (the case names, ';'-separated, for CMake)
  gui_screenshots.py ATTNSCOPE WORKDIR CASE       (one case; exit 0 pass, 1 fail, 77 skipped)
  gui_screenshots.py ATTNSCOPE WORKDIR            (every case)

Needs Debian's /usr/bin/python3 (numpy and PIL) and, for the rendering cases, a display:
CI runs ctest under xvfb-run. Heatmaps are found through `render --layout-json FILE`, which
writes each heatmap's cell rectangle (id, x0, y0, x1, y1, rows, cols) in PNG pixels.
"""
import json
import os
import subprocess
import sys

import numpy as np
from PIL import Image

SKIP = 77
PANELS = ["input", "stepper", "matrices", "attention", "softmax", "multihead", "positional", "export", "scaling"]
MASKED = (112, 112, 112)  # gui/colormap.hpp kMaskedColor
# Viridis stops as documented in app/gui/colormap.cpp; the heatmap shader interpolates between them.
VIRIDIS_STOPS = np.array([(68, 1, 84), (71, 44, 122), (59, 81, 139), (44, 113, 142), (33, 144, 141),
                          (39, 173, 129), (92, 200, 99), (170, 220, 50), (253, 231, 37)], dtype=float)
SENTENCE = "the cat sat on the mat because it was warm"
TRACE_OPTIONS = ["--text", SENTENCE, "--d-model", "32", "--heads", "2", "--seed", "7", "--pe", "sinusoidal"]


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


class Runner:
    def __init__(self, exe, workdir):
        self.exe, self.workdir = exe, workdir
        os.makedirs(workdir, exist_ok=True)

    def path(self, name):
        return os.path.join(self.workdir, name)

    def run(self, args, env=None):
        # A busy shared X server now and then refuses a connection (GLFW: "Failed to open display"):
        # try again rather than report a broken GUI.
        for attempt in range(3):
            p = subprocess.run([self.exe] + args, capture_output=True, text=True, timeout=60,
                               env=None if env is None else {**os.environ, **env})
            if "no display found" not in p.stderr or not os.environ.get("DISPLAY"):
                break
        return p

    def render(self, name, args, layout=False, env=None):
        """Renders to WORKDIR/name.png; returns (RGB array, layout dict or None)."""
        out = self.path(name + ".png")
        extra = ["--layout-json", self.path(name + ".layout.json")] if layout else []
        p = self.run(["render", "--out", out] + extra + args, env)
        check(p.returncode == 0, f"render {' '.join(args)} exited {p.returncode}: {p.stderr.strip()}")
        self.stdout = p.stdout
        image = np.asarray(Image.open(out).convert("RGB")).astype(int)
        return image, (json.load(open(self.path(name + ".layout.json"))) if layout else None)

    def trace(self, name, args):
        out = self.path(name + ".json")
        p = self.run(["trace", "--out", out] + args)
        check(p.returncode == 0, f"trace exited {p.returncode}: {p.stderr.strip()}")
        return json.load(open(out))


def distinct_colours(image):
    return len(np.unique(image.reshape(-1, 3), axis=0))


def require_not_blank(image, what, min_colours):
    colours = distinct_colours(image)
    flat = image.reshape(-1, 3)
    values, counts = np.unique(flat, axis=0, return_counts=True)
    background_share = counts.max() / len(flat)
    check(colours >= min_colours, f"{what}: only {colours} distinct colours (want >= {min_colours}): blank?")
    check(background_share < 0.98, f"{what}: {background_share:.1%} of the pixels are one colour: blank?")


def heatmap(layout, hid, rows, cols):
    found = [h for h in layout["heatmaps"] if h["id"] == hid]
    check(len(found) == 1, f"want one heatmap '{hid}' in the layout, got {layout['heatmaps']}")
    h = found[0]
    check((h["rows"], h["cols"]) == (rows, cols), f"heatmap '{hid}' is {h['rows']}x{h['cols']}, want {rows}x{cols}")
    check(h["x1"] - h["x0"] >= 2 * cols and h["y1"] - h["y0"] >= 2 * rows, f"heatmap '{hid}' is too small: {h}")
    return h


def cell_colour(image, h, i, j):
    """The mean colour of the middle of cell (i, j): away from outlines drawn on cell edges."""
    cw, ch = (h["x1"] - h["x0"]) / h["cols"], (h["y1"] - h["y0"]) / h["rows"]
    cx, cy = int(h["x0"] + (j + 0.5) * cw), int(h["y0"] + (i + 0.5) * ch)
    r = max(0, int(min(cw, ch) / 4) - 1)
    return image[cy - r:cy + r + 1, cx - r:cx + r + 1].reshape(-1, 3).mean(axis=0)


def viridis_position(rgb):
    """Inverts viridis: the t in [0, 1] whose colour is nearest to rgb."""
    t = np.linspace(0, 1, 1025)
    x = t * (len(VIRIDIS_STOPS) - 1)
    i = np.minimum(x.astype(int), len(VIRIDIS_STOPS) - 2)
    f = (x - i)[:, None]
    table = VIRIDIS_STOPS[i] * (1 - f) + VIRIDIS_STOPS[i + 1] * f
    return t[np.argmin(((table - rgb) ** 2).sum(axis=1))]


# ---- cases ----

def case_default_layout_not_blank(r):
    image, _ = r.render("default_layout", ["--step", "softmax", "--query", "3", "--size", "1600x960"])
    check(image.shape == (960, 1600, 3), f"the PNG is {image.shape}, want 960x1600 RGB")
    require_not_blank(image, "the default layout", 500)


def case_all_panels_not_blank(r):
    panels = [a for p in PANELS for a in ("--panel", p)]
    image, layout = r.render("all_panels", panels + ["--step", "softmax", "--size", "1600x960"], layout=True)
    require_not_blank(image, "all panels tiled", 500)
    check(any(h["id"] == "attention" for h in layout["heatmaps"]), "the attention heatmap is not drawn")


def panel_case(panel):
    def case(r):
        image, _ = r.render("panel_" + panel, ["--panel", panel, "--step", "softmax", "--size", "1000x700"])
        require_not_blank(image, f"panel {panel}", 16)
    return case


def case_softmax_argmax_matches_engine(r):
    """Each row's most yellow cell is the engine's largest weight; every cell's colour is its weight."""
    head = 1
    weights = np.array(r.trace("argmax_trace", TRACE_OPTIONS)["layers"][0]["heads"][head]["attention"], dtype=float)
    n = weights.shape[0]
    image, layout = r.render("argmax", TRACE_OPTIONS + ["--panel", "attention", "--step", "softmax", "--head",
                                                       str(head), "--size", "1100x900"], layout=True)
    h = heatmap(layout, "attention", n, n)
    shown = np.array([[viridis_position(cell_colour(image, h, i, j)) for j in range(n)] for i in range(n)])
    for i in range(n):
        want, got = int(np.argmax(weights[i])), int(np.argmax(shown[i]))
        # Two weights closer than a colour step can swap; then the brighter cell must be a near-maximum.
        check(got == want or weights[i][got] >= weights[i][want] - 0.02,
              f"row {i}: brightest cell is column {got} (weight {weights[i][got]:.4f}), "
              f"the engine's maximum is column {want} (weight {weights[i][want]:.4f})")
    error = np.abs(shown - weights).max()
    check(error < 0.03, f"a cell's colour is off its weight by {error:.3f} (viridis position vs weight)")


def case_causal_mask_grey(r):
    """With a causal mask, the logits heatmap shows every future key in the masked grey, and only those."""
    n = len(SENTENCE.split())
    image, layout = r.render("masked", TRACE_OPTIONS + ["--mask", "causal", "--panel", "attention", "--step", "mask",
                                                       "--size", "1100x900"], layout=True)
    h = heatmap(layout, "attention", n, n)
    for i in range(n):
        for j in range(n):
            c = cell_colour(image, h, i, j)
            distance = np.abs(c - MASKED).max()
            if j > i:
                check(distance < 1.0, f"cell ({i},{j}) is masked but has colour {c.round()}, want {MASKED}")
            else:
                check(distance > 10.0, f"cell ({i},{j}) is not masked but is grey {c.round()}")


def row_label_crops(r, name, text):
    image, layout = r.render(name, ["--text", text, "--d-model", "16", "--heads", "2", "--panel", "attention",
                                    "--step", "softmax", "--size", "900x700"], layout=True)
    h = heatmap(layout, "attention", len(text), len(text))
    ch = (h["y1"] - h["y0"]) / h["rows"]
    x1 = int(h["x0"]) - 3  # labels are right-aligned 4 px left of the cells; 16 px hold most of one glyph
    check(x1 >= 16, f"no room for row labels left of the heatmap: {h}")
    return [image[int(h["y0"] + i * ch) + 2:int(h["y0"] + (i + 1) * ch) - 2, x1 - 16:x1] for i in range(h["rows"])]


def case_chinese_labels(r):
    """Six different CJK characters give six different row labels, none of them the '?' fallback."""
    chinese = row_label_crops(r, "chinese", "自注意力机制")
    fallback = row_label_crops(r, "question_marks", "??????")
    # Row 0 is the selected query, drawn in another colour; compare rows 1..5.
    for i in range(2, 6):
        check(np.array_equal(fallback[i], fallback[1]), "identical '?' labels render differently: crops misplaced")
    for i in range(1, 6):
        check(chinese[i].shape == fallback[i].shape, "the two renders have different layouts")
        check(np.abs(chinese[i] - chinese[i].reshape(-1, 3)[0]).max() > 60, f"row {i}'s label is empty")
        check(not np.array_equal(chinese[i], fallback[i]), f"row {i}'s label is drawn as '?': CJK font missing?")
        for k in range(1, i):
            check(not np.array_equal(chinese[i], chinese[k]), f"rows {k} and {i} show the same glyph")


def case_training_reverse_anti_diagonal(r):
    """After 300 training steps on reverse, the probe's heatmap is brightest on the anti-diagonal: answer row
    n+i (below '|') is most yellow at key n-1-i, for at least 7 of the 8 rows."""
    image, layout = r.render("training_reverse", ["--panel", "training", "--train-task", "reverse",
                                                  "--train-steps", "300", "--size", "1200x800"], layout=True)
    require_not_blank(image, "the training panel", 64)
    h = heatmap(layout, "layer 0 head 0", 16, 16)
    n = 8
    hits = 0
    for i in range(n):
        weights = [viridis_position(cell_colour(image, h, n + i, j)) for j in range(n + i + 1)]
        hits += int(np.argmax(weights)) == n - 1 - i
    check(hits >= 7, f"only {hits} of {n} answer rows are brightest on the anti-diagonal")


def plot_points_to_data(plot, points):
    """Inverts the plot's mapping (log axes map through log10): screen points -> (x, y) data."""
    def inverse(v, a, b, lo, hi, log, flip):
        f = (v - a) / (b - a)
        if flip:
            f = 1 - f
        return 10 ** (np.log10(lo) + f * (np.log10(hi) - np.log10(lo))) if log else lo + f * (hi - lo)
    xs = [inverse(p[0], plot["x0"], plot["x1"], *plot["x_range"], plot["x_scale"] != "linear", False) for p in points]
    ys = [inverse(p[1], plot["y0"], plot["y1"], *plot["y_range"], plot["y_scale"] != "linear", True) for p in points]
    return np.array(xs), np.array(ys)


def case_scaling_sweep_curves(r):
    """A finished sweep of dense, local and linformer over n = 512..4096: each measured point is drawn in its
    variant's colour at its n; the dashed cost-model curves have slopes 2 (dense) and about 1; the legend's
    fitted exponents are numpy's fits of the drawn points; no variant's memory grows faster than n. The measured
    exponents themselves are timings, which a shared machine makes noisy: `attnscope bench` reports them."""
    sizes = [512, 1024, 2048, 4096]
    image, layout = r.render("scaling_sweep", ["--panel", "scaling", "--scaling-sweep", "--scaling-variant", "dense",
                                               "--scaling-variant", "local", "--scaling-variant", "linformer",
                                               "--scaling-n", "512..4096", "--scaling-heads", "2",
                                               "--scaling-threads", "1",
                                               "--scaling-budget", "20", "--size", "1400x800"], layout=True)
    require_not_blank(image, "the scaling panel", 64)
    plots = {p["id"]: p for p in layout.get("plots", [])}
    check("scaling time" in plots and "scaling memory" in plots, f"plots drawn: {sorted(plots)}")
    time = plots["scaling time"]
    check(time["x_scale"] == "log2" and time["y_scale"] == "log10", "the time plot is not log-log")
    measured = {s["name"].split()[0]: s for s in time["series"] if not s["dashed"] and s["points"]}
    model = {s["name"]: s for s in time["series"] if s["dashed"] and s["points"]}
    check(sorted(measured) == ["dense", "linformer", "local"], f"measured series: {sorted(measured)}")
    slopes = {}
    for variant, s in measured.items():
        check(len(s["points"]) == len(sizes), f"{variant}: {len(s['points'])} points, want {len(sizes)}")
        n, t = plot_points_to_data(time, s["points"])
        check(np.allclose(n, sizes, rtol=0.01), f"{variant}: points drawn at n = {n}, want {sizes}")
        colour = np.array(s["rgba"][:3])
        hits = sum(np.abs(image[int(round(y)), int(round(x))] - colour).max() <= 40 for x, y in s["points"])
        check(hits >= len(sizes) - 1, f"{variant}: only {hits} of {len(sizes)} points show its colour {colour}")
        slopes[variant] = np.polyfit(np.log(n), np.log(t), 1)[0]
        shown = float(s["name"].split("n^")[1])
        check(abs(shown - slopes[variant]) <= 0.02,
              f"{variant}: legend says n^{shown}, the drawn points fit n^{slopes[variant]:.3f}")
        m = model.get(variant + " model")
        check(m is not None and len(m["points"]) == len(sizes), f"{variant}: no dashed model curve over n")
        model_slope = np.polyfit(*np.log(plot_points_to_data(time, m["points"])), 1)[0]
        want = 2.0 if variant == "dense" else 1.0
        check(abs(model_slope - want) <= 0.1, f"{variant}: the model's slope is {model_slope:.3f}, want {want}")
    for s in plots["scaling memory"]["series"]:
        n, mb = plot_points_to_data(plots["scaling memory"], s["points"])
        slope = np.polyfit(np.log(n), np.log(mb), 1)[0]
        check(0.5 <= slope <= 1.05, f"{s['name']}: peak memory grows as n^{slope:.2f}, want at most linear")


def bad_argument_case(args, expected):
    def case(r):
        p = r.run(["render", "--out", r.path("never.png")] + args)
        lines = [l for l in p.stderr.splitlines() if l.strip()]
        check(p.returncode == 2, f"render {' '.join(args)} exited {p.returncode}, want 2 ({p.stderr.strip()})")
        check(len(lines) == 1, f"want one line on stderr, got {len(lines)}: {p.stderr!r}")
        check(expected in lines[0], f"want '{expected}' in the message, got {lines[0]!r}")
    case.needs_display = False
    return case


def case_model_grid_matches_engine(r):
    """A synthetic 12-layer x 12-head GPT-2: the Model panel draws all 144 thumbnails, each n x n, and
    sampled thumbnails show the engine's attention weights (viridis position = weight)."""
    folder = r.path("gpt2_12x12")
    p = r.run(["model", "synth", "--out", folder, "--layers", "12", "--heads", "12", "--embd", "24", "--ctx", "64",
               "--vocab", "512", "--seed", "3"])
    check(p.returncode == 0, f"model synth exited {p.returncode}: {p.stderr.strip()}")
    options = ["--model", folder, "--text", "the cat sat on the mat"]
    trace = r.trace("model_trace", options)
    n = len(trace["tokens"])
    image, layout = r.render("model_grid", options + ["--panel", "model", "--size", "1600x960"], layout=True)
    for l in range(12):
        for h in range(12):
            heatmap(layout, f"L{l}H{h}", n, n)
    for l, h in [(0, 0), (5, 7), (11, 11)]:
        weights = np.array(trace["layers"][l]["heads"][h]["attention"], dtype=float)
        box = heatmap(layout, f"L{l}H{h}", n, n)
        shown = np.array([[viridis_position(cell_colour(image, box, i, j)) for j in range(n)] for i in range(n)])
        error = np.abs(shown - weights).max()
        check(error < 0.05, f"layer {l} head {h}: a cell's colour is off its weight by {error:.3f}")


def case_model_mode_is_honest(r):
    """With a GPT-2 model open, the Stepper lists the block's real operations with their formulas
    (ln_1, c_attn with its bias, the causal mask, c_proj, residual, MLP) and the Input panel shows the
    synthetic engine's controls disabled with the reason; the built-in engine's Stepper lists neither."""
    folder = r.path("gpt2_small_for_stepper")
    p = r.run(["model", "synth", "--out", folder, "--layers", "2", "--heads", "2", "--embd", "16", "--ctx", "32",
               "--vocab", "512", "--seed", "1"])
    check(p.returncode == 0, f"model synth exited {p.returncode}: {p.stderr.strip()}")
    panels = ["--panel", "stepper", "--panel", "input", "--size", "1400x900"]
    image, layout = r.render("model_mode", ["--model", folder, "--text", "the cat sat"] + panels, layout=True)
    require_not_blank(image, "model mode", 20)
    steps = [t["text"] for t in layout["texts"] if t["panel"] == "stepper"]
    check(len(steps) == 14, f"want the 14 steps of a GPT-2 block, got {len(steps)}: {steps}")
    for want in ["Layer norm (ln_1): a = ln_1(x)", "Project Q, K, V (c_attn): [Q | K | V] = ln_1(x) W_attn + b_attn",
                 "Causal mask: L[i, j] = -inf for j > i", "Output projection (c_proj): attn_out = concat W_proj + b_proj",
                 "Residual: x = x + attn_out", "MLP: x = x + gelu(ln_2(x) W_fc + b_fc) W_proj + b_proj"]:
        check(any(want in s for s in steps), f"the Stepper does not list '{want}': {steps}")
    reasons = [t["text"] for t in layout["texts"] if t["panel"] == "input"]
    check(len(reasons) == 1 and "fixes these" in reasons[0] and "2 layers, 2 heads, d_model 16" in reasons[0],
          f"the Input panel does not say why its controls are disabled: {reasons}")
    _, engine = r.render("engine_mode", panels, layout=True)
    engine_steps = [t["text"] for t in engine["texts"] if t["panel"] == "stepper"]
    check(len(engine_steps) == 12 and not any("ln_1" in s or "MLP" in s for s in engine_steps),
          f"the built-in engine's Stepper should list its 12 steps only: {engine_steps}")
    check(not any(t["panel"] == "input" for t in engine["texts"]), "the built-in engine's controls are not disabled")


def case_variant_is_honest(r):
    """With Linformer active, every panel says a variant is active, and the Softmax panel calls its
    bars effective weights (with the formula) and gives no entropy, since the row is not a distribution;
    exact attention says neither."""
    args = ["--panel", "softmax", "--panel", "attention", "--step", "softmax", "--query", "3", "--size", "1400x800"]
    image, layout = r.render("linformer_softmax", args + ["--variant", "linformer", "--k", "3"], layout=True)
    require_not_blank(image, "linformer softmax", 20)
    banners = [t["text"] for t in layout["texts"] if t["panel"] == "variant"]
    check(len(banners) == 2 and all("Variant active: linformer" in b for b in banners),
          f"want a variant banner in both panels, got {banners}")
    notes = [t["text"] for t in layout["texts"] if t["panel"] == "softmax"]
    check(any("effective weights, not a softmax" in n and "softmax(Q (E K)^T / sqrt(d)) F" in n for n in notes),
          f"the Softmax panel does not say its bars are effective weights: {notes}")
    check(any("not a probability distribution, so no entropy" in n for n in notes),
          f"the Softmax panel does not refuse an entropy for a row that is not a distribution: {notes}")
    _, exact = r.render("exact_softmax", args, layout=True)
    check(not any(t["panel"] in ("variant", "softmax") for t in exact["texts"]),
          f"exact attention should carry no variant notes: {exact['texts']}")


def case_controls_stay_inside_their_windows(r):
    """In narrow windows (the Export panel at 640 px, the Compare workspace at 1280 x 720 with a variant
    active), every noted button lies inside its window: rows wrap instead of running off the edge."""
    for name, args in [("narrow_export", ["--panel", "export", "--size", "640x480"]),
                       ("compare_720p", ["--workspace", "compare", "--size", "1280x720", "--variant", "linformer"])]:
        _, layout = r.render(name, args, layout=True)
        windows, targets = layout["windows"], layout["targets"]
        check(targets, f"{name}: no buttons noted")
        for t in targets:
            if t["y1"] <= layout["menu_bar_height"] + 1:  # the menu bar: inside the screen from 1280 px up
                check(layout["width"] < 1280 or t["x1"] <= layout["width"], f"{name}: menu item '{t['label']}' is "
                      f"cut off at {t['x1']:.0f} > {layout['width']}")
                continue
            home = [w for w in windows if w["x0"] - 1 <= t["x0"] < w["x1"] and w["y0"] - 1 <= t["y0"] < w["y1"]]
            check(home, f"{name}: '{t['label']}' at {t['x0']:.0f},{t['y0']:.0f} is in no window")
            w = min(home, key=lambda w: (w["x1"] - w["x0"]) * (w["y1"] - w["y0"]))
            check(t["x1"] <= w["x1"] + 1, f"{name}: '{t['label']}' ends at x {t['x1']:.0f}, past its window "
                                          f"'{w['id']}' (right edge {w['x1']:.0f})")
        print(f"{name}: {len(targets)} buttons inside their windows")


def case_partial_redraw_matches_full(r):
    """Frames drawn in part (only what changed, on a software rasterizer: gui/damage.hpp) come out pixel
    for pixel the same as frames drawn whole (ATTNSCOPE_FULL_REDRAW=1): after typing into the Input
    panel frame by frame with a model open, on a lesson step, in Compare, in the light theme. Under
    Xvfb's llvmpipe the partial path must be the one taken, and typing must redraw a sliver of the screen."""
    model = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "assets", "models", "default")
    scenes = {
        "typing": ["--workspace", "inspect", "--model", model, "--text", "the cat sat on the mat", "--retype",
                   "--frames", "40", "--report"],
        "lesson": ["--lesson", "03-softmax-temperature.json", "--lesson-step", "3", "--frames", "8"],
        "compare": ["--workspace", "compare", "--variant", "local", "--frames", "8"],
        "light": ["--theme", "light", "--step", "softmax", "--query", "3", "--frames", "8"],
    }
    for name, args in scenes.items():
        part, _ = r.render("partial_" + name, args)
        report = r.stdout
        whole, _ = r.render("whole_" + name, args, env={"ATTNSCOPE_FULL_REDRAW": "1"})
        differ = np.any(part != whole, axis=2)
        if differ.any():
            ys, xs = np.nonzero(differ)
            raise Failure(f"{name}: {differ.sum()} pixels differ from a whole redraw, within x {xs.min()}..{xs.max()}, "
                          f"y {ys.min()}..{ys.max()}")
        if name == "typing":
            line = next((l for l in report.splitlines() if l.startswith("drawing ")), "")
            if "llvmpipe" in line:
                check("in part" in line, f"llvmpipe draws every frame whole: {line!r}")
                share = float(line.split("median")[1].split("%")[0])
                check(share < 10, f"typing redraws a median {share}% of the pixels per frame, want a sliver: {line!r}")
            print(f"typing: {line}")
    print(f"{len(scenes)} scenes drawn in part equal the same drawn whole")


CASES = {
    "default-layout-not-blank": case_default_layout_not_blank,
    "all-panels-not-blank": case_all_panels_not_blank,
    **{f"panel-{p}-renders": panel_case(p) for p in PANELS},
    "softmax-argmax-matches-engine": case_softmax_argmax_matches_engine,
    "causal-mask-is-grey": case_causal_mask_grey,
    "chinese-labels-render": case_chinese_labels,
    "training-reverse-anti-diagonal": case_training_reverse_anti_diagonal,
    "scaling-sweep-curves": case_scaling_sweep_curves,
    "model-grid-matches-engine": case_model_grid_matches_engine,
    "model-mode-is-honest": case_model_mode_is_honest,
    "variant-is-honest": case_variant_is_honest,
    "controls-stay-inside-their-windows": case_controls_stay_inside_their_windows,
    "partial-redraw-matches-full": case_partial_redraw_matches_full,
    "bad-scaling-n-exits-2": bad_argument_case(["--scaling-sweep", "--scaling-n", "300..1000"], "powers of two"),
    "bad-scaling-variant-exits-2": bad_argument_case(["--scaling-sweep", "--scaling-variant", "topk"],
                                                     "no fast kernel for topk"),
    "bad-panel-exits-2": bad_argument_case(["--panel", "nope"], "unknown panel 'nope'"),
    "bad-size-exits-2": bad_argument_case(["--size", "10x10"], "out of range"),
    "unreadable-size-exits-2": bad_argument_case(["--size", "big"], "WIDTHxHEIGHT"),
}


def run_case(runner, name):
    case = CASES[name]
    if getattr(case, "needs_display", True) and not os.environ.get("DISPLAY"):
        print(f"SKIP {name}: no DISPLAY (run under xvfb-run)")
        return SKIP
    try:
        case(runner)
    except Failure as e:
        print(f"FAIL {name}: {e}")
        return 1
    print(f"ok   {name}")
    return 0


def main():
    if sys.argv[1:] == ["--list"]:
        print(";".join(CASES), end="")
        return 0
    if len(sys.argv) not in (3, 4) or (len(sys.argv) == 4 and sys.argv[3] not in CASES):
        print(__doc__ + "\ncases: " + ", ".join(CASES), file=sys.stderr)
        return 2
    runner = Runner(sys.argv[1], sys.argv[2])
    if len(sys.argv) == 4:
        return run_case(runner, sys.argv[3])
    results = [run_case(runner, name) for name in CASES]
    return 1 if 1 in results else 0


if __name__ == "__main__":
    sys.exit(main())
