#!/usr/bin/env bash
# Bench-only environment for bench_openai.py: this package plus the instrumentations it is compared
# with, kept out of the project's own venv (they pin their own OpenTelemetry versions).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(dirname "$HERE")"
PY="${PYTHON:-python3.11}"
VENV="$HERE/.venv"

test -x "$VENV/bin/python" || "$PY" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet -e "$ROOT" "openai>=3" \
    opentelemetry-instrumentation-genai-openai \
    openinference-instrumentation-openai
"$VENV/bin/python" -m pip list 2>/dev/null | grep -iE "^(openai|opentelemetry-(api|sdk|instrumentation|instrumentation-genai-openai|util-genai)|openinference-instrumentation(-openai)?) "
