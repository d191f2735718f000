# shellcheck shell=bash
# Shared helpers for scripts/run.sh and scripts/test.sh. Source it; do not run it.

SOGOC_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SOGOC_VENV="${SOGOC_VENV:-$SOGOC_ROOT/.venv}"

# Seconds since the script started, for the section headers.
_SOGOC_T0=$(date +%s)

section() {
  local now
  now=$(date +%s)
  printf '\n==> [%4ss] %s\n' "$((now - _SOGOC_T0))" "$*"
}

note() { printf '    %s\n' "$*"; }

die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

# Run a command as root: directly when we are root, through sudo otherwise.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    die "need root to run: $* (install sudo or run as root)"
  fi
}

# Pick a Python >= 3.11 to build the virtualenv with.
find_python() {
  local cand
  for cand in "${SOGOC_PYTHON:-}" python3 python3.13 python3.12 python3.11; do
    [ -n "$cand" ] || continue
    command -v "$cand" >/dev/null 2>&1 || continue
    if "$cand" -c 'import sys, venv; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
      command -v "$cand"
      return 0
    fi
  done
  die "no Python >= 3.11 with the venv module found (set SOGOC_PYTHON)"
}

# ensure_venv EXTRAS
#   Create $SOGOC_VENV if missing and `pip install -e .[EXTRAS]` unless a stamp
#   says it was already done for this exact pyproject.toml, Python and extras.
#   EXTRAS may be empty (runtime only) or e.g. "dev".
ensure_venv() {
  local extras="${1:-}" spec="." py stamp_file want have=""
  [ -n "$extras" ] && spec=".[$extras]"

  if [ ! -x "$SOGOC_VENV/bin/python" ] || ! "$SOGOC_VENV/bin/python" -c 'import sys' >/dev/null 2>&1; then
    py="$(find_python)"
    note "creating virtualenv $SOGOC_VENV with $py"
    rm -rf "$SOGOC_VENV"
    "$py" -m venv "$SOGOC_VENV"
  fi

  stamp_file="$SOGOC_VENV/.sogoc-install-${extras:-base}.stamp"
  want="$(
    {
      cat "$SOGOC_ROOT/pyproject.toml"
      "$SOGOC_VENV/bin/python" -c 'import sys; print(sys.version)'
      printf '%s\n' "$spec" "$SOGOC_ROOT"
    } | sha256sum | cut -d' ' -f1
  )"
  [ -f "$stamp_file" ] && have="$(cat "$stamp_file")"

  if [ "$want" = "$have" ] && "$SOGOC_VENV/bin/python" -c 'import credential_service' >/dev/null 2>&1; then
    note "virtualenv up to date ($spec)"
    return 0
  fi

  note "installing $spec into $SOGOC_VENV (quiet)"
  (
    cd "$SOGOC_ROOT"
    PIP_DISABLE_PIP_VERSION_CHECK=1 "$SOGOC_VENV/bin/python" -m pip install -qq -e "$spec"
  )
  printf '%s\n' "$want" >"$stamp_file"
}
