#!/usr/bin/env bash
# Install (or find) the other GenAI instrumentations in their own cached venv, and print its python.
#
#   scripts/peers.sh           find or install; prints "peers=/abs/path/to/venv/bin/python" on stdout
#   scripts/peers.sh --print   only find; exit 1 when it is not installed
#
# tests/read/test_foreign_generated.py runs tests/read/foreign/generate.py with this python: the real
# official OpenAI instrumentation (opentelemetry-instrumentation-genai-openai, the new name of -openai-v2),
# OpenLLMetry (opentelemetry-instrumentation-openai) and OpenInference write spans of the real `openai`
# client against our local OpenAI server, and the test reads them back. They pin OpenTelemetry versions of
# their own, so they never go into the project's venv; the venv lives in
# ${AGENTOPS_OTEL_CACHE:-$HOME/.cache/agentops-otel}/peers-<key>/, keyed by the pins below and the project's
# own dependencies (the checkout's agentops_otel is imported from the checkout, not installed).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PY=${PEERS_PYTHON:-python3.11}
PEERS=(
    "openai==3.57.0"
    "opentelemetry-instrumentation-genai-openai==1.3b0"
    "opentelemetry-instrumentation-openai==0.62.4"
    "openinference-instrumentation-openai==0.1.66"
)
CACHE_ROOT=${AGENTOPS_OTEL_CACHE:-$HOME/.cache/agentops-otel}

log() { printf '[peers] %s\n' "$*" >&2; }

mapfile -t DEPS < <("$PY" -c 'import sys, tomllib; print("\n".join(tomllib.load(open(sys.argv[1], "rb"))["project"]["dependencies"]))' "$ROOT/pyproject.toml")
KEY=$(printf '%s\n' "${PEERS[@]}" "${DEPS[@]}" | sha256sum | cut -c1-12)
DEST=$CACHE_ROOT/peers-$KEY

if [ -x "$DEST/bin/python" ] && [ -f "$DEST/.installed" ]; then
    log "cached: $DEST"
    echo "peers=$DEST/bin/python"; exit 0
fi
[ "${1:-}" = --print ] && { log "not installed (run scripts/peers.sh)"; exit 1; }

mkdir -p "$CACHE_ROOT"
exec 9>"$CACHE_ROOT/.lock-peers"
flock 9
if [ ! -f "$DEST/.installed" ]; then
    log "installing ${PEERS[*]} into $DEST (about a minute, once)"
    start=$(date +%s)
    # The marker is written last: an interrupted install is redone from scratch, never half used.
    rm -rf "$DEST"
    "$PY" -m venv "$DEST"
    "$DEST/bin/python" -m pip install --quiet --disable-pip-version-check "${PEERS[@]}" "${DEPS[@]}"
    touch "$DEST/.installed"
    log "installed in $(( $(date +%s) - start ))s"
fi
echo "peers=$DEST/bin/python"
