#!/usr/bin/env bash
# Start Sổ Gốc Số on this machine: virtualenv, install, migrate, demo data,
# dev PKI and the web service on SQLite with the DEV ONLY keys.
#
#   ./scripts/run.sh            # http://127.0.0.1:8000/
#   SOGOC_PORT=9000 ./scripts/run.sh
#
# Idempotent: a second run skips the install when pyproject.toml is unchanged.
# No system packages are needed at run time (fonts are vendored).
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$SOGOC_ROOT"

section "Python environment"
ensure_venv ""

mkdir -p "$SOGOC_ROOT/var"

section "Starting sogoc (migrate, demo data, dev PKI, web) — Ctrl-C to stop"
exec "$SOGOC_VENV/bin/sogoc" serve --demo --host 127.0.0.1 --port "${SOGOC_PORT:-8000}"
