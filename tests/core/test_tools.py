"""@tool and @record_action: spans per call for every kind of function, safe argument recording."""

from __future__ import annotations

import asyncio
import gc
import inspect
import json
import threading
import weakref
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

import agentops_otel as agentops
from agentops_otel import config, semconv
from agentops_otel._cut import CYCLE_MARKER


def _only(exporter: InMemorySpanExporter, prefix: str):  # type: ignore[no-untyped-def]
    found = [s for s in exporter.get_finished_spans() if s.name.startswith(prefix)]
    assert len(found) == 1, [s.name for s in exporter.get_finished_spans()]
    return found[0]


def test_tool_records_arguments_result_and_duration(span_exporter: InMemorySpanExporter) -> None:
    """Arguments are named as in the signature, the result is JSON, the span has a duration."""

    @agentops.tool
    def fetch(customer_id: str, *, verbose: bool = False) -> dict[str, str]:
        return {"id": customer_id}

    with agentops.session("s"):
        assert fetch("42", verbose=True) == {"id": "42"}
    span = _only(span_exporter, "execute_tool fetch")
    assert json.loads(span.attributes[semconv.GEN_AI_TOOL_CALL_ARGUMENTS]) == {"customer_id": "42", "verbose": True}
    assert json.loads(span.attributes[semconv.GEN_AI_TOOL_CALL_RESULT]) == {"id": "42"}
    assert span.attributes[semconv.GEN_AI_TOOL_NAME] == "fetch"
    assert span.end_time > span.start_time


def test_methods_leave_self_out(span_exporter: InMemorySpanExporter) -> None:
    """A decorated method records its arguments without `self`."""

    class Agent:
        @agentops.tool(name="search")
        def search(self, query: str) -> list[str]:
            return [query]

    Agent().search("q")
    assert json.loads(_only(span_exporter, "execute_tool search").attributes[
        semconv.GEN_AI_TOOL_CALL_ARGUMENTS]) == {"query": "q"}


def test_exception_is_recorded_on_that_span_and_reraised(span_exporter: InMemorySpanExporter) -> None:
    """The raising step's span gets the exception; the same object propagates; the root names it."""
    err = ValueError("customer_id cannot be None")

    @agentops.record_action("fetch_customer_data")
    def fetch(customer_id: str | None) -> None:
        raise err

    with pytest.raises(ValueError) as caught, agentops.session("s"):
        fetch(None)
    assert caught.value is err
    step = _only(span_exporter, "action fetch_customer_data")
    assert step.status.status_code is StatusCode.ERROR
    assert step.attributes[semconv.ERROR_TYPE] == "ValueError"
    assert step.events[0].attributes["exception.message"] == "customer_id cannot be None"
    root = _only(span_exporter, "invoke_agent")
    assert root.attributes[semconv.SESSION_FAILED_SPAN_NAME] == "action fetch_customer_data"
    assert root.attributes[semconv.SESSION_FAILED_SPAN_ID] == format(step.context.span_id, "016x")


def test_async_tool_and_kind_preserved(span_exporter: InMemorySpanExporter) -> None:
    """Async functions stay coroutine functions and are traced across awaits."""

    @agentops.tool
    async def slow(x: int) -> int:
        await asyncio.sleep(0)
        return x * 2

    assert inspect.iscoroutinefunction(slow)
    assert asyncio.run(slow(4)) == 8
    assert _only(span_exporter, "execute_tool slow").attributes[semconv.GEN_AI_TOOL_CALL_RESULT] == "8"


def test_generator_tool_spans_the_iteration(span_exporter: InMemorySpanExporter) -> None:
    """A generator tool's span covers iteration; the consumer's code between yields is not inside it."""

    @agentops.tool
    def pages(n: int) -> Iterator[int]:
        yield from range(n)

    assert inspect.isgeneratorfunction(pages)
    with agentops.session("s") as s:
        seen = []
        for item in pages(3):
            seen.append(item)
            assert agentops.current_session() is s
    assert seen == [0, 1, 2]
    span = _only(span_exporter, "execute_tool pages")
    assert json.loads(span.attributes[semconv.GEN_AI_TOOL_CALL_RESULT])["items"] == [0, 1, 2]


def test_generator_closed_early_and_error_inside(span_exporter: InMemorySpanExporter) -> None:
    """Breaking out of a generator ends its span once; an error inside marks it ERROR and propagates."""

    @agentops.tool
    def numbers() -> Iterator[int]:
        yield 1
        yield 2
        raise RuntimeError("page 3 failed")

    for _n in numbers():
        break
    assert json.loads(_only(span_exporter, "execute_tool numbers").attributes[
        semconv.GEN_AI_TOOL_CALL_RESULT])["closed_early"] is True
    span_exporter.clear()
    with pytest.raises(RuntimeError, match="page 3 failed"):
        list(numbers())
    assert _only(span_exporter, "execute_tool numbers").status.status_code is StatusCode.ERROR


def test_async_generator_tool(span_exporter: InMemorySpanExporter) -> None:
    """Async generators are traced too and keep their kind."""

    @agentops.tool
    async def stream() -> AsyncIterator[str]:
        for word in ("a", "b"):
            yield word

    async def consume() -> list[str]:
        return [w async for w in stream()]

    assert inspect.isasyncgenfunction(stream)
    assert asyncio.run(consume()) == ["a", "b"]
    assert json.loads(_only(span_exporter, "execute_tool stream").attributes[
        semconv.GEN_AI_TOOL_CALL_RESULT])["yielded"] == 2


def test_unserialisable_cyclic_bytes_and_huge_arguments(span_exporter: InMemorySpanExporter) -> None:
    """Any argument records safely: objects by repr, cycles marked, bytes summarised, huge values cut alone."""

    class Opaque:
        def __repr__(self) -> str:
            return "<Opaque>"

    class Hostile:
        def __repr__(self) -> str:
            raise RuntimeError("no repr for you")

    cyclic: list[object] = []
    cyclic.append(cyclic)
    config.state.max_value_chars = 200
    try:

        @agentops.tool
        def take(a: object, b: object, c: bytes, d: str, e: object) -> str:
            return "ok"

        assert take(Opaque(), cyclic, b"\x00\xffbinary", "x" * 10_000, Hostile()) == "ok"
    finally:
        config.state.max_value_chars = None
    text = _only(span_exporter, "execute_tool take").attributes[semconv.GEN_AI_TOOL_CALL_ARGUMENTS]
    args = json.loads(text)
    assert args["a"] == "<Opaque>" and args["b"] == [CYCLE_MARKER] and "bytes" in args["c"]
    assert args["d"].endswith("…[truncated 9800 chars]") and len(args["d"]) < 230


def test_content_capture_off_records_no_arguments(span_exporter: InMemorySpanExporter,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """With capture set to no_content, tool spans carry names and timing but no payloads."""
    monkeypatch.setattr(config.state, "capture_override", config.ContentCapture.NO_CONTENT)

    @agentops.tool
    def secret(password: str) -> str:
        return password

    secret("hunter2")
    span = _only(span_exporter, "execute_tool secret")
    assert semconv.GEN_AI_TOOL_CALL_ARGUMENTS not in span.attributes
    assert "hunter2" not in str(dict(span.attributes))


class _Text(str):
    """An agent framework's own string type (a str subclass)."""


def test_arguments_of_a_str_subclass_are_recorded_as_their_text(span_exporter: InMemorySpanExporter) -> None:
    """A str subclass is the text it holds, in the arguments and in the result, not its repr."""

    @agentops.tool
    def search(query: str) -> str:
        return _Text(f"found {query}")

    with agentops.session("s"):
        search(_Text("invoices"))
    span = _only(span_exporter, "execute_tool search")
    assert json.loads(span.attributes[semconv.GEN_AI_TOOL_CALL_ARGUMENTS]) == {"query": "invoices"}
    assert json.loads(span.attributes[semconv.GEN_AI_TOOL_CALL_RESULT]) == "found invoices"



def test_another_threads_garbage_collection_does_not_hold_back_a_tool_span(
        span_exporter: InMemorySpanExporter) -> None:
    """While a finaliser blocks in another thread's collection, a failing tool here still ends its span at once."""
    in_finaliser, release = threading.Event(), threading.Event()

    class Connection:
        def __init__(self) -> None:
            self.me = self  # a reference cycle: only the cyclic collector frees it

        def __del__(self) -> None:
            in_finaliser.set()
            release.wait(5)

    def background() -> None:
        Connection()
        gc.collect()

    @agentops.tool
    def charge(amount: int) -> str:
        raise ValueError("card declined")

    worker = threading.Thread(target=background)
    with agentops.session("checkout") as s:
        worker.start()
        assert in_finaliser.wait(5)
        try:
            with pytest.raises(ValueError):
                charge(500)
            assert [e.status.status_code for e in span_exporter.get_finished_spans()] == [StatusCode.ERROR]
            assert len(s.errors) == 1
        finally:
            release.set()
            worker.join()


def test_generator_tool_keeps_no_yielded_item_alive(span_exporter: InMemorySpanExporter) -> None:
    """Items a generator tool yielded are freed once the consumer drops them, as without the decorator."""

    class Chunk:
        pass

    alive: list[weakref.ref[Chunk]] = []

    @agentops.tool
    def chunks(n: int) -> Iterator[Chunk]:
        for _ in range(n):
            chunk = Chunk()
            alive.append(weakref.ref(chunk))
            yield chunk

    gen = chunks(60)
    for i, _chunk in enumerate(gen):
        if i == 49:
            break
    del _chunk
    gc.collect()
    assert sum(ref() is not None for ref in alive) <= 1  # the one the paused generator still holds
    gen.close()
    assert json.loads(_only(span_exporter, "execute_tool chunks").attributes[
        semconv.GEN_AI_TOOL_CALL_RESULT])["yielded"] == 50


def test_generator_tool_records_each_item_as_it_was_yielded(span_exporter: InMemorySpanExporter) -> None:
    """The recorded items are what was yielded, not what the consumer later turned them into."""

    @agentops.tool
    def rows() -> Iterator[dict[str, str]]:
        yield {"status": "new"}
        yield {"status": "new"}

    for row in rows():
        row["status"] = "processed"
    result = json.loads(_only(span_exporter, "execute_tool rows").attributes[semconv.GEN_AI_TOOL_CALL_RESULT])
    assert result["items"] == [{"status": "new"}, {"status": "new"}]


def test_tool_over_staticmethod_and_classmethod_works_through_an_instance(span_exporter: InMemorySpanExporter) -> None:
    """@tool stacked over @staticmethod or @classmethod calls like the undecorated method and records its arguments."""

    class Calculator:
        @agentops.tool
        @staticmethod
        def double(x: int) -> int:
            return 2 * x

        @agentops.record_action("label")
        @classmethod
        def label(cls, suffix: str) -> str:
            return cls.__name__ + suffix

    assert Calculator().double(3) == Calculator.double(3) == 6
    assert Calculator().label("!") == "Calculator!"
    spans = {s.name: s for s in span_exporter.get_finished_spans()}
    assert json.loads(spans["execute_tool double"].attributes[semconv.GEN_AI_TOOL_CALL_ARGUMENTS]) == {"x": 3}
    assert json.loads(spans["action label"].attributes[semconv.ACTION_PARAMS]) == {"suffix": "!"}


def test_recording_a_generator_tools_items_reads_each_item_as_a_returned_list_does() -> None:
    """Each yielded item is serialised once: a generator tool reads its items as often as a tool returning
    them does (counted, not timed: timings on a shared machine are noise)."""
    reads = Counter[str]()

    class Item:
        def __init__(self, index: int) -> None:
            self.index = index

        def __repr__(self) -> str:  # what the record of an object shows: read once per recording
            reads[current] += 1
            return f"Item({self.index})"

    items = [Item(i) for i in range(100)]

    @agentops.tool
    def streamed() -> Iterator[Item]:
        yield from items

    @agentops.tool
    def returned() -> list[Item]:
        return items

    current = "streamed"
    assert list(streamed()) == items
    current = "returned"
    assert returned() == items
    assert reads == {"streamed": 100, "returned": 100}


def test_a_generator_tools_return_value_is_not_read_with_capture_off(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing is recorded with capture off, so the returned object's own code (its repr) never runs."""
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "no_content")
    reprs: list[int] = []

    class Frame:
        def __repr__(self) -> str:
            reprs.append(1)
            return "<Frame>"

    @agentops.tool
    def load() -> Iterator[str]:
        yield "chunk"
        return Frame()  # type: ignore[misc]

    with agentops.session("s"):
        assert list(load()) == ["chunk"]
    assert reprs == []


def test_an_object_argument_is_recorded_without_its_memory_address(span_exporter: InMemorySpanExporter) -> None:
    """classify(client, msg) twice with two client objects: a default repr's "at 0x7f…" is where the object
    sat in this process, not what it is, so both calls record the same arguments (replay and diff agree)."""

    class Client:
        pass

    @agentops.record_action("classify")
    def classify(client: Client, message: str, on_done: Callable[[], None]) -> str:
        return "billing"

    classify(Client(), "charged twice", lambda: None)
    classify(Client(), "charged twice", lambda: None)
    first, second = (json.loads(str(s.attributes[semconv.ACTION_PARAMS]))  # type: ignore[index]
                     for s in span_exporter.get_finished_spans() if s.name.endswith("classify"))
    assert first == second
    assert " at 0x" not in json.dumps(first) and "Client object" in first["client"]


def _event_content(span: Any) -> dict[str, Any]:
    """Every attribute the span's events carry, whatever they are named (content there reads the same)."""
    return {k: v for ev in span.events for k, v in (ev.attributes or {}).items()}


def test_event_only_capture_records_a_tools_arguments_and_result_on_an_event(
        span_exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch) -> None:
    """With event_only capture a tool's arguments and result are on an event of its span, not its attributes."""
    monkeypatch.setenv(semconv.ENV_CAPTURE_CONTENT, "event_only")

    @agentops.tool
    def fetch(customer_id: str) -> dict[str, str]:
        return {"id": customer_id}

    with agentops.session("s"):
        fetch("4417")
    span = _only(span_exporter, "execute_tool fetch")
    assert semconv.GEN_AI_TOOL_CALL_ARGUMENTS not in span.attributes
    assert semconv.GEN_AI_TOOL_CALL_RESULT not in span.attributes
    content = _event_content(span)
    assert json.loads(content[semconv.GEN_AI_TOOL_CALL_ARGUMENTS]) == {"customer_id": "4417"}
    assert json.loads(content[semconv.GEN_AI_TOOL_CALL_RESULT]) == {"id": "4417"}


def test_event_only_capture_masks_and_bounds_a_tools_arguments_as_on_the_span(
        span_exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch) -> None:
    """On the event a secret-named argument is masked and a long one cut, exactly as on the span."""
    monkeypatch.setenv(semconv.ENV_CAPTURE_CONTENT, "event_only")

    @agentops.tool
    def login(user: str, password: str, note: str) -> str:
        return "ok"

    with agentops.session("s"):
        login("ann", "hunter2", "x" * 10_000)
    args = json.loads(_event_content(_only(span_exporter, "execute_tool login"))[semconv.GEN_AI_TOOL_CALL_ARGUMENTS])
    assert args["user"] == "ann" and args["password"] == "[REDACTED]"
    assert args["note"].endswith("chars]") and len(args["note"]) < 4200


def test_event_only_capture_records_a_generator_tools_items_on_an_event(
        span_exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch) -> None:
    """With event_only capture a generator tool's yielded items are recorded, on the event."""
    monkeypatch.setenv(semconv.ENV_CAPTURE_CONTENT, "event_only")

    @agentops.tool
    def pages() -> Iterator[str]:
        yield "page 1"
        yield "page 2"

    with agentops.session("s"):
        assert list(pages()) == ["page 1", "page 2"]
    result = json.loads(_event_content(_only(span_exporter, "execute_tool pages"))[semconv.GEN_AI_TOOL_CALL_RESULT])
    assert result["items"] == ["page 1", "page 2"]


def test_no_content_capture_records_a_tools_arguments_nowhere(
        span_exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch) -> None:
    """With capture off nothing of a tool's arguments or result is on its span or its events."""
    monkeypatch.setenv(semconv.ENV_CAPTURE_CONTENT, "no_content")

    @agentops.tool
    def fetch(customer_id: str) -> str:
        return "found " + customer_id

    with agentops.session("s"):
        fetch("4417")
    span = _only(span_exporter, "execute_tool fetch")
    assert "4417" not in str(dict(span.attributes)) and "4417" not in str(_event_content(span))
