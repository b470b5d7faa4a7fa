#!/usr/bin/env bash
# Builds Eventscope and runs the whole test suite (headless) on the `dev`
# build; with ES_TEST_PRESETS="dev dev-asan" a second time on the `dev-asan`
# build (AddressSanitizer + UBSan, where the first report or leak fails the
# test; tests/CMakeLists.txt sets the sanitizer options). The sanitised half is
# not yet the default: it has not been run on the whole merged suite. The
# PostgreSQL half of the conformance suite runs, in each build, against one
# throwaway server started here (scripts/pg.sh) and
# stopped at the end; when it cannot start, those tests fail with the reason
# (ES_TEST_PG_ERROR), they never skip. Every half asked for runs; the script
# fails if any of them does.
#
#   scripts/test.sh [CTEST ARGS...]        e.g. scripts/test.sh -R timeline
#   ES_TEST_PRESETS="dev dev-asan" scripts/test.sh    both halves
#   ES_TEST_PRESETS=dev-asan scripts/test.sh    only the sanitised half
set -euo pipefail
cd "$(dirname "$0")/.."
presets=${ES_TEST_PRESETS:-dev}
for p in $presets; do
    [[ $p == dev || $p == dev-asan ]] || { echo "eventscope: ES_TEST_PRESETS: unknown preset $p" >&2; exit 2; }
done
scripts/deps.sh test
export QT_QPA_PLATFORM=offscreen
pgdir=$(mktemp -d "${TMPDIR:-/tmp}/eventscope-pg.XXXXXX")
trap 'scripts/pg.sh stop "$pgdir"' EXIT
if url=$(scripts/pg.sh start "$pgdir" 2>"$pgdir.err"); then
    export ES_TEST_PG_URL=$url
    echo "eventscope: throwaway PostgreSQL server at $url" >&2
else
    export ES_TEST_PG_ERROR="the throwaway PostgreSQL server did not start: $(tr '\n' ' ' <"$pgdir.err")"
    echo "eventscope: $ES_TEST_PG_ERROR" >&2
fi
rm -f "$pgdir.err"

failed=()
for p in $presets; do
    start=$SECONDS
    echo "eventscope: build and test the $p preset" >&2
    if [[ $p == dev ]]; then
        scripts/build.sh
    else
        cmake --preset "$p" >/dev/null
        cmake --build --preset "$p" -j"$(nproc)"
    fi
    built=$SECONDS
    ctest --preset "$p" -j2 "$@" || failed+=("$p")
    echo "eventscope: $p: build $((built - start)) s, tests $((SECONDS - built)) s" >&2
done
if ((${#failed[@]})); then
    echo "eventscope: tests failed in: ${failed[*]}" >&2
    exit 1
fi
