#!/usr/bin/env bash
# Builds Eventscope and runs the whole test suite (headless). The PostgreSQL
# half of the conformance suite runs against a throwaway server started here
# (scripts/pg.sh) and stopped at the end; when it cannot start, those tests
# fail with the reason (ES_TEST_PG_ERROR), they never skip.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh test
scripts/build.sh
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
ctest --preset dev -j2 "$@"
