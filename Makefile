# Everything a fresh machine needs is installed by these targets: a venv in .venv, the package and its
# dev tools, the Jaeger, Collector and Prometheus binaries (built from Go modules by scripts/backends.sh,
# cached in ~/.cache/agentops-otel), Chromium for the HTML replay check.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck unit e2e backends phoenix peers browser bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m examples.support_agent.demo $(DEMO_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check agentops_otel tests examples bench

typecheck: $(STAMP)
	$(BIN)/mypy

# jaeger, otelcol-agentops and prometheus; each is built once per version (cold: minutes) and then cached
backends:
	bash scripts/backends.sh

# Arize Phoenix for its e2e test, in its own cached venv (~/.cache/agentops-otel/phoenix-<version>)
phoenix:
	bash scripts/phoenix.sh

# The other GenAI instrumentations (official openai, OpenLLMetry, OpenInference) in their own cached venv
# (~/.cache/agentops-otel/peers-<key>): tests/read/test_foreign_generated.py writes fresh traces with them
peers:
	bash scripts/peers.sh

browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing chromium (Debian package) for the HTML replay check"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null; \
	  else echo "chromium not installed: the HTML replay browser check will skip (fails under CI=true)"; fi; }

# The fast tier: no backends, no subprocess runs of pytest or the agent, no long property searches
# (marked slow); `make test` runs those too.
# Both run on two workers (pytest-xdist); each e2e worker starts its own backends on free loopback ports
# (--dist loadfile: the tests of one file share them).
unit: $(STAMP)
	$(BIN)/pytest -q -n 2 -m "not e2e and not slow"

e2e: $(STAMP) backends phoenix
	$(BIN)/pytest -q -n 2 --dist loadfile -m e2e

test: $(STAMP) backends phoenix peers browser lint typecheck
	$(BIN)/pytest -q -n 2 -m "not e2e"
	$(BIN)/pytest -q -n 2 --dist loadfile -m e2e

bench: $(STAMP)
	bash bench/setup.sh
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .agentops-otel
