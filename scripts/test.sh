#!/usr/bin/env bash
# Builds Eventscope and runs the whole test suite (headless).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh test
scripts/build.sh
export QT_QPA_PLATFORM=offscreen
ctest --preset dev -j2 "$@"
