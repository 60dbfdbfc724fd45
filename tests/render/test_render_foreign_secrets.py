"""Secrets in what other instrumentations recorded stay out of our replays, as they stay out of our own spans.

The trace below is what an app traced by OpenInference, the official openai-v2 instrumentation and
OpenLLMetry exports inside one of our sessions: a tool call whose arguments hold an API key (and a
password, a secret by its name only) and prompts holding a bearer token. Our capture masks such content
before it reaches a span; theirs does not, and a replay page is an artefact CI uploads.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from agentops_otel.cli import main

KEY = "sk-proj-abcdef1234567890abcdef"
BEARER = "Bearer abcdefghijklmnop1234"
PASSWORD = "correct horse battery"  # no credential's shape: masked for its key's name only
SECRETS = (KEY, "abcdefghijklmnop1234", PASSWORD)
ROOT = "10" * 8


def _args(account: str) -> str:
    return json.dumps({"api_key": KEY, "db_password": PASSWORD, "account": account})


def _prompt(account: str) -> str:
    return f"call the billing API with {BEARER} for account {account}"


def _value(v: Any) -> dict[str, Any]:
    return {"intValue": str(v)} if isinstance(v, int) else {"stringValue": str(v)}


def _attrs(d: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"key": k, "value": _value(v)} for k, v in d.items()]


def _span(run: tuple[str, str], n: int, name: str, attrs: dict[str, Any],
          events: tuple[tuple[str, dict[str, Any]], ...] = ()) -> dict[str, Any]:
    sid, trace = run
    start = 1_700_000_000_000_000_000 + n * 1_000_000
    return {"traceId": trace, "spanId": f"{n:016x}", "parentSpanId": ROOT, "name": name, "kind": 1,
            "startTimeUnixNano": str(start), "endTimeUnixNano": str(start + 500_000), "status": {"code": 1},
            "attributes": _attrs({"session.id": sid, **attrs}),
            "events": [{"name": e, "timeUnixNano": str(start), "attributes": _attrs(a)} for e, a in events]}


def _scope(name: str, *spans: dict[str, Any]) -> dict[str, Any]:
    return {"scope": {"name": name}, "spans": list(spans)}


def _messages(text: str) -> str:
    return json.dumps([{"role": "user", "parts": [{"type": "text", "content": text}]}])


def _calls(args: str) -> str:
    return json.dumps([{"role": "assistant", "parts": [
        {"type": "tool_call", "id": "call_1", "name": "lookup_account", "arguments": json.loads(args)}]}])


def _resource_spans(sid: str, trace: str, account: str) -> dict[str, Any]:
    """One session of the billing agent: its root (ours) and the spans the three instrumentations wrote."""
    run, args, prompt = (sid, trace), _args(account), _prompt(account)
    start = 1_700_000_000_000_000_000
    root = {"traceId": trace, "spanId": ROOT, "parentSpanId": "", "name": "invoke_agent billing", "kind": 1,
            "startTimeUnixNano": str(start), "endTimeUnixNano": str(start + 100_000_000), "status": {"code": 1},
            "attributes": _attrs({"session.id": sid, "gen_ai.operation.name": "invoke_agent",
                                  "gen_ai.agent.name": "billing", "agentops.session.end_state": "Success"})}
    llm = {"gen_ai.request.model": "gpt-4o-mini", "gen_ai.usage.input_tokens": 10, "gen_ai.usage.output_tokens": 5}
    openinference = _scope(
        "openinference.instrumentation.openai",
        _span(run, 1, "ChatCompletion", {
            "openinference.span.kind": "LLM", "llm.model_name": "gpt-4o-mini",
            "llm.input_messages.0.message.role": "user", "llm.input_messages.0.message.content": prompt,
            "llm.output_messages.0.message.role": "assistant",
            "llm.output_messages.0.message.tool_calls.0.tool_call.function.name": "lookup_account",
            "llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments": args,
            "input.value": json.dumps({"messages": [{"role": "user", "content": prompt}], "model": "gpt-4o-mini"})}),
        _span(run, 2, "lookup_account", {"openinference.span.kind": "TOOL", "tool.name": "lookup_account",
                                         "input.value": args, "output.value": '{"ok": true}'}))
    openai_v2 = _scope(
        "opentelemetry.instrumentation.openai_v2",
        _span(run, 3, "chat gpt-4o-mini", {"gen_ai.operation.name": "chat", **llm, "gen_ai.input.messages":
                                           _messages(prompt), "gen_ai.output.messages": _calls(args)}),
        _span(run, 4, "chat gpt-4o-mini", {"gen_ai.operation.name": "chat", **llm}, (
            ("gen_ai.client.inference.operation.details",
             {"gen_ai.input.messages": _messages(prompt), "gen_ai.output.messages": _calls(args)}),)),
        _span(run, 5, "execute_tool lookup_account", {"gen_ai.operation.name": "execute_tool",
                                                      "gen_ai.tool.name": "lookup_account",
                                                      "gen_ai.tool.call.arguments": args}))
    openllmetry = _scope(
        "opentelemetry.instrumentation.openai.v1",
        _span(run, 6, "openai.chat", {"llm.request.type": "chat", "gen_ai.request.model": "gpt-4o-mini",
                                      "gen_ai.usage.prompt_tokens": 10, "gen_ai.usage.completion_tokens": 5,
                                      "gen_ai.prompt.0.role": "user", "gen_ai.prompt.0.content": prompt,
                                      "gen_ai.completion.0.role": "assistant",
                                      "gen_ai.completion.0.tool_calls.0.name": "lookup_account",
                                      "gen_ai.completion.0.tool_calls.0.arguments": args}))
    return {"resource": {"attributes": _attrs({"service.name": "billing"})},
            "scopeSpans": [_scope("agentops_otel", root), openinference, openai_v2, openllmetry]}


def _trace(tmp_path: Path, *runs: tuple[str, str, str]) -> Path:
    path = tmp_path / "traces.jsonl"
    path.write_text("".join(json.dumps({"resourceSpans": [_resource_spans(*run)]}) + "\n"
                            for run in runs or [("sess-a", "ab" * 16, "4417")]))
    return path


def _cli(*argv: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    assert code in (0, 1), err.getvalue()
    return out.getvalue()


def _replay(path: Path, *options: str) -> str:
    return _cli("replay", "--source", str(path), "--max-field", "100000", *options)


@pytest.mark.parametrize("form", ["text", "json", "html"])
def test_secrets_in_other_instrumentations_content_are_masked_in_each_replay(form: str, tmp_path: Path) -> None:
    """Keys and tokens in their tool arguments and prompts read as [REDACTED]; tool and model names stay."""
    path = _trace(tmp_path)
    shown = _replay(path, "--json") if form == "json" else _replay(path)
    if form == "html":
        page = tmp_path / "replay.html"
        _replay(path, "--html", str(page))
        shown = page.read_text()
    assert "lookup_account" in shown and "gpt-4o-mini" in shown
    assert [s for s in SECRETS if s in shown] == []
    assert "[REDACTED]" in shown


def test_secrets_in_other_instrumentations_content_are_masked_in_a_diff(tmp_path: Path) -> None:
    """Two runs that differ in one argument: the diff shows the difference, and no key or token."""
    path = _trace(tmp_path, ("sess-a", "ab" * 16, "4417"), ("sess-b", "cd" * 16, "4418"))
    shown = _cli("diff", "--source", str(path), "sess-a", "sess-b")
    assert "4417" in shown and "4418" in shown
    assert [s for s in SECRETS if s in shown] == []
    assert "[REDACTED]" in shown


def test_a_key_in_other_spans_names_is_masked_in_the_replay(tmp_path: Path) -> None:
    """A span named after the URL it fetched (the key in its query), in a session or in a trace without one:
    the step and the session named after it read [REDACTED]."""
    trace = "ab" * 16
    resource = _resource_spans("sess-a", trace, "4417")
    fetched = _span(("sess-a", trace), 7, f"GET https://maps.example.com/v1/geocode?api_key={KEY}", {})
    resource["scopeSpans"].append(_scope("my_http_client", fetched))
    alone = {"traceId": "ef" * 16, "spanId": "f" * 16, "parentSpanId": "",
             "name": f"POST https://x.example.com/?token={KEY}", "kind": 2, "status": {"code": 1},
             "startTimeUnixNano": "1700000000000000000", "endTimeUnixNano": "1700000000100000000"}
    resource["scopeSpans"].append(_scope("my_http_client", alone))
    path = tmp_path / "traces.jsonl"
    path.write_text(json.dumps({"resourceSpans": [resource]}) + "\n")
    shown = _replay(path) + _replay(path, "--json")
    assert "maps.example.com" in shown and "x.example.com" in shown
    assert KEY not in shown


def _unreadable(span: dict[str, Any]) -> dict[str, Any]:
    """``span`` with an attribute whose value can't be read, the key as its text (an int64 that is none)."""
    span.setdefault("attributes", []).append({"key": "vendor.retries", "value": {"intValue": KEY}})
    return span


def test_the_issue_naming_other_spans_whose_attributes_could_not_be_read_shows_no_key(tmp_path: Path) -> None:
    """A span named after the URL it fetched, one of its values unreadable, in a session, in a trace without one
    and in a diff: the issue names the span and the attribute, masked."""
    def resource(sid: str, trace: str, account: str) -> dict[str, Any]:
        found = _resource_spans(sid, trace, account)
        fetched = _span((sid, trace), 7, f"GET https://maps.example.com/v1/geocode?api_key={KEY}", {})
        alone = {"traceId": trace[::-1], "spanId": "f" * 16, "parentSpanId": "",
                 "name": f"POST https://x.example.com/?token={KEY}", "kind": 2, "status": {"code": 1},
                 "startTimeUnixNano": "1700000000000000000", "endTimeUnixNano": "1700000000100000000"}
        found["scopeSpans"].append(_scope("my_http_client", _unreadable(fetched), _unreadable(alone)))
        return found

    path = tmp_path / "traces.jsonl"
    path.write_text("".join(json.dumps({"resourceSpans": [resource(*run)]}) + "\n"
                            for run in (("sess-a", "ab" * 16, "4417"), ("sess-b", "cd" * 16, "4417"))))
    shown = _replay(path) + _replay(path, "--json") + _cli("diff", "--source", str(path), "sess-a", "sess-b")
    assert "could not be read" in shown and "vendor.retries" in shown
    assert "maps.example.com" in shown and "x.example.com" in shown
    assert KEY not in shown



def _root_of_another_writer(sid: str, trace: str) -> dict[str, Any]:
    """A session root another writer recorded in our schema (its scope not ours, our end state on it): the
    agent's name, tags, reason and a verdict's explanation quote a key and a token."""
    start = 1_700_000_000_000_000_000
    verdict = {"gen_ai.evaluation.name": "no_auth_leak", "gen_ai.evaluation.score.label": "fail",
               "gen_ai.evaluation.explanation": f"the reply quoted {BEARER} and {KEY}"}
    return {"traceId": trace, "spanId": ROOT, "parentSpanId": "", "name": f"invoke_agent billing {KEY}", "kind": 1,
            "startTimeUnixNano": str(start), "endTimeUnixNano": str(start + 100_000_000), "status": {"code": 2},
            "attributes": _attrs({"session.id": sid, "gen_ai.operation.name": "invoke_agent",
                                  "agentops.session.end_state": "Fail",
                                  "agentops.session.end_reason": f"401 for {BEARER}",
                                  "gen_ai.usage.input_tokens": 17, "gen_ai.usage.output_tokens": 4,
                                  "agentops.session.llm_calls": 0}),
            "events": [{"name": "gen_ai.evaluation.result", "timeUnixNano": str(start + 50_000_000),
                        "attributes": _attrs(verdict)}]}


@pytest.mark.parametrize("form", ["text", "json", "html"])
def test_a_session_root_another_writer_recorded_is_shown_masked(form: str, tmp_path: Path) -> None:
    """Its name, end reason and verdicts read [REDACTED] where they held a key; state, counts and verdict stay."""
    root = _root_of_another_writer("sess-x", "ab" * 16)
    path = tmp_path / "traces.jsonl"
    path.write_text(json.dumps({"resourceSpans": [{"resource": {"attributes": _attrs({"service.name": "billing"})},
                                                   "scopeSpans": [_scope("billing_agent_port", root)]}]}) + "\n")
    shown = _replay(path, "--json") if form == "json" else _replay(path)
    if form == "html":
        page = tmp_path / "replay.html"
        _replay(path, "--html", str(page))
        shown = page.read_text()
    assert "no_auth_leak" in shown and "Fail" in shown and "17" in shown
    assert [s for s in SECRETS if s in shown] == []
    assert "[REDACTED]" in shown


def test_a_session_root_another_writer_recorded_is_masked_where_it_nests(tmp_path: Path) -> None:
    """Nested in one of our sessions, it is a step of ours: its name, attributes and verdicts read masked."""
    trace = "ab" * 16
    outer = _resource_spans("sess-a", trace, "4417")
    inner = _root_of_another_writer("sess-x", trace)
    inner.update(spanId="20" * 8, parentSpanId=ROOT)
    inner["attributes"] += _attrs({"agentops.session.parent_id": "sess-a", "agentops.seq": 9})
    outer["scopeSpans"].append(_scope("billing_agent_port", inner))
    path = tmp_path / "traces.jsonl"
    path.write_text(json.dumps({"resourceSpans": [outer]}) + "\n")
    shown = _cli("replay", "sess-a", "--source", str(path), "--max-field", "100000", "--json")
    assert "no_auth_leak" in shown and "sess-x" in shown
    assert [s for s in SECRETS if s in shown] == []


def test_an_unreadable_resource_value_is_not_quoted_in_the_replay(tmp_path: Path) -> None:
    """A resource attribute whose value can't be read: the issue names it, and masks the value it quotes."""
    resource = _resource_spans("sess-a", "ab" * 16, "4417")
    resource["resource"]["attributes"].append({"key": "deployment.shard", "value": {"intValue": KEY}})
    path = tmp_path / "traces.jsonl"
    path.write_text(json.dumps({"resourceSpans": [resource]}) + "\n")
    shown = _replay(path) + _replay(path, "--json")
    assert "could not read deployment.shard" in shown
    assert KEY not in shown
