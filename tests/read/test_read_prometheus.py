"""The Prometheus gate source: PromQL over the session metrics, against a local stand-in for the HTTP API."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest
from fake_backend import FakeBackend

from agentops_otel.cli import main as cli_main
from agentops_otel.read.prometheus import PrometheusReader, window_selector


def _vector(*samples: tuple[dict[str, str], float]) -> dict[str, Any]:
    return {"status": "success", "data": {"resultType": "vector", "result": [
        {"metric": labels, "value": [1700000000.0, repr(value)]} for labels, value in samples]}}


def _answer_counts(backend: FakeBackend, *, success: float, fail: float, cost_usd: float,
                   incomplete: float = 0.0, indeterminate: float = 0.0,
                   late: dict[str, float] | None = None) -> None:
    """Answer the gate's queries the way Prometheus does (anchored increases are whole numbers); ``late``:
    the late Fail verdicts by the end state their root shows."""

    def handler(path: str, query: dict[str, list[str]]) -> tuple[int, Any]:
        promql = query["query"][0]
        if promql.startswith("sum by (agentops_verdict_root_end_state)"):
            return 200, _vector(*(({"agentops_verdict_root_end_state": s}, n) for s, n in (late or {}).items()))
        if promql.startswith("sum by (agentops_session_end_state)"):
            return 200, _vector(({"agentops_session_end_state": "Success"}, success),
                                ({"agentops_session_end_state": "Fail"}, fail),
                                *([({"agentops_session_end_state": "Indeterminate"}, indeterminate)]
                                  if indeterminate else []))
        if "cost_complete" in promql:
            return 200, _vector(({}, incomplete))
        if "cost_micros" in promql:
            return 200, _vector(({}, cost_usd))
        return 400, {"status": "error", "errorType": "bad_data", "error": f"unexpected {promql}"}

    backend.route("/api/v1/query", handler)


def _gate(backend: FakeBackend, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    source = backend.url.replace("http://", "prometheus://")
    code = cli_main(["gate", "--source", source, *args], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_gate_passes_on_exact_counts_below_the_bound(backend: FakeBackend) -> None:
    """gate --source prometheus:// reads the window's counts and passes under the bound (exit 0)."""
    _answer_counts(backend, success=99_000, fail=1_000, cost_usd=250.0)
    code, out, _ = _gate(backend, "--max-failure-rate", "2%", "--since", "1h")
    assert code == 0, out
    assert "Failed: 1000/100000 = 1.0% (max 2.0%); 95% interval 0.9%–1.1%" in out
    assert "by end state: Fail 1000, Success 99000" in out
    assert "Cost in the window: $250.00 ($250.00/h), mean $0.0025 per session" in out
    assert out.rstrip().endswith("PASS")


def test_gate_leaves_indeterminate_sessions_out_of_the_rate(backend: FakeBackend) -> None:
    """Sessions that ended Indeterminate (skipped tests) are not passes: all of them is INSUFFICIENT DATA."""
    _answer_counts(backend, success=0, fail=0, cost_usd=0.0, indeterminate=40)
    code, out, _ = _gate(backend, "--max-failure-rate", "2%", "--since", "1h")
    assert code == 3, out
    assert "Failed: 0/0" in out and "40 more ended Indeterminate: not judged" in out


def test_gate_fails_when_the_failure_rate_is_above_the_bound(backend: FakeBackend) -> None:
    """A failure rate over the bound exits 1 and says which bound broke."""
    _answer_counts(backend, success=90, fail=10, cost_usd=1.0)
    code, out, _ = _gate(backend, "--max-failure-rate", "0.05")
    assert code == 1
    assert "failure rate 10.0% > 5.0%" in out.splitlines()[-1]


def test_gate_queries_anchored_increases_over_the_window_with_the_filters(backend: FakeBackend) -> None:
    """The window becomes the range of an anchored increase; service, tags and run select series."""
    _answer_counts(backend, success=3, fail=0, cost_usd=0.5)
    code, out, _ = _gate(backend, "--max-failure-rate", "0", "--since", "2h", "--service", "support",
                         "--tag", "smoke", "--json")
    assert code == 0
    queries = [q["query"][0] for path, q in backend.requests if path == "/api/v1/query"]
    assert len(queries) == 4
    for promql in queries:
        window = re.search(r"\[(\d+)ms\] anchored\)", promql)
        assert window and abs(int(window.group(1)) - 7_200_000) < 5_000, promql
        assert 'job="support"' in promql
        assert r'agentops_tags=~".*\"smoke\".*"' in promql
    doc = json.loads(out)
    assert doc["sessions"] == 3 and doc["failures"] == 0
    assert doc["total_cost_usd"] == 0.5
    assert doc["cost_per_hour_usd"] == pytest.approx(0.25)


def test_window_selector_quotes_label_values() -> None:
    """Quotes and regex characters in a filter cannot change the query's meaning."""
    selector = window_selector(service='a"b', tags=["c.d"])
    assert selector == '{job="a\\"b",agentops_tags=~".*\\"c\\\\.d\\".*"}'


def test_gate_with_too_few_sessions_is_undecided(backend: FakeBackend) -> None:
    """An empty window is not a pass: INSUFFICIENT DATA, exit 3."""
    _answer_counts(backend, success=0, fail=0, cost_usd=0.0)
    code, out, _ = _gate(backend, "--max-failure-rate", "0.05", "--min-sessions", "10")
    assert code == 3
    assert out.splitlines()[-1] == "INSUFFICIENT DATA: only 0 sessions found, need at least 10"


def test_gate_for_one_run_selects_its_series(backend: FakeBackend) -> None:
    """--run ID selects the agentops_run_id label; the upper end of the interval can decide."""
    _answer_counts(backend, success=19, fail=1, cost_usd=0.0)
    code, out, _ = _gate(backend, "--max-failure-rate", "0.1", "--run", "4711-1", "--confidence", "0.95")
    queries = [q["query"][0] for path, q in backend.requests if path == "/api/v1/query"]
    assert all('agentops_run_id="4711-1"' in promql for promql in queries)
    assert code == 3  # 5% observed, but the 95% interval reaches above 10% with 20 sessions
    assert out.splitlines()[0].startswith("Sessions of run 4711-1 since")


def test_a_per_session_cost_bound_is_refused_with_the_reason(backend: FakeBackend) -> None:
    """Prometheus holds sums, so --max-cost-per-session is a usage error (exit 2), not a silent pass."""
    _answer_counts(backend, success=1, fail=0, cost_usd=0.0)
    code, _, err = _gate(backend, "--max-failure-rate", "0.05", "--max-cost-per-session", "0.1")
    assert code == 2
    assert "holds sums" in err


def test_a_rejected_query_is_reported_in_one_line(backend: FakeBackend) -> None:
    """Prometheus' own error text reaches the user, exit 2."""
    backend.route("/api/v1/query", (400, {"status": "error", "errorType": "bad_data", "error": "parse error"}))
    code, _, err = _gate(backend, "--max-failure-rate", "0.05")
    assert code == 2
    assert "parse error" in err and len(err.strip().splitlines()) == 1


def test_an_unreachable_prometheus_exits_2(closed_port: int) -> None:
    """Nothing listening: exit 2 naming the address."""
    err = io.StringIO()
    code = cli_main(["gate", "--source", f"prometheus://127.0.0.1:{closed_port}", "--max-failure-rate", "0.05"],
                    stdout=io.StringIO(), stderr=err)
    assert code == 2
    assert f"127.0.0.1:{closed_port}" in err.getvalue()


def test_an_answer_nested_deeper_than_the_parser_goes_exits_2(backend: FakeBackend) -> None:
    """The gate can't read the answer: exit 2 with one line, never a pass and never a traceback."""
    backend.route("/api/v1/query", (200, '{"data":' + "[" * 100_000 + "]" * 100_000 + "}"))
    code, out, err = _gate(backend, "--max-failure-rate", "0.05")
    assert (code, out) == (2, "") and "Traceback" not in err and "not JSON" in err


def test_reader_returns_labels_and_values(backend: FakeBackend) -> None:
    """query() hands back each series' labels and value."""
    backend.route("/api/v1/query", (200, _vector(({"job": "x"}, 4.0))))
    with PrometheusReader(backend.url) as reader:
        assert reader.query("up") == [({"job": "x"}, 4.0)]


def _answer_states(backend: FakeBackend, states: dict[str, float]) -> None:
    """Answer the by-state query with these end-state labels (the cost queries with nothing)."""

    def handler(path: str, query: dict[str, list[str]]) -> tuple[int, Any]:
        if query["query"][0].startswith("sum by (agentops_session_end_state)"):
            return 200, _vector(*(({"agentops_session_end_state": s}, n) for s, n in states.items()))
        return 200, _vector(({}, 0.0))

    backend.route("/api/v1/query", handler)


def test_gate_counts_a_fail_end_state_in_another_case_as_a_failure(backend: FakeBackend) -> None:
    """Sessions counted under 'fail' or 'FAIL' failed, as end_session() meant: the bound breaks (exit 1)."""
    _answer_states(backend, {"Success": 90, "fail": 6, "FAIL": 4})
    code, out, _ = _gate(backend, "--max-failure-rate", "0.05")
    assert code == 1, out
    assert "Failed: 10/100" in out


@pytest.mark.parametrize("state", ["Bogus", "unknown"])
def test_gate_with_sessions_of_an_unknown_end_state_is_undecided(backend: FakeBackend, state: str) -> None:
    """Counts under an end state the gate does not know are not passes: INSUFFICIENT DATA (exit 3), named."""
    _answer_states(backend, {"Success": 99, state: 1})
    code, out, _ = _gate(backend, "--max-failure-rate", "0.05")
    assert code == 3, out
    assert out.splitlines()[-1].startswith("INSUFFICIENT DATA") and f"'{state}' 1" in out


def test_gate_counts_tests_that_failed_after_the_agent_ended_their_session_success(backend: FakeBackend) -> None:
    """A test that failed after the code under test ended its session Success fails the gate (exit 1)."""
    _answer_counts(backend, success=10, fail=0, cost_usd=0.0, late={"Success": 2})
    code, out, _ = _gate(backend, "--max-failure-rate", "0.05")
    assert code == 1, out
    assert "Failed: 2/10" in out and "by end state: Fail 2, Success 8" in out
    assert "2 session(s) failed after the code under test had ended them" in out


def test_a_late_failure_of_an_indeterminate_session_is_judged_a_failure(backend: FakeBackend) -> None:
    """As the file gate reads it: a session ended Indeterminate whose test then failed is a failure."""
    _answer_counts(backend, success=8, fail=0, indeterminate=2, cost_usd=0.0, late={"Indeterminate": 1})
    code, out, _ = _gate(backend, "--max-failure-rate", "0.05", "--json")
    doc = json.loads(out)
    assert (code, doc["sessions"], doc["failures"]) == (1, 9, 1)
    assert doc["by_end_state"] == {"Success": 8, "Indeterminate": 1, "Fail": 1}


def test_late_failures_never_count_a_session_twice(backend: FakeBackend) -> None:
    """A late Fail over a root already Fail changes nothing, and no more sessions move than their root's
    end state counts in the window (the rest belong to sessions outside it)."""
    _answer_counts(backend, success=5, fail=5, cost_usd=0.0, late={"Fail": 2, "Success": 7})
    code, out, _ = _gate(backend, "--max-failure-rate", "1", "--json")
    doc = json.loads(out)
    assert (code, doc["sessions"], doc["failures"]) == (0, 10, 10)
    assert doc["by_end_state"] == {"Success": 0, "Fail": 10}
    assert doc["late_fails_outside_window"] == 2


def test_late_failures_that_do_not_name_the_roots_end_state_move_successes_first(backend: FakeBackend) -> None:
    """A late Fail written without the root's end state (agentops_otel before it named it) is taken from the
    passes first: a failing test never counts as a passing session."""
    _answer_counts(backend, success=5, fail=0, indeterminate=1, cost_usd=0.0, late={"unknown": 1})
    code, out, _ = _gate(backend, "--max-failure-rate", "0.5", "--json")
    doc = json.loads(out)
    assert (code, doc["sessions"], doc["failures"]) == (0, 5, 1)
    assert doc["by_end_state"] == {"Success": 4, "Indeterminate": 1, "Fail": 1}
