#!/usr/bin/env bash
# Install (or find) Arize Phoenix for the Phoenix e2e test in its own cached venv, and print its path.
#
#   scripts/phoenix.sh           find or install; prints "phoenix=/abs/path/to/venv/bin/phoenix" on stdout
#   scripts/phoenix.sh --print   only find; exit 1 when it is not installed
#
# Phoenix pins its own dependencies (SQLAlchemy, FastAPI, grpc, an OpenTelemetry SDK of its own), so
# it never goes into the project's venv: it lives in
# ${AGENTOPS_OTEL_CACHE:-$HOME/.cache/agentops-otel}/phoenix-<version>/, like the Go builds of
# scripts/backends.sh. A second run finds the cache and does not touch the network. PHOENIX_BIN
# overrides the lookup with an explicit path.
set -euo pipefail

PHOENIX_VERSION=20.26.1
CACHE_ROOT=${AGENTOPS_OTEL_CACHE:-$HOME/.cache/agentops-otel}
DEST=$CACHE_ROOT/phoenix-$PHOENIX_VERSION
PY=${PHOENIX_PYTHON:-python3.11}

log() { printf '[phoenix] %s\n' "$*" >&2; }

if [ -n "${PHOENIX_BIN:-}" ]; then
    [ -x "$PHOENIX_BIN" ] || { log "error: PHOENIX_BIN=$PHOENIX_BIN is not executable"; exit 1; }
    echo "phoenix=$PHOENIX_BIN"; exit 0
fi
if [ -x "$DEST/bin/phoenix" ] && [ -f "$DEST/.installed" ]; then
    log "cached: $DEST"
    echo "phoenix=$DEST/bin/phoenix"; exit 0
fi
[ "${1:-}" = --print ] && { log "not installed (run scripts/phoenix.sh)"; exit 1; }

mkdir -p "$CACHE_ROOT"
exec 9>"$CACHE_ROOT/.lock-phoenix"
flock 9
if [ ! -f "$DEST/.installed" ]; then
    log "installing arize-phoenix==$PHOENIX_VERSION into $DEST (a few minutes, once)"
    start=$(date +%s)
    # The marker is written last: an interrupted install is redone from scratch, never half used.
    rm -rf "$DEST"
    "$PY" -m venv "$DEST"
    "$DEST/bin/python" -m pip install --quiet --disable-pip-version-check "arize-phoenix==$PHOENIX_VERSION"
    touch "$DEST/.installed"
    log "installed in $(( $(date +%s) - start ))s"
fi
echo "phoenix=$DEST/bin/phoenix"
