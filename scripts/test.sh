#!/usr/bin/env bash
# Install everything the tests need and run the whole suite, against SQLite and
# a real throwaway PostgreSQL server started here on loopback.
#
#   ./scripts/test.sh                      # everything (what CI runs)
#   ./scripts/test.sh tests/test_environment.py -k postgres   # extra pytest args
#
# Steps: system packages (apt, only when missing) -> .venv with .[dev] ->
# ruff (check and format), mypy, lint-imports -> PostgreSQL 15 cluster in a temp dir -> pytest -n 2 ->
# pytest -n 2 again with the clock moved 400 days ahead (faketime), when the first run passed ->
# each fuzz harness for 60 s (full runs only).
# Exit code: pytest's (5 = no tests collected counts as failure; the faketime run's
# when only that one failed), or 1 when pytest passed but a lint step failed.
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$SOGOC_ROOT"

# Debian packages the suite uses. Add new ones here.
APT_PACKAGES=(
  postgresql          # real PostgreSQL server for the postgres tests
  poppler-utils       # pdfsig, pdftotext, pdftoppm, pdfdetach
  zbar-tools          # zbarimg: read the QR codes back from rendered PDFs
  softhsm2            # PKCS#11 token for HSM signing tests
  chromium            # headless browser tests (/usr/bin/chromium)
  chromium-driver     # /usr/bin/chromedriver
  fonts-dejavu-core   # a system font for Chromium / poppler rendering
  redis-server        # the rate limits' Redis store (tests/hostile/test_rate_limits.py)
  faketime            # the suite runs again with the clock moved 400 days ahead
  wrk                 # benchmarks/verify.py: a compiled load generator (not used by the tests)
  sqlite3             # docs/deploy.md's SQLite backup, run by tests/platform/test_deploy_guide.py
)

# ---------------------------------------------------------------------------
section "System packages"
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  if [ "$(dpkg-query -W -f='${db:Status-Abbrev}' "$pkg" 2>/dev/null | tr -d ' ')" != "ii" ]; then
    missing+=("$pkg")
  fi
done
if [ "${#missing[@]}" -eq 0 ]; then
  note "all ${#APT_PACKAGES[@]} packages already installed"
else
  note "missing: ${missing[*]}"
  apt_opts=(-y -q -o DPkg::Lock::Timeout=600)
  as_root env DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" update
  as_root env DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" install \
    --no-install-recommends "${missing[@]}"
fi

# ---------------------------------------------------------------------------
section "Python environment (.venv, -e .[dev])"
ensure_venv dev
VBIN="$SOGOC_VENV/bin"

# ---------------------------------------------------------------------------
lint_failed=()
run_lint() {
  local name="$1"
  shift
  section "$name"
  if "$@"; then
    note "$name: ok"
  else
    note "$name: FAILED"
    lint_failed+=("$name")
  fi
}
run_lint "ruff check" "$VBIN/ruff" check .
run_lint "ruff format" "$VBIN/ruff" format --check .
run_lint "mypy" "$VBIN/mypy"
run_lint "lint-imports" "$VBIN/lint-imports"

# ---------------------------------------------------------------------------
section "PostgreSQL (throwaway cluster on 127.0.0.1)"
PG_BIN=""
for d in /usr/lib/postgresql/15/bin $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -rV); do
  if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
    PG_BIN="$d"
    break
  fi
done
[ -n "$PG_BIN" ] || die "initdb/pg_ctl not found under /usr/lib/postgresql/*/bin"

# root cannot run postgres: run the cluster as the `postgres` OS user then.
if [ "$(id -u)" -eq 0 ]; then
  id postgres >/dev/null 2>&1 || die "OS user 'postgres' missing (package postgresql not installed?)"
  pg() { (cd / && runuser -u postgres -- "$@"); }
  PG_TMP="$(mktemp -d /tmp/sogoc-pg.XXXXXX)"
  chown postgres: "$PG_TMP"
else
  pg() { "$@"; }
  PG_TMP="$(mktemp -d "${TMPDIR:-/tmp}/sogoc-pg.XXXXXX")"
fi
PG_DATA="$PG_TMP/data"
PG_LOG="$PG_TMP/server.log"

pg_cleanup() {
  if [ -f "$PG_DATA/postmaster.pid" ]; then
    pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$PG_TMP"
}
trap pg_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

pg "$PG_BIN/initdb" -D "$PG_DATA" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >"$PG_TMP/initdb.log" 2>&1 \
  || { cat "$PG_TMP/initdb.log"; die "initdb failed"; }

free_port() {
  "$VBIN/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

PG_PORT=""
for _attempt in 1 2 3; do
  port="$(free_port)"
  # Test-only settings: durability off for speed; sockets kept in the temp dir.
  if pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t 60 start -o \
    "-h 127.0.0.1 -p $port -k $PG_TMP -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
    >/dev/null; then
    PG_PORT="$port"
    break
  fi
  note "start on port $port failed, retrying"
done
if [ -z "$PG_PORT" ]; then
  cat "$PG_LOG" >&2 || true
  die "could not start PostgreSQL"
fi
pg "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres sogoc_test
note "$("$PG_BIN/postgres" --version) on 127.0.0.1:$PG_PORT, data in $PG_DATA"

export SOGOC_TEST_POSTGRES_URL="postgresql+psycopg://postgres@127.0.0.1:$PG_PORT/sogoc_test"
export SOGOC_ENV=test
export SOGOC_TEST_CHROMIUM=/usr/bin/chromium
note "SOGOC_TEST_POSTGRES_URL=$SOGOC_TEST_POSTGRES_URL"
note "SOGOC_ENV=$SOGOC_ENV SOGOC_TEST_CHROMIUM=$SOGOC_TEST_CHROMIUM"

# ---------------------------------------------------------------------------
# Each pytest run's output is kept in a log too, so that the summary can repeat the failing tests.
LOG_DIR="$(mktemp -d "${TMPDIR:-/tmp}/sogoc-test-logs.XXXXXX")"
# SOGOC_TEST_CLOCKS=faketime skips the first run (to chase a failure of the moved-clock run alone).
SOGOC_TEST_CLOCKS="${SOGOC_TEST_CLOCKS:-real faketime}"
rc=0
if [[ " $SOGOC_TEST_CLOCKS " == *" real "* ]]; then
  section "pytest -n 2 $*"
  set +e
  "$VBIN/pytest" -n 2 "$@" 2>&1 | tee "$LOG_DIR/pytest.log"
  rc="${PIPESTATUS[0]}"
  set -e
fi

# Time is injected: the suite must pass whatever today's date is. Run it again with the wall clock
# moved 400 days ahead (libfaketime, inherited by every subprocess; the monotonic clock stays real so
# timeouts behave; PostgreSQL and Redis keep the real time, so a server-side now() would show up).
# scripts/faketime/sitecustomize.py (on PYTHONPATH) fixes time.sleep under libfaketime 0.9.10, which
# fails with EINVAL on Python >= 3.11 when the monotonic clock is not faked.
fake_rc=0
if [[ " $SOGOC_TEST_CLOCKS " != *" faketime "* ]]; then
  note "the run with the clock moved 400 days ahead is skipped: SOGOC_TEST_CLOCKS=$SOGOC_TEST_CLOCKS"
elif [ "$rc" -eq 0 ]; then
  section "pytest -n 2 $* with the clock moved 400 days ahead (faketime)"
  # The dev PKI (9771) and the dev CSC server (9772) are shared by every process on the machine and
  # sign CRLs, OCSP answers and timestamps with their own clock: wait until the first run's servers
  # have stopped, so that this run starts its own on the moved clock.
  port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
  for _ in $(seq 60); do
    if port_free 9771 && port_free 9772; then break; fi
    sleep 1
  done
  port_free 9771 || note "the dev PKI on 127.0.0.1:9771 is still served by another process: expect CRL/OCSP time errors"
  set +e
  PYTHONPATH="$SOGOC_ROOT/scripts/faketime${PYTHONPATH:+:$PYTHONPATH}" FAKETIME_DONT_FAKE_MONOTONIC=1 \
    faketime -f '+400d' "$VBIN/pytest" -n 2 -q -p no:cacheprovider "$@" 2>&1 | tee "$LOG_DIR/pytest-faketime.log"
  fake_rc="${PIPESTATUS[0]}"
  set -e
else
  note "the run with the clock moved 400 days ahead is skipped: pytest failed"
fi

# The fuzz harnesses, 60 seconds each (a full run only: not when pytest arguments pick some tests).
if [ "$#" -eq 0 ]; then
  run_lint "fuzz smoke (60 s per harness)" env FUZZ_NICE=0 FUZZ_QUIET=1 "$SOGOC_ROOT/scripts/fuzz.sh" all --seconds 60
fi

section "Summary"
# The failing tests again, last, where a reader of the end of the output sees them.
for log in "$LOG_DIR/pytest.log" "$LOG_DIR/pytest-faketime.log"; do
  if [ -f "$log" ] && grep -qE '^(FAILED|ERROR) ' "$log"; then
    note "from $(basename "$log"):"
    grep -E '^(FAILED|ERROR) ' "$log" | cut -c1-400 | sed 's/^/      /'
  fi
done
if [ "$rc" -eq 5 ]; then
  note "pytest collected no tests (exit 5): that is a failure here"
elif [ "$rc" -ne 0 ]; then
  note "pytest failed (exit $rc)"
else
  note "pytest passed"
  if [ "$fake_rc" -eq 5 ]; then
    note "pytest under faketime +400 days collected no tests (exit 5): that is a failure here"
  elif [ "$fake_rc" -ne 0 ]; then
    note "pytest under faketime +400 days failed (exit $fake_rc)"
  elif [[ " $SOGOC_TEST_CLOCKS " != *" faketime "* ]]; then
    note "pytest under faketime +400 days skipped (SOGOC_TEST_CLOCKS=$SOGOC_TEST_CLOCKS)"
  else
    note "pytest under faketime +400 days passed"
  fi
  rc="$fake_rc"
fi
if [ "${#lint_failed[@]}" -gt 0 ]; then
  note "lint failures: ${lint_failed[*]}"
  [ "$rc" -eq 0 ] && rc=1
fi
exit "$rc"
