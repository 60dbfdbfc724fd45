"""Run-scoped and statistically sound gates, from the user's side: sessions recorded by a real process in
a CI-like environment, judged by ``agentops-otel gate`` in another."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import agentops_otel as agentops
from agentops_otel import semconv as sc
from agentops_otel.cli import main
from agentops_otel.read import is_session_root, read_otlp_file

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow  # the sessions are recorded by agents in child interpreters, as CI jobs would
_CI_VARS = ("GITHUB_RUN_ID", "GITHUB_RUN_ATTEMPT", "GITHUB_ACTIONS", "CI_PIPELINE_ID", "BUILD_ID", "BUILD_TAG",
            "BUILD_NUMBER", "JENKINS_URL", "JENKINS_HOME", "BUILDKITE_BUILD_ID", "CIRCLE_WORKFLOW_ID",
            "BUILD_BUILDID", "TRAVIS_BUILD_ID", sc.ENV_RUN_ID)

AGENT = """
import sys
import agentops_otel as agentops

agentops.init()
failures, total = int(sys.argv[1]), int(sys.argv[2])
for i in range(total):
    s = agentops.start_session("ci-agent", tags=["ci"])
    s.end("Fail" if i < failures else "Success", "planted" if i < failures else None)
"""


def _env(traces: Path, **ci: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _CI_VARS and not k.startswith(("OTEL_", "AGENTOPS_"))}
    env.update(PYTHONPATH=str(ROOT), AGENTOPS_OTEL_FILE=str(traces), **ci)
    env["OTEL_PYTHON_DISABLED_INSTRUMENTATIONS"] = "agentops_anthropic"  # no anthropic call: skip its import
    return env


def _record(traces: Path, failures: int, total: int, **ci: str) -> None:
    """Run the agent in a process of its own, as one CI job would."""
    subprocess.run([sys.executable, "-c", AGENT, str(failures), str(total)], env=_env(traces, **ci), check=True,
                   timeout=120)


def _gate(traces: Path, *args: str, **ci: str) -> tuple[int, str]:
    """The CLI in-process, in an environment holding only the given CI variables."""
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as mp:
        for name in _CI_VARS:
            mp.delenv(name, raising=False)
        for name, value in ci.items():
            mp.setenv(name, value)
        code = main(["gate", "--source", str(traces), *args], stdout=out, stderr=err)
    return code, out.getvalue() + err.getvalue()


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Run 100 (attempt 1) fails 3 of 5 sessions, run 101 none of 5; both write the same file."""
    traces = tmp_path_factory.mktemp("runs") / "traces.jsonl"
    _record(traces, 3, 5, GITHUB_RUN_ID="100", GITHUB_RUN_ATTEMPT="1")
    _record(traces, 0, 5, GITHUB_RUN_ID="101", GITHUB_RUN_ATTEMPT="1")
    _record(traces, 0, 10, AGENTOPS_OTEL_RUN_ID="small")
    _record(traces, 0, 100, AGENTOPS_OTEL_RUN_ID="big")
    return traces


def test_sessions_carry_the_run_on_resource_and_root(two_runs: Path) -> None:
    """GitHub's run id and attempt become agentops.run.id on our provider's resource and on each session root."""
    roots = [r for r in read_otlp_file(two_runs) if is_session_root(r) and r.attributes.get(sc.RUN_ID) == "100-1"]
    assert len(roots) == 5
    for r in roots:
        assert (r.resource[sc.RUN_ID], r.resource[sc.RUN_SYSTEM]) == ("100-1", "github_actions")


def test_the_cli_process_reads_the_run_from_its_environment(two_runs: Path) -> None:
    """`python -m agentops_otel gate --this-run` in a CI job's environment judges that job's run."""
    env = _env(two_runs, GITHUB_RUN_ID="100", GITHUB_RUN_ATTEMPT="1")
    proc = subprocess.run([sys.executable, "-m", "agentops_otel", "gate", "--source", str(two_runs), "--this-run",
                           "--max-failure-rate", "0.1"], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stderr
    assert "Failed: 3/5 = 60.0%" in proc.stdout


def test_a_provider_we_did_not_build_still_gets_the_run_on_the_root(
        span_exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch) -> None:
    """With the user's own TracerProvider (resource not ours), the run id is on the session root span."""
    monkeypatch.setenv(sc.ENV_RUN_ID, "nightly-42")
    agentops.start_session("agent").end()
    (root,) = [s for s in span_exporter.get_finished_spans() if s.name.startswith(sc.SPAN_SESSION)]
    assert root.attributes is not None
    assert (root.attributes[sc.RUN_ID], root.attributes[sc.RUN_SYSTEM]) == ("nightly-42", "custom")


def test_this_run_judges_only_its_own_sessions(two_runs: Path) -> None:
    """A rerun that passes is not failed by the earlier run's sessions in the same store."""
    code, out = _gate(two_runs, "--this-run", "--max-failure-rate", "0.1", GITHUB_RUN_ID="101", GITHUB_RUN_ATTEMPT="1")
    assert code == 0, out
    assert "Sessions of run 101-1 " in out and ": 5 (min 1)" in out
    assert "Failed: 0/5 = 0.0%" in out
    code, out = _gate(two_runs, "--run", "100-1", "--max-failure-rate", "0.1")
    assert code == 1, out
    assert "Failed: 3/5 = 60.0%" in out


def test_this_run_outside_ci_says_how_to_name_the_run(two_runs: Path) -> None:
    """--this-run without any CI variable is a usage error naming AGENTOPS_OTEL_RUN_ID, not a pass."""
    code, out = _gate(two_runs, "--this-run", "--max-failure-rate", "0.1")
    assert code == 2
    assert "--this-run: no CI run id in the environment (set AGENTOPS_OTEL_RUN_ID" in out


def test_the_gate_reports_the_wilson_interval(two_runs: Path) -> None:
    """Besides the point rate, the report shows the 95% Wilson interval (JSON too)."""
    code, out = _gate(two_runs, "--run", "100-1", "--max-failure-rate", "0.9")
    assert code == 0
    assert "Failed: 3/5 = 60.0% (max 90.0%); 95% interval 23.1%–88.2%" in out
    code, out = _gate(two_runs, "--run", "100-1", "--max-failure-rate", "0.9", "--json")
    doc = json.loads(out)
    assert doc["interval"] == pytest.approx([0.2307, 0.8824], abs=1e-4) and doc["verdict"] == "PASS"


def test_confidence_with_too_few_sessions_is_insufficient_data(two_runs: Path) -> None:
    """0 failures in 10 sessions cannot show a rate under 5% at 95%: INSUFFICIENT DATA, exit 3, not PASS."""
    code, out = _gate(two_runs, "--run", "small", "--max-failure-rate", "0.05", "--confidence", "0.95")
    assert code == 3, out
    last = out.strip().splitlines()[-1]
    assert last.startswith("INSUFFICIENT DATA: at 95% confidence the failure rate may be up to 27.8%, above 5.0%")
    assert "about 73 sessions would show it" in last
    code, out = _gate(two_runs, "--run", "small", "--max-failure-rate", "0.05")
    assert code == 0  # without --confidence the point rate decides, as before


def test_confidence_passes_once_the_upper_bound_is_under(two_runs: Path) -> None:
    """0 failures in 100 sessions: the 95% upper bound (3.7%) is under 5%, so the gate passes."""
    code, out = _gate(two_runs, "--run", "big", "--max-failure-rate", "0.05", "--confidence", "95%")
    assert code == 0, out
    assert "95% interval 0.0%–3.7% (decides)" in out


def test_confidence_never_softens_a_broken_bound(two_runs: Path) -> None:
    """A point rate over the bound fails (exit 1) whatever the interval says."""
    code, out = _gate(two_runs, "--run", "100-1", "--max-failure-rate", "0.5", "--confidence", "0.95")
    assert code == 1
    assert out.strip().splitlines()[-1] == "FAIL: failure rate 60.0% > 50.0%"


def test_confidence_never_passes_an_empty_window(two_runs: Path) -> None:
    """--confidence with --min-sessions 0 and no session is INSUFFICIENT DATA, not a pass."""
    code, out = _gate(two_runs, "--run", "no-such-run", "--min-sessions", "0", "--max-failure-rate", "0.05",
                      "--confidence", "0.95")
    assert code == 3
    assert out.strip().splitlines()[-1] == "INSUFFICIENT DATA: no sessions: nothing to be 95% confident about"


OWN_PROVIDER_AGENT = """
import os, sys
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
import agentops_otel as agentops
from agentops_otel.export import OTLPJsonFileExporter

provider = TracerProvider(resource=Resource.create({"service.name": "own-provider-agent"}))
provider.add_span_processor(SimpleSpanProcessor(OTLPJsonFileExporter(sys.argv[1])))
agentops.init(tracer_provider=provider)

@agentops.tool
def lookup(x):
    return x

for i in range(3):
    with agentops.session("finished"):
        lookup(i)
agentops.start_session("killed")
if sys.argv[2] == "ours":
    lookup(99)
else:  # another instrumentation's span is all that reaches the file
    with provider.get_tracer("another-instrumentation").start_as_current_span("GET /inventory"):
        pass
os._exit(1)  # a CI timeout's SIGKILL: the open session's root never reaches the file
"""


@pytest.mark.parametrize("last_span", ["ours", "foreign"])
def test_this_run_fails_on_a_killed_session_under_the_users_provider(tmp_path: Path, last_span: str) -> None:
    """--run/--this-run count a session killed mid-run under the program's own provider as never ended: no PASS."""
    traces = tmp_path / "traces.jsonl"
    proc = subprocess.run([sys.executable, "-c", OWN_PROVIDER_AGENT, str(traces), last_span],
                          env=_env(tmp_path / "unused.jsonl", AGENTOPS_OTEL_RUN_ID="r7"), timeout=120,
                          capture_output=True, text=True)
    assert proc.returncode == 1, proc.stderr
    code, out = _gate(traces, "--run", "r7", "--max-failure-rate", "0")
    assert code == 1, out
    assert "Failed: 1/4" in out and "Never ended" in out, out
    code, out = _gate(traces, "--this-run", "--max-failure-rate", "0", AGENTOPS_OTEL_RUN_ID="r7")
    assert code == 1, out
    code, out = _gate(traces, "--run", "another-run", "--max-failure-rate", "0", "--min-sessions", "0")
    assert "Sessions of run another-run " in out and ": 0 (min 0)" in out, out
