#!/usr/bin/env bash
# Run the test suite on SQLite, then again on a throwaway PostgreSQL cluster when the server
# binaries are on this machine (see scripts/pg_cluster.sh), then the browser tests
# (tests/browser/, Playwright driving Chromium) when Chromium, Java and the Node packages are
# there. Exits non-zero if any run fails.
#
#   scripts/run_tests.sh [PYTEST ARGS...]      e.g. scripts/run_tests.sh -k feeds -x
#   make test ARGS="-k feeds"
#
# Environment:
#   TEST_PYTHON       interpreter to run pytest with (default: .venv/bin/python, else python3)
#   TEST_BACKENDS     which runs to do, default "sqlite postgres browser"
#   REQUIRE_POSTGRES  if 1, missing PostgreSQL binaries are an error instead of a skip (CI)
#   REQUIRE_BROWSER   if 1, a missing Chromium (or Java, or node_modules) is an error (CI)
#   CHROMIUM          the browser to drive, default /usr/bin/chromium
# Any DATABASE_URL in the environment is ignored: the SQLite run unsets it and the PostgreSQL
# run points it at the throwaway cluster.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
cd "$ROOT"

if [[ -n ${TEST_PYTHON:-} ]]; then
    PY=$TEST_PYTHON
elif [[ -x $ROOT/.venv/bin/python ]]; then
    PY=$ROOT/.venv/bin/python
else
    PY=$(command -v python3) || { echo "run_tests.sh: python3 not found" >&2; exit 1; }
fi
BACKENDS=${TEST_BACKENDS:-sqlite postgres browser}

declare -a SUMMARY=()
FAILED=0

header() { printf '\n=== %s ===\n' "$*"; }

# record NAME RC: remember the outcome of one pytest run.
record() {
    local name=$1 rc=$2
    case $rc in
        0) SUMMARY+=("$name: passed") ;;
        5) SUMMARY+=("$name: FAILED (pytest collected no tests, exit 5)"); FAILED=1 ;;
        *) SUMMARY+=("$name: FAILED (pytest exit $rc)"); FAILED=1 ;;
    esac
}

for backend in $BACKENDS; do
    case $backend in
        sqlite)
            header "pytest on SQLite ($("$PY" --version 2>&1))"
            rc=0
            env -u DATABASE_URL "$PY" -m pytest "$@" || rc=$?
            record SQLite "$rc"
            ;;
        postgres|postgresql)
            if ! bindir=$(bash "$HERE/pg_cluster.sh" bindir 2>/dev/null); then
                if [[ ${REQUIRE_POSTGRES:-0} == 1 ]]; then
                    header "PostgreSQL"
                    echo "PostgreSQL binaries not found, and REQUIRE_POSTGRES=1: failing"
                    SUMMARY+=("PostgreSQL: FAILED (server binaries not found)")
                    FAILED=1
                else
                    echo
                    echo "PostgreSQL binaries not found: skipping the PostgreSQL run"
                    SUMMARY+=("PostgreSQL: skipped (server binaries not found)")
                fi
                continue
            fi
            header "pytest on PostgreSQL ($("$bindir/postgres" --version))"
            rc=0
            bash "$HERE/pg_cluster.sh" run -- "$PY" -m pytest "$@" || rc=$?
            record PostgreSQL "$rc"
            ;;
        browser)
            # The same check the browser tests' conftest makes, said before pytest starts.
            missing=$("$PY" -c 'from tests.browser.support import chromium_missing_reason as r; print(r())')
            if [[ -n $missing ]]; then
                if [[ ${REQUIRE_BROWSER:-0} == 1 ]]; then
                    header "Browser tests"
                    echo "Cannot run the browser tests, and REQUIRE_BROWSER=1: failing ($missing)"
                    SUMMARY+=("Browser (Chromium): FAILED ($missing)")
                    FAILED=1
                else
                    echo
                    echo "SKIPPING the browser tests: $missing"
                    SUMMARY+=("Browser (Chromium): skipped ($missing)")
                fi
                continue
            fi
            header "pytest -m browser tests/browser on SQLite ($("${CHROMIUM:-/usr/bin/chromium}" --version 2>/dev/null))"
            # With no arguments, only tests/browser is collected; with some (-k, a path), pytest
            # picks among all the tests and -m browser keeps the browser ones.
            rc=0
            if [[ $# -eq 0 ]]; then
                env -u DATABASE_URL "$PY" -m pytest -m browser tests/browser || rc=$?
            else
                env -u DATABASE_URL "$PY" -m pytest -m browser "$@" || rc=$?
            fi
            if [[ $rc -eq 5 && $# -gt 0 ]]; then
                SUMMARY+=("Browser (Chromium): no browser test matches the arguments")
            else
                record "Browser (Chromium)" "$rc"
            fi
            ;;
        *)
            echo "run_tests.sh: unknown backend '$backend' in TEST_BACKENDS" >&2
            exit 2
            ;;
    esac
done

header "test runs"
printf '  %s\n' "${SUMMARY[@]}"
exit "$FAILED"
