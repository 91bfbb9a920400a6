"""attnscope trace --backend: the config says which backend ran, a machine without OpenGL 4.3
falls back to the CPU with a warning on stderr, and a bad value exits 2 naming the choices.

usage: backend_cli_test.py ATTNSCOPE WORKDIR CASE   (CASE: gpu, fallback, bad-value)"""
import json
import os
import subprocess
import sys


def trace(exe, out, env, *args):
    cmd = [exe, "trace", "--text", "the cat sat on the mat", "--d-model", "16", "--heads", "2", "--out", out, *args]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)


def main():
    exe, workdir, case = sys.argv[1:4]
    os.makedirs(workdir, exist_ok=True)
    out = os.path.join(workdir, case + ".json")
    env = dict(os.environ)
    if case == "gpu":  # EGL surfaceless needs no display; CI also has xvfb-run's
        r = trace(exe, out, env, "--backend", "gpu")
        assert r.returncode == 0, r.stderr
        assert "warning" not in r.stderr, "this machine has Mesa EGL or a display, so the GPU must run: " + r.stderr
        assert json.load(open(out))["config"]["backend"] == "gpu"
    elif case == "fallback":  # no EGL vendor library and no display: no OpenGL at all
        env.pop("DISPLAY", None)
        env.pop("WAYLAND_DISPLAY", None)
        env["__EGL_VENDOR_LIBRARY_FILENAMES"] = os.path.join(workdir, "no-such-vendor.json")
        r = trace(exe, out, env, "--backend", "gpu")
        assert r.returncode == 0, r.stderr
        assert "warning: no OpenGL 4.3 context" in r.stderr and "ran on the CPU" in r.stderr, r.stderr
        cfg = json.load(open(out))["config"]
        assert cfg["backend"] == "cpu", cfg["backend"]
    elif case == "bad-value":
        r = trace(exe, out, env, "--backend", "tpu")
        assert r.returncode == 2, r.returncode
        assert "cpu, gpu" in r.stderr, r.stderr
    else:
        sys.exit("unknown case " + case)
    print("ok", case)


if __name__ == "__main__":
    main()
