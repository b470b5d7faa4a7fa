#!/usr/bin/env bash
# Installs the Debian packages Eventscope needs, only those that are missing.
# Usage: scripts/deps.sh [build|run|test]
set -euo pipefail

want=(cmake ninja-build g++ pkg-config qt6-base-dev qt6-base-dev-tools libqt6sql6-sqlite libqt6sql6-psql
      qt6-declarative-dev libsqlite3-dev libgl-dev libpq-dev ccache)
case "${1:-build}" in
    run) want+=(xauth) ;;
    test) want+=(xvfb xauth nodejs sqlite3 postgresql) ;;
esac

missing=()
for p in "${want[@]}"; do
    # nodejs may come from another repository under the same name, or be on PATH already.
    if [[ $p == nodejs ]] && command -v node >/dev/null 2>&1; then continue; fi
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done

if ((${#missing[@]})); then
    echo "eventscope: installing missing packages: ${missing[*]}" >&2
    SUDO=""
    if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi
