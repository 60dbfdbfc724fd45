"""Replay: the agent's own code answered from a recording, with real client objects and no network."""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from pathlib import Path

import openai
import pytest
from openai import AsyncOpenAI, OpenAI
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from replay_helpers import Agent

import agentops_otel as agentops
from agentops_otel import semconv
from agentops_otel.read import records_from_spans
from agentops_otel.reassemble import reassemble
from agentops_otel.testing import (
    Cassette,
    CassetteError,
    OpenAIServer,
    ReplayWarning,
    cassette_from_timeline,
    record,
    replay,
)


def _recorded(agent: Agent, client: OpenAI, **kwargs: object) -> tuple[str, Cassette]:
    with record() as rec:
        out = agent.run(client, **kwargs)  # type: ignore[arg-type]
    return out, rec.cassette()


@pytest.mark.usefixtures("offline")
def test_replay_answers_with_real_objects_without_network_or_key(agent: Agent, client: OpenAI, dead_url: str,
                                                                 server: OpenAIServer) -> None:
    """The replayed agent gets the recorded answers (a streamed one too) from a dead address, keyless."""
    live, cassette = _recorded(agent, client)
    sent = len(server.requests)
    replayed = Agent()
    with replay(cassette):
        out = replayed.run(OpenAI(base_url=dead_url, max_retries=0))
    assert out == live
    assert len(server.requests) == sent


@pytest.mark.usefixtures("offline")
def test_replayed_objects_are_the_sdk_types(agent: Agent, client: OpenAI, dead_url: str) -> None:
    """A replayed call returns a ChatCompletion and a replayed stream is an openai.Stream of chunks."""
    _, cassette = _recorded(agent, client)
    with replay(cassette, answer_tools=True):
        c = OpenAI(base_url=dead_url, max_retries=0)
        first = c.chat.completions.create(model="gpt-4o-mini", temperature=0.0,
                                          messages=[{"role": "user", "content": "who is 4417?"}])
        agent.lookup_customer("4417", api_key="sk-live-abcdefghijklmnopqrstuvwx")
        stream = c.chat.completions.create(
            model="gpt-4o-mini", stream=True, stream_options={"include_usage": True},
            messages=[{"role": "user", "content": f"answer with {json.dumps({'id': '4417', 'plan': 'pro'})}"}])
        assert isinstance(first, openai.types.chat.ChatCompletion)
        assert isinstance(stream, openai.Stream)
        chunks = list(stream)
    assert all(isinstance(ch, openai.types.chat.ChatCompletionChunk) for ch in chunks)
    assert len(chunks) > 2


async def test_async_replay(agent: Agent, aclient: AsyncOpenAI, dead_url: str) -> None:
    """The async client and its stream replay like the sync ones."""
    with record() as rec:
        live = await agent.arun(aclient)
    with replay(rec.cassette()):
        out = await Agent().arun(AsyncOpenAI(base_url=dead_url, api_key="unused", max_retries=0))
    assert out == live


def test_replayed_llm_calls_still_make_spans_with_usage(agent: Agent, client: OpenAI, dead_url: str,
                                                        span_exporter: InMemorySpanExporter) -> None:
    """Our instrumentation sits above the replay: the LLM span has its tokens, so cost assertions work."""
    _, cassette = _recorded(agent, client, stream=False)
    span_exporter.clear()
    with replay(cassette):
        Agent().run(OpenAI(base_url=dead_url, api_key="unused", max_retries=0), stream=False)
    llm = [s for s in span_exporter.get_finished_spans()
           if (s.attributes or {}).get(semconv.GEN_AI_OPERATION_NAME) == semconv.OP_CHAT]
    assert len(llm) == 2
    assert all((s.attributes or {}).get(semconv.GEN_AI_USAGE_INPUT_TOKENS) for s in llm)


def test_tools_run_for_real_by_default(agent: Agent, client: OpenAI, dead_url: str) -> None:
    """Without answer_tools the tool's own code runs during the replay."""
    _, cassette = _recorded(agent, client)
    again = Agent()
    with replay(cassette):
        again.run(OpenAI(base_url=dead_url, api_key="unused", max_retries=0))
    assert again.tool_runs == ["4417"]


def test_tools_named_in_answer_tools_are_answered_from_the_recording(agent: Agent, client: OpenAI,
                                                                     dead_url: str) -> None:
    """A tool named in answer_tools does not run; the agent gets the recorded result."""
    live, cassette = _recorded(agent, client)
    again = Agent()
    with replay(cassette, answer_tools=["lookup_customer"]):
        out = again.run(OpenAI(base_url=dead_url, api_key="unused", max_retries=0))
    assert again.tool_runs == []
    assert out == live


def test_recorded_tool_error_is_raised_again_when_answered(client: OpenAI, dead_url: str) -> None:
    """A tool that raised when recorded raises the same exception type when answered from the recording."""
    agent = Agent()
    with record() as rec, pytest.raises(LookupError):
        agent.lookup_customer("0")
    with replay(rec.cassette(), answer_tools=True), pytest.raises(LookupError, match="no customer 0"):
        agent.lookup_customer("0")


def test_an_answered_tool_error_of_the_agents_own_class_is_caught_by_its_public_name() -> None:
    """A tool that raised one of the agent's own classes raises ``agentops_otel.testing.RecordedToolError`` when
    answered, with the recorded message and type: a test can name it in ``pytest.raises``."""
    from agentops_otel.testing import RecordedToolError

    class CardDeclined(Exception):
        pass

    @agentops.tool
    def charge(card: str) -> str:
        raise CardDeclined(f"card {card} declined")

    with record() as rec, pytest.raises(CardDeclined):
        charge("4242")
    with replay(rec.cassette(), answer_tools=True), \
            pytest.raises(RecordedToolError, match="card 4242 declined") as caught:
        charge("4242")
    assert caught.value.recorded_type.endswith("CardDeclined")


def test_trace_derived_cassette_replays_like_the_live_one(agent: Agent, client: OpenAI, dead_url: str,
                                                          span_exporter: InMemorySpanExporter) -> None:
    """With content captured whole, the trace is the recording: its steps equal the live cassette's."""
    with agentops.session("traced") as s:
        live, cassette = _recorded(agent, client)
    [timeline] = [t for t in reassemble(records_from_spans(span_exporter.get_finished_spans())).sessions
                  if t.summary.session_id == s.id]
    from_trace = cassette_from_timeline(timeline)
    assert [getattr(x, "request", None) for x in from_trace.steps] == [getattr(x, "request", None)
                                                                         for x in cassette.steps]
    with replay(from_trace):
        assert Agent().run(OpenAI(base_url=dead_url, api_key="unused", max_retries=0)) == live


def test_trace_without_content_is_refused_naming_the_steps(agent: Agent, client: OpenAI,
                                                           span_exporter: InMemorySpanExporter,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """A session recorded without content cannot be replayed from its trace: the error names what is missing."""
    monkeypatch.setenv(semconv.ENV_CAPTURE_CONTENT, "no_content")
    with agentops.session("no content") as s:
        agent.run(client)
    [timeline] = [t for t in reassemble(records_from_spans(span_exporter.get_finished_spans())).sessions
                  if t.summary.session_id == s.id]
    with pytest.raises(CassetteError) as err:
        cassette_from_timeline(timeline)
    text = str(err.value)
    assert "step 0 (llm gpt-4o-mini): no input messages" in text
    assert "step 1 (tool lookup_customer): no arguments" in text


def test_trace_from_an_otlp_file_replays(agent: Agent, client: OpenAI, dead_url: str, tmp_path: Path,
                                         span_exporter: InMemorySpanExporter) -> None:
    """A session written to an OTLP JSON file replays from the file by session id."""
    from agentops_otel._otlp_json import encode_batch
    from agentops_otel.testing import cassette_from_source

    with agentops.session("to file") as s:
        live = agent.run(client)
    path = tmp_path / "traces.jsonl"
    path.write_bytes(encode_batch(span_exporter.get_finished_spans()) + b"\n")
    with replay(cassette_from_source(s.id, str(path))):
        assert Agent().run(OpenAI(base_url=dead_url, api_key="unused", max_retries=0)) == live


async def test_async_tools_are_recorded_and_answered() -> None:
    """An async @tool is recorded with its result and, when named, answered without running."""
    runs: list[int] = []

    @agentops.tool
    async def score(n: int) -> int:
        runs.append(n)
        return n * 2

    with record() as rec:
        assert await score(21) == 42
    with replay(rec.cassette(), answer_tools=["score"]):
        assert await score(21) == 42
    assert runs == [21]


def test_a_tool_returning_an_object_runs_for_real_and_cannot_be_answered() -> None:
    """An object result is kept whole as text; answering that tool from the recording is refused, clearly."""

    class Customer:
        def __repr__(self) -> str:
            return "Customer(id='4417')"

    @agentops.tool
    def load_customer(customer_id: str) -> Customer:
        return Customer()

    with record() as rec:
        load_customer("4417")
    step = rec.steps[0]
    assert step.result == "Customer(id='4417')" and not step.result_is_json  # type: ignore[union-attr]
    with replay(rec.cassette()):
        assert isinstance(load_customer("4417"), Customer)
    with pytest.raises(CassetteError, match="returned an object the cassette holds only as text"), \
            replay(rec.cassette(), answer_tools=["load_customer"]):
        load_customer("4417")


def _classifier(client: OpenAI, runs: list[str]) -> Callable[[str], str | None]:
    """An action wrapping its LLM call (the article's classify_intent), counting its real runs."""

    @agentops.record_action("classify_intent")
    def classify(message: str) -> str | None:
        runs.append(message)
        reply = client.chat.completions.create(model="gpt-4o-mini",
                                               messages=[{"role": "user", "content": "Classify: " + message}])
        return reply.choices[0].message.content

    return classify


@pytest.mark.filterwarnings("ignore::agentops_otel.testing.ReplayWarning")
def test_answering_every_tool_answers_an_action_that_made_a_model_call(client: OpenAI) -> None:
    """``answer_tools=True`` answers every recorded step, an action wrapping the LLM call included: it does not run."""
    runs: list[str] = []
    classify = _classifier(client, runs)
    with record() as rec:
        recorded = classify("charged twice")
    with replay(rec.cassette(), answer_tools=True):
        assert classify("charged twice") == recorded
    assert runs == ["charged twice"]


def test_answering_every_tool_warns_that_the_model_calls_inside_went_unchecked(client: OpenAI) -> None:
    """A replay that skipped recorded model calls says so, naming the step and the list that would check them."""
    classify = _classifier(client, [])

    @agentops.tool
    def send_email(to: str) -> str:
        return "sent"

    with record() as rec:
        send_email(str(classify("charged twice")))
    with pytest.warns(ReplayWarning) as caught, replay(rec.cassette(), answer_tools=True):
        send_email(str(classify("charged twice")))
    [warning] = caught
    text = str(warning.message)
    assert "answered from the recording action classify_intent (step 0), which held 1 model call" in text
    assert "never compared" in text
    assert "answer_tools=['send_email']" in text


def test_naming_an_action_that_made_a_model_call_answers_it_without_a_warning(client: OpenAI) -> None:
    """Answering such an action on purpose is said by naming it: the replay passes quietly."""
    runs: list[str] = []
    classify = _classifier(client, runs)
    with record() as rec:
        classify("charged twice")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with replay(rec.cassette(), answer_tools=["classify_intent"]):
            classify("charged twice")
    assert runs == ["charged twice"]
