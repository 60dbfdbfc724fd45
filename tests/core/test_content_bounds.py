"""Recorded tool/action arguments and results: each argument bounded on its own, always valid JSON."""

from __future__ import annotations

import json
from typing import Any

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import agentops_otel as agentops
from agentops_otel import config, semconv
from agentops_otel._cut import MORE_ITEMS_MARKER, TRUNCATED_MARKER
from agentops_otel._serialize import bounded_json
from agentops_otel.testing import assert_tool_called


def _attr(exporter: InMemorySpanExporter, prefix: str, key: str) -> Any:
    spans = [s for s in exporter.get_finished_spans() if s.name.startswith(prefix)]
    assert len(spans) == 1, [s.name for s in exporter.get_finished_spans()]
    return (spans[0].attributes or {})[key]


def test_long_sibling_argument_leaves_the_others_matchable(span_exporter: InMemorySpanExporter) -> None:
    """A 100 kB argument is cut on its own: assert_tool_called still finds customer_id=4417."""

    @agentops.tool
    def lookup(customer_id: str, notes: str) -> str:
        return "ok"

    with agentops.session("bounds") as session:
        lookup("4417", "n" * 100_000)
    assert_tool_called(session, "lookup", times=1, with_args={"customer_id": "4417"})


def test_arguments_stay_a_json_object_with_a_marker_per_cut_argument(
        span_exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every argument is bounded separately; the cut one carries the truncation marker."""
    monkeypatch.setattr(config.state, "max_value_chars", 50)

    @agentops.tool
    def lookup(customer_id: str, notes: str, flags: list[int]) -> str:
        return "ok"

    lookup("4417", "n" * 1000, list(range(3)))
    args = json.loads(_attr(span_exporter, "execute_tool lookup", semconv.GEN_AI_TOOL_CALL_ARGUMENTS))
    assert args["customer_id"] == "4417"
    assert args["flags"] == [0, 1, 2]
    assert args["notes"] == "n" * 50 + TRUNCATED_MARKER.format(n=950)


def test_huge_list_is_bounded_before_encoding(span_exporter: InMemorySpanExporter,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """A 2M-item list argument is recorded as a valid prefix plus a count marker."""
    monkeypatch.setattr(config.state, "max_value_chars", 100)

    @agentops.record_action("scan")
    def scan(rows: list[int], label: str) -> int:
        return len(rows)

    rows = list(range(2_000_000))
    assert scan(rows, "today") == 2_000_000
    params = json.loads(_attr(span_exporter, "action scan", semconv.ACTION_PARAMS))
    assert params["label"] == "today"
    kept = params["rows"]
    assert kept[:3] == [0, 1, 2]
    assert kept[-1] == MORE_ITEMS_MARKER.format(n=2_000_000 - (len(kept) - 1))
    assert len(json.dumps(kept)) < 200


def test_items_past_the_limit_are_never_looked_at() -> None:
    """Bounding walks only as many items as fit in the limit, however long the list."""
    touched: list[int] = []

    class Row:
        def __init__(self, i: int) -> None:
            self.i = i

        def __repr__(self) -> str:
            touched.append(self.i)
            return f"Row({self.i})"

    text = bounded_json([Row(i) for i in range(100_000)], 100)
    assert json.loads(text)[-1] == MORE_ITEMS_MARKER.format(n=100_000 - len(touched))
    assert len(touched) < 20


def test_results_are_bounded_the_same_way(span_exporter: InMemorySpanExporter,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """A result dict with one long field keeps its short fields intact and parses."""
    monkeypatch.setattr(config.state, "max_value_chars", 40)

    @agentops.tool
    def fetch() -> dict[str, str]:
        return {"id": "4417", "body": "b" * 5000}

    fetch()
    result = json.loads(_attr(span_exporter, "execute_tool fetch", semconv.GEN_AI_TOOL_CALL_RESULT))
    assert result["id"] == "4417"
    assert result["body"].startswith("bbb") and "…[truncated" in result["body"]
    assert len(json.dumps(result)) < 120


def test_content_that_msgspec_cannot_encode_is_kept_not_cut_to_nothing() -> None:
    """Shaped content holding a non-JSON object still records its plain parts whole (the fallback walk)."""
    from agentops_otel._parts import encode

    class Opaque:
        def __repr__(self) -> str:
            return "<opaque>"

    text = encode([{"role": "user", "parts": [{"type": "text", "content": "hello there"}], "x": Opaque()}])
    assert "hello there" in text and "<opaque>" in text


def test_recording_a_mock_mapping_calls_none_of_its_methods(span_exporter: InMemorySpanExporter) -> None:
    """A MagicMock(spec=dict) argument is recorded without a call on it: the test's mock_calls stay its own."""
    from unittest import mock

    @agentops.tool
    def handle(payload: Any, client: Any) -> Any:
        return client.send(payload)

    payload, client = mock.MagicMock(spec=dict), mock.MagicMock()
    handle(payload, client)
    assert payload.mock_calls == []
    client.send.assert_called_once_with(payload)
    assert "MagicMock" in _attr(span_exporter, "execute_tool handle", semconv.GEN_AI_TOOL_CALL_ARGUMENTS)


def test_a_mapping_and_a_list_subclass_are_read_without_running_their_code() -> None:
    """Recording reads a dict or list subclass's own items; its overridden methods and a Mapping's are not called."""
    from collections.abc import Iterator, Mapping

    called: list[str] = []

    class Loud(dict[str, Any]):
        def items(self) -> Any:
            called.append("items")
            return super().items()

    class Rows(list[int]):
        def __iter__(self) -> Iterator[int]:
            called.append("iter")
            return super().__iter__()

    class Lazy(Mapping[str, int]):
        def __getitem__(self, key: str) -> int:
            called.append("getitem")
            return 1

        def __iter__(self) -> Iterator[str]:
            called.append("iter")
            return iter(["a"])

        def __len__(self) -> int:
            called.append("len")
            return 1

    assert json.loads(bounded_json({"loud": Loud(a=1), "rows": Rows([1, 2])}, 200)) == {
        "loud": {"a": 1}, "rows": [1, 2]}
    assert "Lazy" in json.loads(bounded_json(Lazy(), 200))
    assert called == []


def test_a_dataclass_field_hidden_from_repr_is_not_recorded() -> None:
    """A dataclass field declared field(repr=False) is left out of the record, as it is left out of repr."""
    import dataclasses

    @dataclasses.dataclass
    class Conn:
        host: str
        dsn_blob: str = dataclasses.field(repr=False)

    assert json.loads(bounded_json(Conn("db.internal", "hunter2"), 200)) == {"host": "db.internal"}


def test_recording_an_event_with_mock_params_calls_none_of_its_methods(span_exporter: InMemorySpanExporter) -> None:
    """record(ActionEvent(params=MagicMock(spec=dict))) leaves the mock's mock_calls empty."""
    from unittest import mock

    from agentops_otel import ActionEvent

    params = mock.MagicMock(spec=dict)
    with agentops.session("mock params"):
        agentops.record(ActionEvent(action_type="charge", params=params))
    assert params.mock_calls == []


def test_dict_views_and_mapping_proxies_are_walked_within_the_bound(span_exporter: InMemorySpanExporter) -> None:
    """d.keys(), d.values(), d.items() and a MappingProxyType are read item by item, as far as the bound
    reaches (not printed whole first), and a secret-named entry among d.items() is masked."""
    from types import MappingProxyType

    big = {f"k{i}": i for i in range(200_000)}

    @agentops.tool
    def take(keys: Any, values: Any, items: Any, proxy: Any, pairs: Any) -> str:
        return "ok"

    take(big.keys(), big.values(), big.items(), MappingProxyType({"a": 1, "api_key": "live-123"}),
         {"user": "bob", "password": "hunter2-secret"}.items())
    args = json.loads(_attr(span_exporter, "execute_tool take", semconv.GEN_AI_TOOL_CALL_ARGUMENTS))
    assert args["keys"][:2] == ["k0", "k1"] and args["keys"][-1].startswith(MORE_ITEMS_MARKER.split("{")[0])
    assert args["values"][:2] == [0, 1]
    assert args["items"][:2] == [["k0", 0], ["k1", 1]]
    assert args["proxy"] == {"a": 1, "api_key": "[REDACTED]"}
    assert args["pairs"] == [["user", "bob"], ["password", "[REDACTED]"]]
