"""What a reassembly keeps in memory per span: a million model calls must not each keep a decoded dict."""

from __future__ import annotations

from pathlib import Path

from test_cli import session_line, write_file

from agentops_otel.read import read_otlp_file
from agentops_otel.read._lazyattrs import LazyAttributes
from agentops_otel.reassemble import reassemble


def test_a_reassembly_keeps_no_decoded_attributes_of_the_model_calls_it_totals(tmp_path: Path) -> None:
    """The totals check reads every call's usage, and the calls stay undecoded views of the file (~900 bytes a
    call less: 1M calls went from 0.75 to 1.6 GB of heap when each kept its dict); the totals are still read."""
    path = write_file(tmp_path / "runs.jsonl", [session_line(n, fail=False, cost=0.25) for n in range(1, 4)])
    found = reassemble(read_otlp_file(path))
    calls = [step for tl in found.sessions for step in tl.steps if step.kind == "llm"]
    assert len(calls) == 3
    assert all(isinstance(s.attributes, LazyAttributes) and s.attributes._decoded is None for s in calls)
    assert [tl.summary.cost_usd for tl in found.sessions] == [0.25, 0.25, 0.25]
    assert [tl.summary.input_tokens for tl in found.sessions] == [412, 412, 412]


def test_a_model_call_giving_a_key_twice_is_still_named_by_the_reassembly(tmp_path: Path) -> None:
    """A call whose list gives its cost twice is decoded and kept, so the session names the contradiction."""
    line = session_line(1, fail=False)
    call = line["resourceSpans"][0]["scopeSpans"][0]["spans"][1]
    call["attributes"].append({"key": "agentops.cost.usd", "value": {"doubleValue": 9.0}})
    path = write_file(tmp_path / "twice.jsonl", [line])
    (tl,) = reassemble(read_otlp_file(path)).sessions
    assert any("agentops.cost.usd given twice" in issue for issue in tl.summary.issues)
