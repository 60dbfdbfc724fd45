"""OTLP JSON decoding: every dialect gives the same records, files stream, errors say what broke."""

from __future__ import annotations

import gzip
import json
import math
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from otlp_samples import collector_dialect, compact, make_session_spans, tempo_dialect

from agentops_otel import semconv as sc
from agentops_otel.read import (
    MalformedPayload,
    ReadError,
    SpanRecord,
    decode_otlp_json,
    read_otlp_file,
    records_from_spans,
)
from agentops_otel.read._lazyattrs import LazyAttributes
from agentops_otel.reassemble import reassemble


def _norm(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return tuple(_norm(v) for v in value)
    if isinstance(value, dict):
        return {k: _norm(v) for k, v in value.items()}
    return value


def canon(r: SpanRecord) -> tuple[Any, ...]:
    return (r.trace_id, r.span_id, r.parent_span_id, r.name, r.kind, r.start_ns, r.end_ns, r.status_code,
            r.status_message, _norm(dict(r.attributes)),
            [(e.name, e.time_ns, _norm(dict(e.attributes))) for e in r.events],
            r.resource.get(sc.SERVICE_NAME), r.scope)


def expected(spans: list[ReadableSpan]) -> list[tuple[Any, ...]]:
    return sorted(canon(r) for r in records_from_spans(spans))


def test_collector_file_matches_sdk_spans(tmp_path: Path, session_spans: list[ReadableSpan]) -> None:
    """A collector file-exporter file (hex ids, int enums, string int64) decodes to the SDK's spans."""
    path = tmp_path / "traces.jsonl"
    other = make_session_spans("sess-2", service="billing")
    path.write_bytes(compact(collector_dialect(session_spans)) + b"\n" + compact(collector_dialect(other)) + b"\n")
    got = sorted(canon(r) for r in read_otlp_file(path))
    assert got == sorted(expected(session_spans) + expected(other))


def test_gzip_file(tmp_path: Path, session_spans: list[ReadableSpan]) -> None:
    """A gzip-compressed JSON-lines file reads like the plain one, whatever its name."""
    path = tmp_path / "traces.jsonl.gz"
    with gzip.open(path, "wb") as fh:
        fh.write(compact(collector_dialect(session_spans)) + b"\n")
        fh.write(compact(collector_dialect(session_spans)) + b"\n")
    got = [canon(r) for r in read_otlp_file(path)]
    assert sorted(got) == sorted(expected(session_spans) * 2)
    renamed = tmp_path / "traces.jsonl"
    renamed.write_bytes(path.read_bytes())
    assert len(list(read_otlp_file(renamed))) == len(got)


def test_tempo_dialect_base64_ids_and_enum_names(session_spans: list[ReadableSpan]) -> None:
    """Tempo's answer (base64 ids, SPAN_KIND_/STATUS_CODE_ names, spaced JSON) decodes the same."""
    doc = {"trace": tempo_dialect(session_spans)}
    spaced = json.dumps(doc).encode()
    assert b'"SPAN_KIND_CLIENT"' in spaced and b'", "' in spaced
    assert sorted(canon(r) for r in decode_otlp_json(spaced)) == expected(session_spans)
    assert sorted(canon(r) for r in decode_otlp_json(doc)) == expected(session_spans)


def test_jaeger_result_wrapper(session_spans: list[ReadableSpan]) -> None:
    """Jaeger v3's {"result": {"resourceSpans": …}} decodes, several traces merged in one result."""
    other = make_session_spans("sess-2")
    body = {"result": {"resourceSpans": collector_dialect(session_spans)["resourceSpans"]
                       + collector_dialect(other)["resourceSpans"]}}
    got = sorted(canon(r) for r in decode_otlp_json(json.dumps(body)))
    assert got == sorted(expected(session_spans) + expected(other))


def test_tempo_v1_batches_and_instrumentation_library(session_spans: list[ReadableSpan]) -> None:
    """Older shapes: ``batches`` and ``instrumentationLibrarySpans`` / ``instrumentationLibrary``."""
    doc = collector_dialect(session_spans)
    for rs in doc["resourceSpans"]:
        rs["instrumentationLibrarySpans"] = rs.pop("scopeSpans")
        for ss in rs["instrumentationLibrarySpans"]:
            ss["instrumentationLibrary"] = ss.pop("scope")
    got = sorted(canon(r) for r in decode_otlp_json({"batches": doc["resourceSpans"]}))
    assert got == expected(session_spans)


def test_pretty_printed_single_document_file(tmp_path: Path, session_spans: list[ReadableSpan]) -> None:
    """A .json file holding one indented document (not JSON lines) is read whole."""
    path = tmp_path / "export.json"
    path.write_text(json.dumps(tempo_dialect(session_spans), indent=2))
    assert sorted(canon(r) for r in read_otlp_file(path)) == expected(session_spans)


def test_blank_lines_crlf_and_empty_file(tmp_path: Path, session_spans: list[ReadableSpan]) -> None:
    """Blank lines and CRLF endings are tolerated; an empty file has no spans."""
    line = compact(collector_dialect(session_spans))
    path = tmp_path / "t.jsonl"
    path.write_bytes(b"\r\n" + line + b"\r\n\r\n  \n" + line + b"\r\n")
    assert len(list(read_otlp_file(path))) == 2 * len(session_spans)
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    assert list(read_otlp_file(empty)) == []


def test_whitespace_only_lines_of_any_length_are_blank(tmp_path: Path, session_spans: list[ReadableSpan]) -> None:
    """A line of only spaces, tabs or CR is skipped however long it is, like an empty one."""
    line = compact(collector_dialect(session_spans))
    path = tmp_path / "t.jsonl"
    for pad in (b" " * 7, b" " * 8, b" \t" * 500 + b"\r", b" " * 9):
        path.write_bytes(line + b"\n" + pad + b"\n" + line + b"\n" + pad)
        assert len(list(read_otlp_file(path))) == 2 * len(session_spans), pad


def test_truncated_last_line_is_skipped(tmp_path: Path, session_spans: list[ReadableSpan],
                                        caplog: pytest.LogCaptureFixture) -> None:
    """A writer still appending leaves a partial last line: skipped with a warning, not an error."""
    line = compact(collector_dialect(session_spans))
    path = tmp_path / "live.jsonl"
    path.write_bytes(line + b"\n" + line[: len(line) // 2])
    assert len(list(read_otlp_file(path))) == len(session_spans)
    assert "truncated last line 2" in caplog.text


def test_a_cut_last_line_with_its_newline_is_malformed(tmp_path: Path, session_spans: list[ReadableSpan]) -> None:
    """A last line whose newline was written is finished: cut short, it is damage, reported like any line."""
    line = compact(collector_dialect(session_spans))
    path = tmp_path / "cut.jsonl"
    path.write_bytes(line + b"\n" + line[: len(line) // 2] + b"\n")
    with pytest.raises(MalformedPayload, match=r"cut\.jsonl, line 2: not OTLP JSON"):
        list(read_otlp_file(path))


def test_a_line_being_written_is_named_in_unseen(tmp_path: Path, session_spans: list[ReadableSpan]) -> None:
    """The caller that must know what it missed (the gate) is told which line was skipped."""
    line = compact(collector_dialect(session_spans))
    path = tmp_path / "live.jsonl"
    path.write_bytes(line + b"\n" + line[:100])
    unseen: list[str] = []
    assert len(list(read_otlp_file(path, unseen=unseen))) == len(session_spans)
    assert unseen == [f"{path}, line 2: still being written (no newline yet), 100 bytes not read"]


def test_malformed_line_names_file_and_line(tmp_path: Path, session_spans: list[ReadableSpan]) -> None:
    """A broken line in the middle raises MalformedPayload with the file and line number."""
    line = compact(collector_dialect(session_spans))
    path = tmp_path / "bad.jsonl"
    path.write_bytes(line + b"\n{not json\n" + line + b"\n")
    with pytest.raises(MalformedPayload, match=r"bad\.jsonl, line 2: not OTLP JSON"):
        list(read_otlp_file(path))


def test_not_otlp_at_all(tmp_path: Path) -> None:
    """A file that is not OTLP JSON (wrong types) fails on its first line."""
    path = tmp_path / "x.jsonl"
    path.write_text('{"resourceSpans": "nope"}\n')
    with pytest.raises(MalformedPayload, match="line 1"):
        list(read_otlp_file(path))


def test_a_resource_without_scope_spans_is_malformed(tmp_path: Path, session_spans: list[ReadableSpan]) -> None:
    """Spans under a misspelled container key (here protobuf's scope_spans) are an error, not lost."""
    doc = collector_dialect(session_spans)
    for rs in doc["resourceSpans"]:
        rs["scope_spans"] = rs.pop("scopeSpans")
    path = tmp_path / "t.jsonl"
    path.write_bytes(compact(doc) + b"\n")
    with pytest.raises(MalformedPayload, match=r"t\.jsonl, line 1: .*under scope_spans"):
        list(read_otlp_file(path))


@pytest.mark.parametrize("level", ["resource", "scope"])
def test_spans_under_a_misspelled_inner_key_are_an_error_not_lost(tmp_path: Path, session_spans: list[ReadableSpan],
                                                                   level: str) -> None:
    """A misspelled scopeSpans (or spans) key hides the spans below it: the line is named, not read as empty."""
    doc = collector_dialect(session_spans)
    for rs in doc["resourceSpans"]:
        if level == "resource":
            rs["scopeSpan"] = rs.pop("scopeSpans")
        else:
            for ss in rs["scopeSpans"]:
                ss["span"] = ss.pop("spans")
    path = tmp_path / "t.jsonl"
    path.write_bytes(compact(collector_dialect(session_spans)) + b"\n" + compact(doc) + b"\n")
    wrong = "scopeSpan" if level == "resource" else "span"
    with pytest.raises(MalformedPayload, match=rf"t\.jsonl, line 2: .*'{wrong}'"):
        list(read_otlp_file(path))


@pytest.mark.parametrize("lines", [
    [{"resourceLogs": [{"scopeLogs": []}]}],
    [{"resourceLogs": [{"scopeLogs": []}]}, {"resourceMetrics": [{"scopeMetrics": []}]}, {}],
], ids=["logs", "other signals"])
def test_a_file_without_any_trace_export_is_an_error_not_no_sessions(tmp_path: Path,
                                                                     lines: list[dict[str, Any]]) -> None:
    """A file none of whose lines exports traces (the logs or metrics file) is named, not read as no spans."""
    path = tmp_path / "logs.jsonl"
    path.write_bytes(b"".join(compact(line) + b"\n" for line in lines))
    with pytest.raises(MalformedPayload, match=r"logs\.jsonl: no line of it is an OTLP trace export"):
        list(read_otlp_file(path))


def test_a_file_of_empty_objects_is_no_spans(tmp_path: Path) -> None:
    """{} is what a proto3 writer makes of an empty batch (of any signal): a file of them is no spans yet."""
    path = tmp_path / "t.jsonl"
    path.write_bytes(b"{}\n{}\n")
    assert list(read_otlp_file(path)) == []


def test_a_file_of_empty_trace_exports_is_no_spans(tmp_path: Path) -> None:
    """Empty trace batches are a traces file with nothing in it yet: no spans, no error."""
    path = tmp_path / "t.jsonl"
    path.write_bytes(b'{"resourceSpans": []}\n{}\n{"resourceLogs": []}\n')
    assert list(read_otlp_file(path)) == []


def test_a_resource_with_an_empty_batch_left_out_is_no_spans(tmp_path: Path,
                                                              session_spans: list[ReadableSpan]) -> None:
    """A resourceSpans entry without scopeSpans (how proto3 JSON writes an empty batch) reads as no spans."""
    doc = collector_dialect(session_spans)
    empty = {"resourceSpans": [{"resource": doc["resourceSpans"][0]["resource"]}]}
    path = tmp_path / "t.jsonl"
    path.write_bytes(compact(doc) + b"\n" + compact(empty) + b"\n")
    assert len(list(read_otlp_file(path))) == len(session_spans)


def test_lines_of_other_signals_in_a_shared_file_are_skipped(tmp_path: Path,
                                                              session_spans: list[ReadableSpan]) -> None:
    """One file exporter on the traces, metrics and logs pipelines writes all three: the spans are read."""
    other = [{"resourceLogs": [{"scopeLogs": []}]}, {"resourceMetrics": [{"scopeMetrics": []}]}]
    path = tmp_path / "t.jsonl"
    path.write_bytes(b"".join(compact(line) + b"\n" for line in [collector_dialect(session_spans), *other]))
    assert len(list(read_otlp_file(path))) == len(session_spans)


def test_an_empty_jaeger_result_is_no_spans() -> None:
    """Jaeger's and Tempo's wrappers around nothing read as no spans; around unknown keys, as an error."""
    assert list(decode_otlp_json({"result": {}})) == []
    with pytest.raises(MalformedPayload, match="'result' holds no resourceSpans"):
        list(decode_otlp_json({"result": {"resource_spans": []}}))


def test_bad_ids_are_malformed() -> None:
    """An id that is neither hex nor base64 is a malformed payload, not a crash."""
    doc = {"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "zz!!", "spanId": "00f067aa0ba902b7"}]}]}]}
    with pytest.raises(MalformedPayload, match="neither hex nor base64"):
        list(decode_otlp_json(doc))
    doc["resourceSpans"][0]["scopeSpans"][0]["spans"][0] = {"traceId": "a" * 32}  # type: ignore[index]
    with pytest.raises(MalformedPayload, match="no spanId"):
        list(decode_otlp_json(doc))


def test_missing_file_and_directory(tmp_path: Path) -> None:
    """Unreadable paths raise ReadError saying why."""
    with pytest.raises(ReadError, match="no such file"):
        list(read_otlp_file(tmp_path / "nope.jsonl"))
    with pytest.raises(ReadError, match="is a directory"):
        list(read_otlp_file(tmp_path))


def _doc(attributes: list[dict[str, Any]] | str, **span: Any) -> bytes:
    attrs = attributes if isinstance(attributes, str) else json.dumps(attributes, separators=(",", ":"))
    fields = {"traceId": "4bf92f3577b34da6a3ce929d0e0e4736", "spanId": "00f067aa0ba902b7", "name": "x", **span}
    head = json.dumps(fields, separators=(",", ":"))[:-1]
    return f'{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{head},"attributes":{attrs}}}]}}]}}]}}'.encode()


def test_attribute_value_types() -> None:
    """Every AnyValue form decodes: int as string or number, special doubles, bytes, arrays, kvlists."""
    attrs = [
        {"key": "i1", "value": {"intValue": "9007199254740993"}}, {"key": "i2", "value": {"intValue": 3}},
        {"key": "d", "value": {"doubleValue": 2.5}}, {"key": "nan", "value": {"doubleValue": "NaN"}},
        {"key": "inf", "value": {"doubleValue": "-Infinity"}}, {"key": "b", "value": {"boolValue": True}},
        {"key": "raw", "value": {"bytesValue": "aGk="}}, {"key": "empty", "value": {}},
        {"key": "arr", "value": {"arrayValue": {"values": [{"stringValue": "a"}, {"intValue": "1"}]}}},
        {"key": "kv", "value": {"kvlistValue": {"values": [{"key": "k", "value": {"boolValue": False}}]}}},
    ]
    (rec,) = decode_otlp_json(_doc(attrs))
    a = dict(rec.attributes)
    assert a["i1"] == 9007199254740993 and a["i2"] == 3 and a["d"] == 2.5 and math.isnan(a["nan"])
    assert a["inf"] == -math.inf and a["b"] is True and a["raw"] == b"hi" and a["empty"] is None
    assert a["arr"] == ("a", 1) and a["kv"] == {"k": False}


@pytest.mark.parametrize(
    ("attributes", "session"),
    [
        ('[{"key":"session.id","value":{"stringValue":"abc"}}]', "abc"),
        ('[ { "key" : "session.id" , "value" : { "stringValue" : "abc" } } ]', "abc"),
        ('[{"key":"session.id","value":{"stringValue":"a\\"b\\\\c"}}]', 'a"b\\c'),
        ('[{"value":{"stringValue":"abc"},"key":"session.id"}]', "abc"),
        ('[{"key":"note","value":{"stringValue":"session.id"}}]', None),
        ('[{"key":"args","value":{"stringValue":"{\\"session.id\\": 1}"}}]', None),
        ('[{"key":"session.id","value":{"intValue":"7"}}]', "7"),
        ('[{"key":"session.id","value":{"stringValue":""}}]', None),
        ("[]", None),
    ],
)
def test_session_id_fast_path_never_wrong(attributes: str, session: str | None) -> None:
    """The session id shortcut agrees with a full decode for every layout and escape."""
    (rec,) = decode_otlp_json(_doc(attributes))
    assert rec.session_id == session
    assert isinstance(rec.attributes, LazyAttributes)
    full = dict(rec.attributes).get(sc.SESSION_ID)
    assert (full if full not in ("", None) else None) == (session if session != "7" else 7)


def test_attributes_stay_undecoded_until_read(tmp_path: Path, session_spans: list[ReadableSpan]) -> None:
    """Reading a file decodes only session roots' attributes; looking inside another decodes just it."""
    path = tmp_path / "t.jsonl"
    path.write_bytes(compact(collector_dialect(session_spans)) + b"\n")
    records = [r for r in read_otlp_file(path) if not r.name.startswith("invoke_agent")]
    (root,) = [r for r in read_otlp_file(path) if r.name.startswith("invoke_agent")]
    assert isinstance(root.attributes, LazyAttributes) and root.attributes._decoded is not None
    lazy = [r.attributes for r in records]
    assert all(isinstance(a, LazyAttributes) and a._decoded is None for a in lazy)
    assert all(r.session_id == "sess-1" for r in records)
    assert all(a._decoded is None for a in lazy)  # the session id came from the shortcut
    assert records[0].attributes.get(sc.SEQ) is not None and lazy[0]._decoded is not None  # type: ignore[attr-defined]


def test_invalid_attribute_json_degrades_to_empty() -> None:
    """Attribute lists that are valid JSON but not OTLP read as empty with the reason kept."""
    (rec,) = decode_otlp_json(_doc('[{"nokey": 1}]'))
    assert dict(rec.attributes) == {} and isinstance(rec.attributes, LazyAttributes)
    assert rec.attributes.decode_error is not None


def test_file_and_memory_reassemble_alike(tmp_path: Path, session_spans: list[ReadableSpan]) -> None:
    """A session replayed from its file export equals the one replayed from memory."""
    path = tmp_path / "t.jsonl"
    path.write_bytes(compact(collector_dialect(session_spans)) + b"\n")
    from_file = reassemble(read_otlp_file(path)).timeline_for("sess-1")
    from_memory = reassemble(records_from_spans(session_spans)).timeline_for("sess-1")
    assert [s.to_builtins() for s in from_file.steps] == [s.to_builtins() for s in from_memory.steps]
    assert from_file.summary.end_state == sc.END_FAIL and from_file.summary.tags == ("prod", "eu")
    tool = from_file.tool_calls()[0]
    assert tool.error is not None and tool.error.type == "KeyError" and tool.input == '{"id": 7}'
    assert from_file.llm_calls()[0].input == '[{"role": "user", "content": "say \\"hi\\"\\n"}]'


def test_what_the_file_exporter_writes_reads_back_unchanged(tmp_path: Path) -> None:
    """Every attribute value type survives the file exporter and the reader: one encoding, both directions."""
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    from agentops_otel._otlp_json import OTLPJsonFileExporter

    values: dict[str, Any] = {"s": "text", "i": 2**62, "neg": -7, "f": 0.25, "b": True, "strs": ["a", "b"],
                              "ints": [1, 2], "floats": [1.5], "bools": [False, True]}
    path = tmp_path / "traces.jsonl"
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(OTLPJsonFileExporter(path)))
    span = provider.get_tracer("t").start_span("s", attributes=values)
    span.add_event("e", {"nested": "ok", "n": 3})
    span.end()
    provider.shutdown()
    (record,) = read_otlp_file(path)
    assert dict(record.attributes) == {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}
    assert [(e.name, dict(e.attributes)) for e in record.events] == [("e", {"nested": "ok", "n": 3})]


@pytest.mark.parametrize("value", [b"\x00\xff raw", {"k": [1, "x", {"deep": 2.5}]}, [[1, 2], []], "", 0])
def test_any_value_encoding_and_decoding_agree(value: Any) -> None:
    """python_to_any_value and any_value_to_python are inverses (sequences come back as tuples)."""
    import msgspec

    from agentops_otel._otlp_values import AnyValue, any_value_to_python, python_to_any_value

    wire = msgspec.json.encode(python_to_any_value(value))
    assert _norm(any_value_to_python(msgspec.json.decode(wire, type=AnyValue))) == _norm(value)


@pytest.mark.parametrize("value", [
    {"doubleValue": 0.0021}, {"doubleValue": 2.1e-05}, {"doubleValue": -1e-05}, {"intValue": "3"}, {"intValue": 3},
    {"doubleValue": "NaN"}, {"doubleValue": "Infinity"}, {"doubleValue": 1e308}, {"boolValue": True},
    {"stringValue": "0.5"}, {"intValue": "abc"}, {}, None,
])
def test_has_price_answers_from_the_raw_bytes_only_what_decoding_would_confirm(value: Any) -> None:
    """The raw-bytes shortcut for a model call's cost: when it says "a price" (finite, not negative),
    decoding agrees; when it can't tell, it says no and the caller decodes."""
    items = [{"key": "gen_ai.input.messages", "value": {"stringValue": '[{"x": "agentops.cost.usd"}]'}}]
    if value is not None:
        items.append({"key": sc.COST_USD, "value": value})
    raw = json.dumps(items, separators=(",", ":")).encode()
    fast = LazyAttributes(raw).has_price(sc.COST_USD)
    decoded = LazyAttributes(raw)
    recorded = decoded.get(sc.COST_USD)
    is_price = (isinstance(recorded, (int, float)) and not isinstance(recorded, bool) and math.isfinite(recorded)
                and recorded >= 0)
    assert not fast or is_price
    assert decoded.has_price(sc.COST_USD) == is_price  # once decoded, the decoded value decides
    if value in ({"doubleValue": 0.0021}, {"doubleValue": 2.1e-05}, {"intValue": "3"}, {"intValue": 3}):
        assert fast  # the compact forms our exporter and the Collector write are answered without decoding


@pytest.mark.parametrize("value", [
    {"intValue": "3"}, {"intValue": 3}, {"doubleValue": 7.0}, {"doubleValue": 2.5}, {"intValue": "-3"},
    {"stringValue": "3"}, {"boolValue": True}, {"intValue": "123456789012345678901"}, {}, None,
])
@pytest.mark.parametrize("nested", [False, True])
def test_whole_number_from_the_raw_bytes_is_what_decoding_reads(value: Any, nested: bool) -> None:
    """A span's seq read from the bytes is the decoded value's (a non-negative integer, else None), and
    the compact forms are read without decoding the rest (a tool's arguments, say)."""
    items: list[dict[str, Any]] = [
        {"key": "gen_ai.tool.call.arguments", "value": {"stringValue": '{"agentops.seq": 9}'}}]
    if nested:
        items.append({"key": "m", "value": {"kvlistValue": {"values": [{"key": sc.SEQ, "value": {"intValue": "8"}}]}}})
    if value is not None:
        items.append({"key": sc.SEQ, "value": value})
    raw = json.dumps(items, separators=(",", ":")).encode()
    fast = LazyAttributes(raw)
    found = fast.whole_number(sc.SEQ)
    decoded = LazyAttributes(raw).get(sc.SEQ)
    expected = (int(decoded) if isinstance(decoded, (int, float)) and not isinstance(decoded, bool)
                and decoded >= 0 and float(decoded).is_integer() else None)
    assert found == expected
    if value in ({"intValue": "3"}, {"intValue": 3}, None) and not nested:
        assert fast._decoded is None



@pytest.mark.parametrize("bad", ['{"doubleValue":1e400}', '{"stringValue":"\\ud800"}',
                                 '{"arrayValue":{"values":[{"stringValue":"ok"},{"stringValue":"\\udfff"}]}}'])
def test_a_value_the_decoder_refuses_loses_only_itself(bad: str) -> None:
    """An out-of-range number or a lone surrogate is one lost value, named; its neighbours are read."""
    raw = ('[{"key":"vendor.bad","value":' + bad + '},{"key":"gen_ai.request.model","value":'
           '{"stringValue":"gpt-4o"}},{"key":"agentops.seq","value":{"intValue":"3"}}]').encode()
    attrs = LazyAttributes(raw)
    assert dict(attrs) == {"gen_ai.request.model": "gpt-4o", "agentops.seq": 3}
    assert attrs.decode_error is not None and "vendor.bad" in attrs.decode_error


def test_a_line_cut_by_a_crash_is_skipped_and_named_in_unseen(tmp_path: Path, session_spans: list[ReadableSpan],
                                                              caplog: pytest.LogCaptureFixture) -> None:
    """A writer killed mid-line leaves a remnant the next run's spans follow on lines of their own: those
    are read, and the remnant is skipped, said, and named in unseen (what it held is not seen), rather
    than making the whole file unreadable."""
    line = compact(collector_dialect(session_spans))
    path = tmp_path / "crashed.jsonl"
    path.write_bytes(line[:100] + b"\n" + line + b"\n")
    unseen: list[str] = []
    assert len(list(read_otlp_file(path, unseen=unseen))) == len(session_spans)
    assert unseen == [f"{path}, line 1: cut short (a writer stopped mid-line), 100 bytes not read"]
    assert "line 1" in caplog.text and "cut short" in caplog.text


def test_a_byte_that_is_not_utf8_loses_only_its_value() -> None:
    """A writer that put one raw non-UTF-8 byte in a value (JSON must be UTF-8) loses that value, named;
    the span's other attributes, its session id among them, are read."""
    raw = (b'[{"key":"session.id","value":{"stringValue":"s1"}},{"key":"tool.result","value":{"stringValue":"ok\xff"}},'
           b'{"key":"gen_ai.request.model","value":{"stringValue":"gpt-4o"}}]')
    attrs = LazyAttributes(raw)
    assert dict(attrs) == {"session.id": "s1", "gen_ai.request.model": "gpt-4o"}
    assert attrs.decode_error is not None and "tool.result" in attrs.decode_error


def test_a_key_that_is_not_utf8_loses_only_its_attribute() -> None:
    """The same byte in a key: that attribute is lost and said, the others are read."""
    raw = (b'[{"key":"vendor.\xff","value":{"stringValue":"x"}},'
           b'{"key":"gen_ai.request.model","value":{"stringValue":"gpt-4o"}}]')
    attrs = LazyAttributes(raw)
    assert dict(attrs) == {"gen_ai.request.model": "gpt-4o"}
    assert attrs.decode_error is not None and "could not read vendor." in attrs.decode_error
    attrs.decode_error.encode()  # the note itself can be printed and written out
