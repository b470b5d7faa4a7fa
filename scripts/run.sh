#!/usr/bin/env bash
# Builds and launches the Eventscope workbench on the demo store: a SQLite store
# with the bank sample domain, generated on first launch with
# `eventscope-cli generate` (the real pipeline, a seeded workload).
# Extra arguments go to the app instead, e.g. scripts/run.sh path/to/store.db
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh run
scripts/build.sh
if [[ -z "${DISPLAY:-}" && -z "${WAYLAND_DISPLAY:-}" && "${QT_QPA_PLATFORM:-}" != offscreen ]]; then
    echo "eventscope: no display found (DISPLAY is unset); run it under X, or: xvfb-run -a scripts/run.sh" >&2
    exit 2
fi
if (($#)); then
    exec build/dev/app/eventscope "$@"
fi
demo=build/demo/bank.db
if [[ ! -f $demo ]]; then
    mkdir -p build/demo
    build/dev/app/eventscope-cli generate "$demo" --domain resources/domains/bank.js --commands 400 --seed 1
fi
exec build/dev/app/eventscope --domain resources/domains/bank.js "$demo"
