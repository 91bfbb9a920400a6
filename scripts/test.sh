#!/usr/bin/env bash
# Sets up, builds and runs the whole test suite with ctest. GL tests need a display:
# without one, the suite runs under a virtual X server (Xvfb, Mesa llvmpipe).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh "$@"
cd build
if [ -n "${DISPLAY:-}" ]; then
  ctest --output-on-failure -j2
else
  xvfb-run -a -s "-screen 0 1920x1080x24" ctest --output-on-failure -j2
fi
