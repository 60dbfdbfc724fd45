"""The recorded history is the same whichever way it is built: from the plain-message cache or shaped afresh."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from agentops_otel._parts import history_content
from agentops_otel.instrument._openai_chat import chat_message

PLAIN = st.fixed_dictionaries({"role": st.sampled_from(["system", "developer", "user", "assistant"]),
                               "content": st.text(max_size=60)})
OTHER = st.fixed_dictionaries({"role": st.just("tool"), "tool_call_id": st.just("call_1"),
                               "content": st.text(max_size=20)})


@settings(max_examples=300, deadline=None)
@given(messages=st.lists(st.one_of(PLAIN, PLAIN, PLAIN, OTHER), max_size=12),
       budget=st.integers(min_value=0, max_value=900), limit=st.integers(min_value=1, max_value=80))
def test_cached_and_fresh_shaping_record_the_same_history(messages: list[dict[str, Any]], budget: int,
                                                          limit: int) -> None:
    cached = history_content(messages, chat_message, limit, budget, plain=True)
    assert cached == history_content(messages, chat_message, limit, budget)
    assert history_content(messages, chat_message, limit, budget, plain=True) == cached  # every message a hit now
