"""A session's totals read back from its model calls, whatever the calls say, as compact or spaced JSON.

The figures below are what the reassembler has always read from such a session (pinned when the reading
of each call's cost and counts was made faster): a count no call reported stays unknown, never 0, and the
calls whose attributes could not all be read, or give a key twice, are named in the session's issues.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agentops_otel import semconv as sc
from agentops_otel.read import read_otlp_file
from agentops_otel.reassemble import Issue, reassemble

TRACE = "0af7651916cd43dd8448eb211c80319c"
ROOT = "b7ad6b7169203331"
T0 = 1_767_000_000_000_000_000


def _kv(key: str, value: dict[str, Any]) -> dict[str, Any]:
    return {"key": key, "value": value}


def _s(key: str, value: str) -> dict[str, Any]:
    return _kv(key, {"stringValue": value})


def _i(key: str, value: int) -> dict[str, Any]:
    return _kv(key, {"intValue": str(value)})


def _d(key: str, value: float) -> dict[str, Any]:
    return _kv(key, {"doubleValue": value})


def _span(n: int, name: str, attrs: list[dict[str, Any]]) -> dict[str, Any]:
    return {"traceId": TRACE, "spanId": f"{n:016x}" if n else ROOT, "parentSpanId": ROOT if n else "", "name": name,
            "kind": 3 if name.startswith("chat") else 1, "startTimeUnixNano": str(T0 + n * 10**6 + 1),
            "endTimeUnixNano": str(T0 + n * 10**6 + 500_000), "attributes": attrs, "status": {"code": 1}}


def _call(n: int, *usage: dict[str, Any]) -> dict[str, Any]:
    """A model call of ours: its session id and number first, as our exporter writes them, then ``usage``."""
    return _span(n, "chat gpt-4o", [
        _s(sc.SESSION_ID, "s1"), _i(sc.SEQ, n), _s(sc.GEN_AI_OPERATION_NAME, "chat"),
        _s(sc.GEN_AI_PROVIDER_NAME, "openai"), _s(sc.GEN_AI_REQUEST_MODEL, "gpt-4o"), *usage,
        _s(sc.GEN_AI_INPUT_MESSAGES, json.dumps([{"role": "user", "parts": [{"type": "text", "content": "hi"}]}])),
    ])


def _session() -> dict[str, Any]:
    calls = [
        _call(1, _i(sc.GEN_AI_USAGE_INPUT_TOKENS, 100), _i(sc.GEN_AI_USAGE_OUTPUT_TOKENS, 10), _d(sc.COST_USD, 0.01)),
        _call(2, _i(sc.GEN_AI_USAGE_INPUT_TOKENS, 50), _d(sc.COST_USD, 0.002)),  # no output count
        _call(3, _s(sc.GEN_AI_USAGE_INPUT_TOKENS, "12"), _i(sc.GEN_AI_USAGE_OUTPUT_TOKENS, 3)),  # a count as text
        _call(4, _i(sc.GEN_AI_USAGE_INPUT_TOKENS, 7), _i(sc.GEN_AI_USAGE_OUTPUT_TOKENS, 1), _d(sc.COST_USD, 0.001),
              _kv(sc.GEN_AI_RESPONSE_ID, {"intValue": "x1"})),  # a value that can't be read
        _call(5, _i(sc.GEN_AI_USAGE_INPUT_TOKENS, 9), _i(sc.GEN_AI_USAGE_OUTPUT_TOKENS, 2), _d(sc.COST_USD, 0.003),
              _d(sc.COST_USD, 0.5)),  # the cost given twice
        _call(6),  # no usage at all
    ]
    root = _span(0, "invoke_agent a", [
        _s(sc.SESSION_ID, "s1"), _i(sc.SEQ, 0), _s(sc.GEN_AI_OPERATION_NAME, "invoke_agent"),
        _s(sc.SESSION_END_STATE, "Success"), _d(sc.SESSION_COST_USD, 0.004), _kv(sc.SESSION_COST_COMPLETE,
                                                                                  {"boolValue": True}),
        _i(sc.GEN_AI_USAGE_INPUT_TOKENS, 100), _i(sc.GEN_AI_USAGE_OUTPUT_TOKENS, 200), _i(sc.SESSION_LLM_CALLS, 6),
    ])
    return {"resourceSpans": [{"resource": {"attributes": [_s("service.name", "svc")]},
                               "scopeSpans": [{"scope": {"name": "agentops_otel"}, "spans": [*calls, root]}]}]}


@pytest.fixture(params=["compact", "spaced"])
def summary(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    separators = (",", ":") if request.param == "compact" else (", ", ": ")
    path = tmp_path / "s.jsonl"
    path.write_text(json.dumps(_session(), separators=separators) + "\n", encoding="utf-8")
    (tl,) = reassemble(read_otlp_file(path)).sessions
    return tl.summary


def test_totals_are_the_calls_when_the_root_says_less(summary: Any) -> None:
    """Cost and tokens: the calls' sums over the root's lower figures, each call once, first of a key given twice."""
    assert (summary.cost_usd, summary.input_tokens, summary.output_tokens) == (pytest.approx(0.016), 166, 200)
    assert summary.issues[0] == ("the root's totals are below what its model calls report (cost $0.004 < $0.016; "
                                 "input tokens 100 < 166): the calls' figures are used")


def test_unknown_counts_stay_unknown(summary: Any) -> None:
    """A call without an output count, one whose count is text and one without usage: lower bounds, not zeros."""
    assert (summary.input_tokens_complete, summary.output_tokens_complete, summary.cost_complete) == (
        False, False, False)
    assert summary.cost_gaps == (
        "1 call without usage (the token counts given were not counts (negative, fractional or not numbers))",
        "1 call without usage (no usage in the response)")


def test_calls_read_in_full_are_named_in_the_issues(summary: Any) -> None:
    """The call with a value that can't be read and the call giving its cost twice are named, once each."""
    assert summary.issue_kinds == (Issue.TOTALS_BELOW_CALLS, Issue.UNREADABLE_ATTRIBUTES, Issue.GIVEN_TWICE)
    assert summary.issues[1:] == (
        "attributes that could not be read, left out: chat gpt-4o: could not read gen_ai.response.id "
        "(invalid literal for int() with base 10: 'x1')",
        "values given twice that differ: chat gpt-4o: agentops.cost.usd given twice with different values "
        "(0.003, 0.5): the first is shown")
