#!/usr/bin/env bash
# Sets up, builds and opens the attnscope GUI on its built-in default sentence.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
exec build/app/attnscope "$@"
