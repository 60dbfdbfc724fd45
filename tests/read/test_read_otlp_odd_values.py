"""OTLP JSON values real exporters write in their own way, and values no exporter should write: each
read as what it means, or flagged as unreadable with a clear reason, never a crash or a quiet guess."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from agentops_otel.cli import main
from agentops_otel.read import MalformedPayload, decode_otlp_json, read_otlp_file
from agentops_otel.reassemble import Issue, reassemble
from agentops_otel.testing import AgentAssertionError, assert_tokens_below

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
T0 = 1_764_000_000_000_000_000


def _attrs(**values: str) -> list[dict[str, Any]]:
    return [{"key": k.replace("_", "."), "value": {"stringValue": v}} for k, v in values.items()]


def _span(span_id: str, name: str, attributes: list[dict[str, Any]], *, parent: str | None = None,
          start_ms: int = 0, end_ms: int = 100, **extra: Any) -> dict[str, Any]:
    span = {"traceId": TRACE, "spanId": span_id, "name": name, "startTimeUnixNano": str(T0 + start_ms * 1_000_000),
            "endTimeUnixNano": str(T0 + end_ms * 1_000_000), "attributes": attributes, **extra}
    if parent:
        span["parentSpanId"] = parent
    return span


def _session(tool_status: Any = None, tool_attributes: list[dict[str, Any]] | None = None,
             root_start: Any = None) -> bytes:
    """One session: a root and a failing-or-not tool call below it, as a collector file line."""
    root = _span("a" * 16, "invoke_agent shop", [
        *_attrs(session_id="s1", gen_ai_operation_name="invoke_agent"),
        {"key": "agentops.session.end_state", "value": {"stringValue": "Success"}}])
    if root_start is not None:
        root["startTimeUnixNano"] = root_start
    tool = _span("b" * 16, "execute_tool pay", tool_attributes if tool_attributes is not None else _attrs(
        session_id="s1", gen_ai_operation_name="execute_tool", gen_ai_tool_name="pay"),
        parent="a" * 16, start_ms=10, end_ms=20)
    if tool_status is not None:
        tool["status"] = {"code": tool_status, "message": "card declined"}
    doc = {"resourceSpans": [{"scopeSpans": [{"scope": {"name": "agentops_otel"}, "spans": [root, tool]}]}]}
    return json.dumps(doc, separators=(",", ":")).encode()


# --- status codes ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("code", "status"), [
    (2, "error"), ("2", "error"), ("STATUS_CODE_ERROR", "error"), ("ERROR", "error"), ("Error", "error"),
    ("status_code_error", "error"), (1, "ok"), ("STATUS_CODE_OK", "ok"), ("Ok", "ok"), (0, "unset"),
    ("STATUS_CODE_UNSET", "unset"), (None, "unset"), (2.0, "error"),
])
def test_status_codes_as_exporters_spell_them(code: Any, status: str) -> None:
    """A status written as a number, its OTLP name or the name's short form reads as that status."""
    (tl,) = reassemble(decode_otlp_json(_session(code))).sessions
    (step,) = tl.steps
    assert step.status == status
    assert Issue.UNREADABLE_ATTRIBUTES not in tl.summary.issue_kinds


@pytest.mark.parametrize("code", [3, -1, 99999999999999999999, "FAILED", "", 2.5, True])
def test_a_status_no_exporter_writes_is_flagged_not_read_as_unset(code: Any) -> None:
    """An unknown status code is named as unreadable and its step not shown as fine (nor a crash)."""
    (tl,) = reassemble(decode_otlp_json(_session(code))).sessions
    (step,) = tl.steps
    assert step.status == "error"
    assert Issue.UNREADABLE_ATTRIBUTES in tl.summary.issue_kinds
    assert any("status" in issue and repr(code) in issue for issue in tl.summary.issues)


def _cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_replay_and_gate_of_a_session_with_an_unknown_status(tmp_path: Path) -> None:
    """The replay shows the step failed and says why; the gate does not pass a session it could not read."""
    path = tmp_path / "t.jsonl"
    path.write_bytes(_session(3) + b"\n")
    code, out, err = _cli("replay", "s1", "--source", str(path), "--no-color")
    assert code == 0 and "Errors: 1" in out and "status" in out.split("Issues:")[1], out + err
    code, out, _ = _cli("gate", "--source", str(path), "--since", "2020-01-01", "--max-failure-rate", "0.5")
    assert code == 3 and "could not be read" in out


# --- session.id: the span's own, top-level attribute ------------------------------------------------


def _nested_sid(order: str) -> list[dict[str, Any]]:
    meta = {"key": "request.metadata", "value": {"kvlistValue": {"values": _attrs(session_id="upstream-42")}}}
    own = _attrs(session_id="s1", gen_ai_operation_name="execute_tool", gen_ai_tool_name="pay")
    return [meta, *own] if order == "before" else [*own, meta]


@pytest.mark.parametrize("order", ["before", "after"])
def test_a_session_id_inside_an_attribute_value_does_not_regroup_the_span(order: str) -> None:
    """A ``session.id`` key nested in a key-value list attribute is not the span's session."""
    spans = list(decode_otlp_json(_session(tool_attributes=_nested_sid(order))))
    assert [r.session_id for r in spans] == ["s1", "s1"]
    assert spans[1].attributes["request.metadata"] == {"session.id": "upstream-42"}
    (tl,) = reassemble(spans).sessions
    assert [st.span_name for st in tl.steps] == ["execute_tool pay"]


@pytest.mark.parametrize(("attributes", "session"), [
    ('[{"key":"m","value":{"kvlistValue":{"values":[{"key":"session.id","value":{"stringValue":"x"}}]}}}]', None),
    ('[{"key":"m","value":{"arrayValue":{"values":[{"kvlistValue":{"values":[{"key":"session.id","value":'
     '{"stringValue":"x"}}]}}]}}},{"key":"session.id","value":{"stringValue":"s1"}}]', "s1"),
    ('[{"key":"session.id","value":{"stringValue":"s1"}},{"key":"session.id","value":{"stringValue":"s2"}}]', "s1"),
    ('[{"key":"session.id","value":{"intValue":"7"}},{"key":"session.id","value":{"stringValue":"s2"}}]', "7"),
    ('[{"key":"a","value":{"stringValue":"b"}},{"key":"session\\u002eid","value":{"stringValue":"s1"}},'
     '{"key":"session.id","value":{"stringValue":"s2"}}]', "s1"),
    ('[{"key":"session\\u002eid","value":{"stringValue":"s1"}}]', "s1"),
    ('[{"key":"a","value":{"stringValue":"b"},"x":{"key":"session.id","value":{"stringValue":"no"}}}]', None),
])
def test_the_grouping_key_and_the_attributes_agree(attributes: str, session: str | None) -> None:
    """Nested, duplicated or escaped: the span is grouped by the ``session.id`` its attributes show."""
    span = f'{{"traceId":"{TRACE}","spanId":"00f067aa0ba902b7","name":"x","attributes":{attributes}}}'
    doc = f'{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{span}]}}]}}]}}'
    (rec,) = decode_otlp_json(doc.encode())
    grouped = rec.session_id
    shown = dict(rec.attributes).get("session.id")
    assert grouped == session and (None if shown is None else str(shown)) == session


@pytest.mark.parametrize("attributes", [
    '[{"key":"m","value":{"kvlistValue":{"values":[{"key":"agentops.cost.usd","value":{"doubleValue":0.5}}]}}}]',
    '[{"key":"agentops.cost.usd","value":{"stringValue":"n/a"}},{"key":"agentops.cost.usd","value":{"doubleValue":1}}]',
])
def test_a_cost_read_from_the_bytes_is_the_one_the_attributes_show(attributes: str) -> None:
    """The raw-bytes answer to "is the cost a number" agrees with the decoded attributes."""
    from agentops_otel.read._lazyattrs import LazyAttributes

    fast = LazyAttributes(attributes.encode()).has_price("agentops.cost.usd")
    shown = dict(LazyAttributes(attributes.encode())).get("agentops.cost.usd")
    assert fast == isinstance(shown, float | int)


# --- timestamps -----------------------------------------------------------------------------------


@pytest.mark.parametrize("when", [str(2**70), str(2**64), "-5"])
def test_a_time_outside_otlp_range_is_a_read_error_naming_the_field(tmp_path: Path, when: str) -> None:
    """A start time no 64-bit OTLP clock can write is refused with the field and span named."""
    path = tmp_path / "t.jsonl"
    path.write_bytes(_session(root_start=when) + b"\n")
    with pytest.raises(MalformedPayload, match=r"startTimeUnixNano.*invoke_agent shop"):
        list(read_otlp_file(path))
    for argv in (["sessions"], ["replay", "s1"]):
        code, _, err = _cli(*argv, "--source", str(path), "--no-color")
        assert code == 2 and "startTimeUnixNano" in err and "Traceback" not in err


def test_the_largest_otlp_time_still_reads() -> None:
    """The last nanosecond a uint64 holds is a valid, if odd, time."""
    (root, _) = decode_otlp_json(_session(root_start=str(2**64 - 1)))
    assert root.start_ns == 2**64 - 1


def test_a_span_without_a_start_time_is_shown_at_its_end_and_flagged() -> None:
    """startTimeUnixNano 0 (unset) is no step that began in 1970: the step sits at its end, taking no
    time, the session keeps its own length, and the replay says the time was missing."""
    doc = json.loads(_session())
    doc["resourceSpans"][0]["scopeSpans"][0]["spans"][1]["startTimeUnixNano"] = "0"
    (tl,) = reassemble(decode_otlp_json(json.dumps(doc).encode())).sessions
    (step,) = tl.steps
    assert step.start_ns == T0 + 20 * 1_000_000 and step.duration_s == 0
    assert tl.summary.duration_s == pytest.approx(0.1)
    assert Issue.UNREADABLE_ATTRIBUTES in tl.summary.issue_kinds
    assert any("startTimeUnixNano" in issue for issue in tl.summary.issues)


# --- token counts that are no counts -----------------------------------------------------------------

_NOT_COUNTS = [{"intValue": "-1000"}, {"doubleValue": -5.0}, {"doubleValue": 2.5}, {"boolValue": True},
               {"stringValue": "5000"}]


def _foreign_call(output_tokens: dict[str, Any]) -> bytes:
    """A trace of another instrumentation's one chat call: 1,000 input tokens, ``output_tokens`` as written."""
    attrs = [{"key": "gen_ai.operation.name", "value": {"stringValue": "chat"}},
             {"key": "gen_ai.request.model", "value": {"stringValue": "gpt-4o-mini"}},
             {"key": "gen_ai.usage.input_tokens", "value": {"intValue": "1000"}},
             {"key": "gen_ai.usage.output_tokens", "value": output_tokens}]
    span = _span("c" * 16, "chat gpt-4o-mini", attrs, kind=3)
    doc = {"resourceSpans": [{"resource": {"attributes": _attrs(service_name="app")}, "scopeSpans": [
        {"scope": {"name": "opentelemetry.instrumentation.genai.openai"}, "spans": [span]}]}]}
    return json.dumps(doc).encode() + b"\n"


@pytest.mark.parametrize("raw", _NOT_COUNTS)
def test_a_token_count_that_is_no_count_is_never_within_the_token_bound(raw: dict[str, Any]) -> None:
    """A negative, fractional, true/false or text token count leaves the call's usage unknown: no bound passes."""
    (tl,) = reassemble(decode_otlp_json(_foreign_call(raw))).pseudo_sessions
    with pytest.raises(AgentAssertionError, match="not counts"):
        assert_tokens_below(tl, 2000)


@pytest.mark.parametrize("raw", _NOT_COUNTS)
def test_a_token_count_that_is_no_count_leaves_the_cost_unknown_saying_why(raw: dict[str, Any]) -> None:
    """The call is not priced from a count it does not have, and the reason is the count, not the model."""
    (tl,) = reassemble(decode_otlp_json(_foreign_call(raw))).pseudo_sessions
    assert not tl.summary.cost_complete
    assert any("token counts given were not counts" in gap for gap in tl.summary.cost_gaps), tl.summary.cost_gaps
    assert not any("unpriced model" in gap for gap in tl.summary.cost_gaps)


def test_replay_names_a_negative_token_count_and_sums_no_negative_tokens(tmp_path: Path) -> None:
    """The header never shows negative tokens, and the replay's Issues name the count that is no count."""
    path = tmp_path / "t.jsonl"
    path.write_bytes(_foreign_call({"intValue": "-1000"}))
    code, out, err = _cli("replay", TRACE, "--source", str(path), "--no-color")
    assert code == 0, out + err
    assert "-1000" not in out.split("Issues:")[0], out
    assert "gen_ai.usage.output_tokens is -1000, not a count" in out.split("Issues:")[1], out
