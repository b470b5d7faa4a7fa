#!/usr/bin/env bash
# Builds and launches the Eventscope workbench on the demo store
# (a SQLite store with the bank sample domain, made on first launch).
# Extra arguments go to the app, e.g. scripts/run.sh path/to/store.db
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh run
scripts/build.sh
if [[ -z "${DISPLAY:-}" && -z "${WAYLAND_DISPLAY:-}" && -z "${QT_QPA_PLATFORM:-}" ]]; then
    echo "eventscope: no display found (DISPLAY is unset); run it under X, or: xvfb-run -a scripts/run.sh" >&2
    exit 2
fi
if (($#)); then
    exec build/dev/app/eventscope "$@"
fi
exec build/dev/app/eventscope --demo
