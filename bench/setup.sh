#!/usr/bin/env bash
# Bench-only environment for bench_openai.py / bench_anthropic.py: this package plus the instrumentations they are compared
# with, kept out of the project's own venv (they pin their own OpenTelemetry versions).
# The official OpenAI instrumentation is opentelemetry-instrumentation-genai-openai (the new name of
# opentelemetry-instrumentation-openai-v2): the last -openai-v2 (2.4b0) imports
# opentelemetry.util.genai.instruments, which the opentelemetry-util-genai that -genai-openai needs no
# longer has, so the two cannot share one venv (and one run); the bench compares against the newer one.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(dirname "$HERE")"
PY="${PYTHON:-python3.11}"
VENV="$HERE/.venv"

test -x "$VENV/bin/python" || "$PY" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet -e "$ROOT" "openai>=3" "anthropic>=2.14" \
    opentelemetry-instrumentation-genai-openai \
    openinference-instrumentation-openai \
    opentelemetry-instrumentation-genai-anthropic \
    opentelemetry-instrumentation-anthropic \
    openinference-instrumentation-anthropic
"$VENV/bin/python" -m pip list 2>/dev/null | grep -iE "^(openai|anthropic|opentelemetry-(api|sdk|instrumentation|instrumentation-genai-(openai|anthropic)|instrumentation-anthropic|util-genai)|openinference-instrumentation(-openai|-anthropic)?) "
