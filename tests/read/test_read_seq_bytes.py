"""``agentops.seq`` read with the session id while a file is read: the value the full decode reads, every time."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agentops_otel import semconv as sc
from agentops_otel.read import decode_otlp_json
from agentops_otel.read._lazyattrs import LazyAttributes
from agentops_otel.reassemble._classify import seq_of

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
SID = {"key": sc.SESSION_ID, "value": {"stringValue": "s1"}}


def _doc(attributes: str) -> bytes:
    span = (f'{{"traceId":"{TRACE}","spanId":"00f067aa0ba902b7","name":"execute_tool t",'
            f'"startTimeUnixNano":"1","endTimeUnixNano":"2","attributes":{attributes}}}')
    return f'{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{span}]}}]}}]}}'.encode()


def _decoded_seq(attributes: str) -> int | None:
    """What the full decode reads: a non-negative integer, else None (``whole_number``'s rule)."""
    value = dict(LazyAttributes(attributes.encode())).get(sc.SEQ)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return int(value) if value >= 0 and float(value).is_integer() else None


_VALUES = st.sampled_from([
    '{"intValue":"3"}', '{"intValue":3}', '{"intValue":"0"}', '{"intValue":"007"}', '{"intValue":"-3"}',
    '{"intValue":"123456789012345678"}', '{"intValue":"1234567890123456789012"}',
    '{"intValue":12345678901234567890123}',
    '{"doubleValue":7.0}', '{"doubleValue":2.5}', '{"stringValue":"3"}', '{"boolValue":true}', '{}',
    '{"intValue":"3","stringValue":"x"}', '{"intValue":"4"}', '{ "intValue" : "5" }',
])
_ELEMENTS = st.one_of(
    _VALUES.map(lambda v: f'{{"key":"{sc.SEQ}","value":{v}}}'),
    _VALUES.map(lambda v: f'{{ "key" : "{sc.SEQ}" , "value" : {v} }}'),
    _VALUES.map(lambda v: '{"key":"agentops\\u002eseq","value":' + v + "}"),
    _VALUES.map(lambda v: '{"key":"m","value":{"kvlistValue":{"values":[{"key":"' + sc.SEQ + '","value":' + v
                + "}]}}}"),
    st.just('{"key":"gen_ai.tool.call.arguments","value":{"stringValue":"{\\"agentops.seq\\": 9}"}}'),
    st.just('{"key":"gen_ai.tool.name","value":{"stringValue":"t"}}'),
)


@given(st.lists(_ELEMENTS, max_size=4), st.booleans())
def test_the_seq_read_with_the_session_id_is_the_one_decoding_reads(rest: list[str], sid_first: bool) -> None:
    """Given twice, spaced, escaped, nested, as text, out of range: the seq reassembly orders by is the decoded one."""
    sid = json.dumps(SID, separators=(",", ":"))
    elements = [sid, *rest] if sid_first else [*rest, sid]
    attributes = "[" + ",".join(elements) + "]"
    (rec,) = decode_otlp_json(_doc(attributes))
    assert seq_of(rec) == _decoded_seq(attributes)


@pytest.mark.parametrize("value", ['{"intValue":"3"}', '{"intValue":3}'])
def test_reassembly_reads_no_seq_from_the_bytes_again_in_the_form_our_exporter_writes(
        value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Right after the session id, as our exporter writes it, the seq is known once the span is read."""
    attributes = ('[{"key":"session.id","value":{"stringValue":"s1"}},{"key":"agentops.seq","value":' + value + '},'
                  '{"key":"gen_ai.tool.call.arguments","value":{"stringValue":"{\\"q\\": 1}"}}]')
    (rec,) = decode_otlp_json(_doc(attributes))

    def no_regex(self: LazyAttributes, key: str) -> Any:
        raise AssertionError(f"{key} read from the bytes again")

    monkeypatch.setattr(LazyAttributes, "whole_number", no_regex)
    assert seq_of(rec) == 3
    assert rec.attributes._decoded is None
