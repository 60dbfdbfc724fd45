"""Sessions of the ``AzureOpenAI`` client replay like OpenAI ones: from a cassette, and from the trace alone.

The agent runs on a real ``AzureOpenAI`` client against ``OpenAIServer`` (whose requests go to
``/openai/deployments/<deployment>/chat/completions``); the replay points it at a port nobody listens on.
"""

from __future__ import annotations

from openai import AzureOpenAI
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from replay_helpers import Agent

import agentops_otel as agentops
from agentops_otel.read import records_from_spans
from agentops_otel.reassemble import reassemble
from agentops_otel.testing import OpenAIServer, cassette_from_timeline, record, replay
from agentops_otel.testing._cassette import dumps, loads


def _azure(endpoint: str, **options: str) -> AzureOpenAI:
    return AzureOpenAI(azure_endpoint=endpoint, api_version="2024-10-21", api_key="azure-key", max_retries=0,
                       **options)


def test_an_azure_session_replays_from_its_trace(
        server: OpenAIServer, dead_url: str, span_exporter: InMemorySpanExporter) -> None:
    """With content captured, an Azure session's trace is its recording: it replays on the Azure client, offline."""
    with agentops.session("azure") as s:
        live = Agent().run(_azure(server.azure_endpoint))
    [timeline] = [t for t in reassemble(records_from_spans(span_exporter.get_finished_spans())).sessions
                  if t.summary.session_id == s.id]
    with replay(cassette_from_timeline(timeline)):
        assert Agent().run(_azure(dead_url.removesuffix("/v1"))) == live


def test_a_recording_of_an_azure_session_says_its_trace_is_enough(server: OpenAIServer) -> None:
    """Recording an Azure session's chat calls, the recorder says the trace can replay it (no cassette needed)."""
    with record() as rec:
        Agent().run(_azure(server.azure_endpoint), stream=False)  # stream_options is not on the span
    assert rec.where()[0] == "trace", rec.where()[1]


def test_a_cassette_replays_on_a_client_bound_to_the_deployment(server: OpenAIServer, dead_url: str) -> None:
    """A recording names the chat endpoint, not the deployment path: a client made with azure_deployment= replays it."""
    with record() as rec:
        live = Agent().run(_azure(server.azure_endpoint))
    with replay(rec.cassette()):
        assert Agent().run(_azure(dead_url.removesuffix("/v1"), azure_deployment="gpt-4o-mini")) == live


def test_a_cassette_naming_the_deployment_path_still_replays(server: OpenAIServer, dead_url: str) -> None:
    """A cassette whose steps name /deployments/<name>/chat/completions (as recordings did before) still replays."""
    with record() as rec:
        live = Agent().run(_azure(server.azure_endpoint))
    older = dumps(rec.cassette()).replace('"/chat/completions"', '"/deployments/gpt-4o-mini/chat/completions"')
    assert "/deployments/gpt-4o-mini/chat/completions" in older
    with replay(loads(older)):
        assert Agent().run(_azure(dead_url.removesuffix("/v1"))) == live
