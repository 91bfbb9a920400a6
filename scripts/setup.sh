#!/usr/bin/env bash
# Installs every Debian package attnscope needs to build, run and test.
# Idempotent: installs only what is missing, and prints nothing when all is there.
set -euo pipefail

packages=(
  build-essential cmake pkg-config ninja-build
  libeigen3-dev catch2 nlohmann-json3-dev libcli11-dev libstb-dev
  libimgui-dev libglfw3-dev libepoxy-dev libgl-dev
  xvfb xauth mesa-utils libgl1-mesa-dri
  fonts-dejavu-core fonts-wqy-microhei
  python3 python3-numpy python3-pil libopenblas0-pthread
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "attnscope setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
