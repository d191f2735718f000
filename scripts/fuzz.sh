#!/usr/bin/env bash
# Fuzz one parser with atheris (libFuzzer). Harnesses and corpora: fuzz/README.md.
#
#   ./scripts/fuzz.sh HARNESS HOURS            # a long run, e.g. ./scripts/fuzz.sh pdf 8 (or 0.5)
#   ./scripts/fuzz.sh HARNESS --seconds 60     # the CI smoke run
#   ./scripts/fuzz.sh all --seconds 60         # every harness in turn
#   ./scripts/fuzz.sh note 2 -- -only_ascii=1  # extra libFuzzer flags after "--"
#
# HARNESS: pdf qr import note register (or all).
# Seeds are read from fuzz/corpus/HARNESS/ (committed; never written to) and, for pdf, from the
# third-party corpus ../shared/corpora/pdf-signatures/ when it is there. New inputs that a long run
# finds go to fuzz/work/HARNESS/ (git-ignored) so the next long run starts from them; a smoke run
# uses a throwaway folder. Crashing, slow (> 10 s per input) and memory-hungry inputs are written
# to fuzz/crashes/HARNESS/ (git-ignored), with the run's log. A smoke run stops at the first finding;
# a long run starts again after each one, skipping inputs that fail the same way. Minimise a finding
# and commit it under fuzz/regressions/HARNESS/ (tests/fuzz/test_fuzz_regressions.py replays it): see
# "A finding" in fuzz/README.md.
#
# Runs at the lowest CPU priority (FUZZ_NICE=19) unless FUZZ_NICE says otherwise. FUZZ_QUIET=1 keeps
# libFuzzer's output in the log only and prints its last lines when there is a finding (CI does this).
# Exit code: 0 when no finding, non-zero when there was one (or on a usage error).
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$SOGOC_ROOT"

HARNESSES=(pdf qr import note register)

usage() {
  sed -n '2,8p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

[ "$#" -ge 2 ] || usage
harness="$1"
shift
if [ "$1" = "--seconds" ]; then
  [ "$#" -ge 2 ] || usage
  seconds="$2"
  mode=smoke
  shift 2
else
  hours="$1"
  shift
  [[ "$hours" =~ ^[0-9]+([.][0-9]+)?$ ]] || die "HOURS must be a number, not '$hours'"
  seconds="$(awk -v h="$hours" 'BEGIN { printf "%d", h * 3600 }')"
  mode=long
fi
[[ "$seconds" =~ ^[0-9]+$ ]] && [ "$seconds" -gt 0 ] || die "the run time must be a positive number of seconds"
if [ "$#" -gt 0 ]; then
  [ "$1" = "--" ] || usage
  shift
fi
extra=("$@")

if ! "$SOGOC_VENV/bin/python" -c 'import atheris' >/dev/null 2>&1; then
  section "Python environment (.venv, -e .[dev])"
  ensure_venv dev
fi

# libFuzzer runs the harness script again to minimise a crash or in -fork mode: its
# "#!/usr/bin/env python3" must find the venv's python.
export PATH="$SOGOC_VENV/bin:$PATH"

# fuzz_once NAME SECONDS LOG CORPUS...: one libFuzzer process; its exit code. Its output goes to LOG,
# and to the terminal too unless FUZZ_QUIET=1.
fuzz_once() {
  local name="$1" secs="$2" log="$3" rc
  shift 3
  local cmd=(nice -n "${FUZZ_NICE:-19}" "$SOGOC_VENV/bin/python" -m fuzz.common "$name"
    -max_total_time="$secs" -print_final_stats=1 -artifact_prefix="fuzz/crashes/$name/"
    "${extra[@]}" "$@")
  set +e
  if [ "${FUZZ_QUIET:-0}" = 1 ]; then
    "${cmd[@]}" >>"$log" 2>&1
    rc=$?
  else
    "${cmd[@]}" 2>&1 | tee -a "$log"
    rc="${PIPESTATUS[0]}"
  fi
  set -e
  return "$rc"
}

run_one() {
  local name="$1" work log rc=0 found marker skip deadline left artifact sig restarts=0
  local corpora=()
  mkdir -p "fuzz/crashes/$name"
  log="fuzz/crashes/$name/fuzz-$(date +%Y%m%d-%H%M%S).log"
  : >"$log"
  if [ "$mode" = smoke ]; then
    work="$(mktemp -d "${TMPDIR:-/tmp}/sogoc-fuzz-$name.XXXXXX")"
  else
    work="fuzz/work/$name"
    mkdir -p "$work"
  fi
  corpora=("$work" "fuzz/corpus/$name")
  if [ "$name" = pdf ] && [ -d "$SOGOC_ROOT/../shared/corpora/pdf-signatures" ]; then
    corpora+=("$SOGOC_ROOT/../shared/corpora/pdf-signatures")
  fi
  marker="$(mktemp)" # findings of this run are newer than this
  skip="$(mktemp)"   # how they failed: a long run restarts past them (FUZZ_SKIP_FILE)

  section "fuzz $name for ${seconds}s ($mode run; log $log)"
  note "corpora: ${corpora[*]}"
  if [ "$mode" = smoke ]; then
    fuzz_once "$name" "$seconds" "$log" "${corpora[@]}" || rc=$?
  else
    # A long run goes on after a finding: it notes how the input failed, skips inputs that fail the
    # same way and starts again with the time left (at most 50 times).
    deadline=$(($(date +%s) + seconds))
    while :; do
      left=$((deadline - $(date +%s)))
      [ "$left" -gt 0 ] || break
      rc=0
      FUZZ_SKIP_FILE="$skip" fuzz_once "$name" "$left" "$log" "${corpora[@]}" || rc=$?
      [ "$rc" -ne 0 ] || break
      artifact="$(find "fuzz/crashes/$name" -maxdepth 1 -type f -newer "$marker" \
        \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' \) -printf '%T@ %p\n' | sort -n | tail -1 | cut -d' ' -f2-)"
      [ -n "$artifact" ] || break # not a finding (a usage error, an interrupt): stop
      sig=""
      if [[ "$(basename "$artifact")" == crash-* ]]; then # a timeout or an OOM has no exception to skip
        sig="$(nice -n "${FUZZ_NICE:-19}" "$SOGOC_VENV/bin/python" -m fuzz.common --signature "$name" "$artifact" || true)"
      fi
      if [ -n "$sig" ] && [[ "$sig" != *$'\t?' ]]; then
        printf '%s\n' "$sig" >>"$skip"
      fi
      restarts=$((restarts + 1))
      [ "$restarts" -lt 50 ] || break
      note "finding in $artifact${sig:+ ($sig)}; starting again with the time left"
    done
  fi
  if [ "$mode" = smoke ]; then
    rm -rf "$work"
  fi
  found="$(find "fuzz/crashes/$name" -maxdepth 1 -type f -newer "$marker" \
    \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' -o -name 'slow-unit-*' \) | sort)"
  rm -f "$marker" "$skip"
  if [ -n "$found" ]; then
    note "new findings:"
    printf '      %s\n' $found
    [ "$rc" -ne 0 ] || rc=1
  fi
  if [ "$rc" -ne 0 ] && [ "${FUZZ_QUIET:-0}" = 1 ]; then
    note "the last lines of $log:"
    tail -n 40 "$log" | sed 's/^/      /'
  fi
  if [ "$rc" -eq 0 ]; then
    note "$name: no finding"
  elif [ "$rc" -eq 72 ] && [ -z "$found" ]; then
    note "$name: interrupted (SIGINT/SIGTERM), no finding"
  else
    note "$name: FINDING (exit $rc); inputs in fuzz/crashes/$name/"
  fi
  return "$rc"
}

if [ "$harness" = all ]; then
  failed=()
  for name in "${HARNESSES[@]}"; do
    run_one "$name" || failed+=("$name")
  done
  section "Summary"
  if [ "${#failed[@]}" -gt 0 ]; then
    note "findings in: ${failed[*]}"
    exit 1
  fi
  note "no findings"
  exit 0
fi

case " ${HARNESSES[*]} " in
  *" $harness "*) ;;
  *) die "unknown harness '$harness' (one of: ${HARNESSES[*]}, all)" ;;
esac
run_one "$harness"
