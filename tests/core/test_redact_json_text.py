"""A tool argument or result given as JSON *text* is masked by its keys as the same data given as a dict is."""

from __future__ import annotations

import json

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import agentops_otel as agentops
from agentops_otel import semconv

CONFIG = '{"db": {"host": "db1", "credentials": {"user": "ann", "pass": "CREDPW111"}}, "secrets": ["S1-XYZ", "S2-XYZ"]}'


def _tool_span(exporter: InMemorySpanExporter) -> ReadableSpan:
    (span,) = [s for s in exporter.get_finished_spans() if s.name.startswith("execute_tool")]
    return span


def _recorded(span: ReadableSpan, attribute: str) -> object:
    return json.loads(str((span.attributes or {})[attribute]))


def test_a_json_text_argument_is_masked_by_its_keys(span_exporter: InMemorySpanExporter) -> None:
    """Values under secret-named keys of a JSON string argument (an object, a list) are masked whole."""
    @agentops.tool
    def run_sql(q: str) -> str:
        return "ok"

    run_sql(CONFIG)
    text = _recorded(_tool_span(span_exporter), semconv.GEN_AI_TOOL_CALL_ARGUMENTS)["q"]  # type: ignore[index]
    assert "CREDPW111" not in text and "S1-XYZ" not in text
    assert json.loads(text) == {"db": {"host": "db1", "credentials": "[REDACTED]"}, "secrets": "[REDACTED]"}


def test_a_json_text_result_is_masked_by_its_keys(span_exporter: InMemorySpanExporter) -> None:
    """A tool returning ``json.dumps(...)`` of data holding a secret-named key records it masked, still JSON."""
    @agentops.tool
    def load() -> str:
        return json.dumps([{"name": "prod", "credentials": {"token": "TOK-9999"}}])

    assert "TOK-9999" in load()
    text = _recorded(_tool_span(span_exporter), semconv.GEN_AI_TOOL_CALL_RESULT)
    assert json.loads(text) == [{"name": "prod", "credentials": "[REDACTED]"}]  # type: ignore[arg-type]


def test_a_json_text_without_secrets_is_recorded_as_given(span_exporter: InMemorySpanExporter) -> None:
    """JSON text with nothing to mask keeps its own spacing and order; text that only looks like JSON is text."""
    @agentops.tool
    def send(body: str, note: str) -> None:
        return None

    body = '{ "token_count": 3,\n  "items": [1, 2] }'
    send(body, "{not json: password=PW-12345")
    args = _recorded(_tool_span(span_exporter), semconv.GEN_AI_TOOL_CALL_ARGUMENTS)
    assert args == {"body": body, "note": "{not json: password=[REDACTED]"}


def test_a_json_text_in_a_dict_argument_is_masked_by_its_keys(span_exporter: InMemorySpanExporter) -> None:
    """A JSON string inside a dict argument (a request's body) is read by its keys too."""
    @agentops.tool
    def post(request: dict[str, str]) -> None:
        return None

    post({"url": "https://x.example", "body": '{"client": {"client_secret": {"v": "CS-777777"}}}'})
    args = _recorded(_tool_span(span_exporter), semconv.GEN_AI_TOOL_CALL_ARGUMENTS)
    assert "CS-777777" not in json.dumps(args)
    assert json.loads(args["request"]["body"]) == {"client": {"client_secret": "[REDACTED]"}}  # type: ignore[index]


def test_a_json_text_argument_over_the_value_bound_is_masked_by_its_keys_before_the_cut(
        span_exporter: InMemorySpanExporter) -> None:
    """``json.dumps(config)`` longer than the bound is masked by its keys first, then cut: what it holds under a
    secret-named key deep inside is masked as in the same dict, which is masked too."""
    @agentops.tool
    def connect(config: object) -> str:
        return "ok"

    config = {"db": {"credentials": {"user": "admin", "pass": "Zq8xW2vLp9"}}, "notes": "x" * 5000}
    with agentops.session("s"):
        connect(json.dumps(config))
        connect(config)
    for span in [s for s in span_exporter.get_finished_spans() if s.name == "execute_tool connect"]:
        recorded = str((span.attributes or {})[semconv.GEN_AI_TOOL_CALL_ARGUMENTS])
        assert "Zq8xW2vLp9" not in recorded and "admin" not in recorded
        assert "truncated" in recorded


def test_a_json_text_result_over_the_value_bound_is_masked_by_its_keys_before_the_cut(
        span_exporter: InMemorySpanExporter) -> None:
    """The same for a tool's result: the secret after the cut point and the one before it are both masked, and
    the text kept is the masked text's head with the cut marker."""
    @agentops.tool
    def load() -> str:
        return json.dumps({"token": "TOK-AAAA1111", "rows": ["r" * 100] * 60, "auth": {"k": "TOK-BBBB2222"}})

    load()
    text = str((_tool_span(span_exporter).attributes or {})[semconv.GEN_AI_TOOL_CALL_RESULT])
    assert "TOK-AAAA1111" not in text and "TOK-BBBB2222" not in text
    assert json.loads(text).startswith('{"token":"[REDACTED]","rows":["rrr') and "…[truncated" in text


def test_json_text_past_the_parse_bound_is_cut_then_masked_as_text(span_exporter: InMemorySpanExporter) -> None:
    """JSON text of several megabytes is not parsed (its cost is bounded): cut first, masked as text."""
    import time

    @agentops.tool
    def load() -> str:
        return json.dumps({"rows": ["r" * 1000] * 5000, "token": "TOK-CCCC3333"})

    started = time.perf_counter()
    load()
    assert time.perf_counter() - started < 2.0
    text = json.loads(str((_tool_span(span_exporter).attributes or {})[semconv.GEN_AI_TOOL_CALL_RESULT]))
    assert text.startswith('{"rows": ["rrr') and "…[truncated" in text
