"""Instrumenting is atomic and idempotent: never a half-wrapped client, never a second wrapper."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import wrapt
from _subproc import PRELUDE, run_python


@pytest.mark.slow  # a child interpreter
def test_init_twice_without_the_responses_module_wraps_once(tmp_path: Path) -> None:
    """With an openai lacking one target module, two init() still give one span and one cost per call."""
    out = run_python("""
import sys
sys.modules["openai.resources.responses.responses"] = None  # an older SDK: importing it fails
""" + PRELUDE + """
from opentelemetry import trace
provider, exporter = memory_provider()
trace.set_tracer_provider(provider)
agentops.init()
agentops.init()
with OpenAIServer() as server, OpenAI(base_url=server.base_url, api_key="k", max_retries=0) as client:
    with agentops.session("s") as s:
        chat(client)
print(len(llm_names(exporter)), s.llm_calls, round(s.cost, 8))
""", tmp_path)
    assert out.split() == ["1", "1", "5e-05"]


@pytest.mark.slow  # a child interpreter
def test_instrumentor_after_init_does_not_wrap_again(tmp_path: Path) -> None:
    """OpenAIInstrumentor().instrument() after init() changes nothing: one span per call."""
    out = run_python(PRELUDE + """
from agentops_otel.instrument.openai import OpenAIInstrumentor
from opentelemetry import trace
provider, exporter = memory_provider()
trace.set_tracer_provider(provider)
agentops.init()
OpenAIInstrumentor().instrument()
with OpenAIServer() as server, OpenAI(base_url=server.base_url, api_key="k", max_retries=0) as client:
    chat(client)
print(len(llm_names(exporter)))
""", tmp_path)
    assert out.split() == ["1"]


def test_a_failure_half_way_through_patching_leaves_nothing_wrapped(monkeypatch: pytest.MonkeyPatch) -> None:
    """If patching fails on the third method, the first two are restored and instrument_openai() says False."""
    from openai.resources.chat.completions.completions import AsyncCompletions, Completions
    from openai.resources.embeddings import Embeddings

    from agentops_otel.instrument.openai import instrument_openai, is_instrumented, uninstrument_openai

    uninstrument_openai()
    originals = {cls: vars(cls)["create"] for cls in (Completions, AsyncCompletions, Embeddings)}
    real = wrapt.wrap_function_wrapper
    calls: list[object] = []

    def fails_third(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        if len(calls) == 3:
            raise RuntimeError("patching failed")
        return real(*args, **kwargs)

    monkeypatch.setattr(wrapt, "wrap_function_wrapper", fails_third)
    assert instrument_openai() is False
    assert not is_instrumented()
    assert {cls: vars(cls)["create"] for cls in originals} == originals
