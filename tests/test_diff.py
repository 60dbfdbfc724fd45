"""Session diff: the first step where two runs part ways, and why."""

from __future__ import annotations

import json
from typing import Any

import msgspec

from agentops_otel.diff import CONTENT_UNKNOWN, INCOMPLETE, diff_timelines, render_diff
from agentops_otel.reassemble import Issue
from agentops_otel.timeline import SessionSummary, Step, StepError, Timeline


def step(kind: Any, name: str, inp: object = None, *, out: object = None, error: str | None = None,
         offset: float = 0.0) -> Step:
    """A step with JSON-encoded input/output; ``error`` is ``Type: message``."""
    span_id = f"{abs(hash((kind, name, offset))) % 10**16:016d}"
    err = None
    if error is not None:
        etype, _, msg = error.partition(": ")
        err = StepError(type=etype, message=msg, stacktrace=None, span_id=span_id)
    return Step.build(
        kind=kind, name=name, span_id=span_id, trace_id="1" * 32, session_id="s", offset_s=offset,
        duration_s=0.1, status="ok", error=err,
        input=None if inp is None else (inp if isinstance(inp, RawJSON) else json.dumps(inp)),
        output=None if out is None else json.dumps(out),
    )


class RawJSON(str):
    """Input text used as recorded, not JSON-encoded again."""


def timeline(session_id: str, *steps: Step, end_state: str = "Success") -> Timeline:
    """A timeline around the given steps."""
    summary = SessionSummary(
        session_id=session_id, name=None, tags=(), end_state=end_state, end_reason=None, service_name=None,
        trace_ids=("1" * 32,), root_span_id="r" * 16, parent_session_id=None, start_ns=1, duration_s=1.0,
        cost_usd=0.0, cost_complete=True, input_tokens=0, output_tokens=0, llm_calls=0, tool_calls=0,
        actions=0, errors=0, failed_step=None, complete=True, issues=(),
    )
    return Timeline(summary=summary, steps=steps)


CLASSIFY = step("llm", "gpt-4o", "classify: I was charged twice", out="billing")


def test_identical_runs_do_not_diverge() -> None:
    """Same calls with the same inputs and outcomes: no divergence, reason identical."""
    a = timeline("a", CLASSIFY, step("tool", "fetch_customer", {"customer_id": "C1"}))
    d = diff_timelines(a, a)
    assert (d.diverged_at, d.a_step, d.b_step, d.reason) == (None, None, None, "identical")
    assert d.same


def test_different_tool_is_reported_first() -> None:
    """A different tool name at the same position is 'different tool'."""
    a = timeline("a", CLASSIFY, step("tool", "fetch_customer", {"id": 1}))
    b = timeline("b", CLASSIFY, step("tool", "escalate", {"id": 1}))
    d = diff_timelines(a, b)
    assert (d.diverged_at, d.reason) == (1, "different tool")
    assert d.a_step is a.steps[1] and d.b_step is b.steps[1]


def test_different_kind_of_step() -> None:
    """A tool call where the other run made an LLM call is a different kind of step."""
    d = diff_timelines(timeline("a", CLASSIFY), timeline("b", step("tool", "gpt-4o")))
    assert (d.diverged_at, d.reason) == (0, "different kind of step")


def test_same_tool_different_arguments_names_the_keys() -> None:
    """Same tool, other arguments: the reason says so and the details show the changed key."""
    a = timeline("a", CLASSIFY, step("tool", "fetch_customer", {"customer_id": "C-42", "full": True}))
    b = timeline("b", CLASSIFY, step("tool", "fetch_customer", {"full": True, "customer_id": None}))
    d = diff_timelines(a, b)
    assert (d.diverged_at, d.reason) == (1, "same tool, different arguments")
    assert d.details == ('customer_id: "C-42" → null',)


def test_a_boolean_and_a_number_are_different_arguments() -> None:
    """confirm=true where the other run passed confirm=1 is a difference, as JSON sees it."""
    a = timeline("a", step("tool", "issue_refund", {"amount": 1, "confirm": True}))
    b = timeline("b", step("tool", "issue_refund", {"amount": True, "confirm": 1}))
    assert diff_timelines(a, b).reason == "same tool, different arguments"


def test_argument_key_order_does_not_count() -> None:
    """Inputs are compared as JSON, so key order and spacing are not differences."""
    a = timeline("a", step("tool", "t", RawJSON('{"x": 1, "y": 2}')))
    b = timeline("b", step("tool", "t", RawJSON('{"y":2,"x":1}')))
    assert diff_timelines(a, b).reason == "identical"


def test_same_call_different_outcome() -> None:
    """Same call and input but one raised: 'same call, different outcome' with the error."""
    a = timeline("a", step("tool", "fetch_customer", {"customer_id": None}, out={"ok": 1}))
    b = timeline("b", step("tool", "fetch_customer", {"customer_id": None},
                           error="ValueError: customer_id cannot be None"), end_state="Fail")
    d = diff_timelines(a, b)
    assert (d.diverged_at, d.reason) == (0, "same call, different outcome")
    assert d.details == ("a: ok", "b: error (ValueError: customer_id cannot be None)")


def test_llm_input_difference() -> None:
    """Two LLM calls to the same model with other prompts differ in input."""
    d = diff_timelines(timeline("a", CLASSIFY), timeline("b", step("llm", "gpt-4o", "classify: hello")))
    assert d.reason == "same LLM call, different input"


def test_shorter_run_ended() -> None:
    """When one run stops early the reason says which one ended, and its step is None."""
    a = timeline("a", CLASSIFY)
    b = timeline("b", CLASSIFY, step("tool", "fetch_customer", {"id": 1}))
    d = diff_timelines(a, b)
    assert (d.diverged_at, d.a_step, d.b_step, d.reason) == (1, None, b.steps[1], "a ended here")
    d2 = diff_timelines(b, a)
    assert (d2.diverged_at, d2.a_step, d2.b_step, d2.reason) == (1, b.steps[1], None, "b ended here")


def test_same_steps_different_end_state() -> None:
    """Matching steps but another end state is reported without a divergence index."""
    d = diff_timelines(timeline("a", CLASSIFY), timeline("b", CLASSIFY, end_state="Fail"))
    assert (d.diverged_at, d.reason) == (None, "same steps, different end state")
    assert not d.same


def test_output_difference_before_the_split_is_a_hint() -> None:
    """An LLM that answered differently just before the split is named as the likely cause."""
    a = timeline("a", CLASSIFY, step("tool", "fetch_customer", {"id": 1}))
    b = timeline("b", step("llm", "gpt-4o", "classify: I was charged twice", out="general"),
                 step("tool", "small_talk", {}))
    d = diff_timelines(a, b)
    assert d.reason == "different tool"
    assert d.hint == "step #0 (llm gpt-4o) returned different output just before"


def test_render_diff_shows_both_sides() -> None:
    """The rendered diff lists the shared prefix, the reason and both diverging steps."""
    a = timeline("pass", CLASSIFY, step("tool", "fetch_customer", {"customer_id": "C-42"}, offset=1.5))
    b = timeline("fail", CLASSIFY, step("tool", "fetch_customer", {"customer_id": None}, offset=1.5,
                                         error="ValueError: customer_id cannot be None"), end_state="Fail")
    text = render_diff(diff_timelines(a, b), color=False)
    lines = text.splitlines()
    assert lines[0] == "a: pass (Success, 2 steps, 1.0s)"
    assert lines[1] == "b: fail (Fail, 2 steps, 1.0s)"
    assert "Same first 1 step(s):" in lines
    assert "Diverged at step #1: same tool, different arguments" in lines
    assert any(ln.startswith("  a  00:01.500  tool    fetch_customer") for ln in lines)
    assert any(ln.startswith("  b  00:01.500  tool    fetch_customer") and "← ERROR ValueError" in ln
               for ln in lines)
    assert '  customer_id: "C-42" → null' in lines


def test_render_diff_of_identical_runs() -> None:
    """Identical runs render a one-line verdict after the header."""
    a = timeline("a", CLASSIFY)
    assert "No divergence: identical" in render_diff(diff_timelines(a, a), color=False)


def test_unrecorded_messages_are_unknown_not_identical() -> None:
    """LLM calls recorded without their messages can't be said to agree: the diff names them."""
    a = timeline("a", step("llm", "gpt-4o"), step("tool", "refund", {"amount": 10}))
    d = diff_timelines(a, a)
    assert not d.same and d.diverged_at is None
    assert d.details == ("step #0 llm gpt-4o: input messages not recorded in a and b",)


def test_content_recorded_on_one_side_only_is_unknown_not_a_divergence() -> None:
    """Arguments missing from one run (recorded without content) are unknown there, not different."""
    a = timeline("a", step("tool", "refund", {"amount": 10}))
    b = timeline("b", step("tool", "refund"))
    d = diff_timelines(a, b)
    assert (d.diverged_at, d.same) == (None, False)
    assert d.details == ("step #0 tool refund: arguments not recorded in b",)


def test_unknown_content_does_not_hide_a_divergence() -> None:
    """A different tool after unrecorded arguments is still the divergence reported."""
    a = timeline("a", step("tool", "refund"), step("tool", "notify", offset=1))
    b = timeline("b", step("tool", "refund"), step("tool", "escalate", offset=1))
    d = diff_timelines(a, b)
    assert (d.diverged_at, d.reason) == (1, "different tool")


def llm(*, system: str | None = None, tools: str | None = None, messages: str = "hi") -> Step:
    """An LLM call with the given system prompt and tool definitions, recorded as our recorder does."""
    attrs = {k: v for k, v in (("gen_ai.system_instructions", system), ("gen_ai.tool.definitions", tools))
             if v is not None}
    return Step.build(kind="llm", name="claude-sonnet-4-5", session_id="s", status="ok",
                      input=json.dumps([{"role": "user", "parts": [{"type": "text", "content": messages}]}]),
                      attributes=attrs)


def test_different_system_instructions_are_a_divergence() -> None:
    """Same messages under another system prompt are a different input, and the details say where."""
    careful = json.dumps([{"type": "text", "content": "Be careful."}])
    reckless = json.dumps([{"type": "text", "content": "Refund everything without checking."}])
    d = diff_timelines(timeline("a", llm(system=careful)), timeline("b", llm(system=reckless)))
    assert (d.diverged_at, d.reason) == (0, "same LLM call, different input")
    assert d.details == ('system instructions[0].content: "Be careful." → "Refund everything without checking."',)


def test_a_system_prompt_on_one_side_only_is_a_divergence() -> None:
    """A call with a system prompt and one without (both with messages recorded) differ in input."""
    d = diff_timelines(timeline("a", llm(system='[{"type":"text","content":"Be careful."}]')), timeline("b", llm()))
    assert (d.diverged_at, d.reason) == (0, "same LLM call, different input")
    assert d.details == ('system instructions: [{"type": "text", "content": "Be careful."}] → (absent)',)


def test_different_tool_definitions_are_a_divergence() -> None:
    """The same prompt offered other tools is a different input."""
    read_only = json.dumps([{"type": "function", "name": "read_only"}])
    delete_all = json.dumps([{"type": "function", "name": "delete_all"}])
    d = diff_timelines(timeline("a", llm(tools=read_only)), timeline("b", llm(tools=delete_all)))
    assert (d.diverged_at, d.reason) == (0, "same LLM call, different input")
    assert d.details == ('tool definitions[0].name: "read_only" → "delete_all"',)


def test_same_system_instructions_and_tools_are_identical() -> None:
    """Equal system prompts and tool definitions, spelled differently, do not count as a difference."""
    a = llm(system='[{"type": "text", "content": "Be careful."}]', tools='[{"name": "t"}]')
    b = llm(system='[{"content":"Be careful.","type":"text"}]', tools='[{"name":"t"}]')
    assert diff_timelines(timeline("a", a), timeline("b", b)).same


def test_tool_definitions_cut_by_the_content_budget_are_unknown_not_identical() -> None:
    """Two calls offering 200 tools, recorded as the first ones and a count: a difference past the cut is
    unknown, so the runs are not called identical."""
    from agentops_otel.instrument._openai_chat import chat_content

    tools = [{"type": "function", "function": {"name": f"tool_{i}", "parameters": {"type": "object"}}}
             for i in range(200)]
    recorded = chat_content({"tools": tools}, 4096, 2000).tool_definitions
    d = diff_timelines(timeline("a", llm(tools=recorded)), timeline("b", llm(tools=recorded)))
    assert not d.same
    assert d.details == ("step #0 llm claude-sonnet-4-5: tool definitions cut at the recording bound in a and b",)


def test_arguments_that_are_no_longer_json_are_unknown_not_identical() -> None:
    """Arguments cut by something after our recorder (not valid JSON any more) can't be said to agree."""
    cut = step("tool", "lookup", RawJSON('{"query": "' + "x" * 48))
    d = diff_timelines(timeline("a", cut), timeline("b", cut))
    assert (d.same, d.diverged_at) == (False, None)
    assert d.details == ("step #0 tool lookup: arguments cut after recording (no longer valid JSON) in a and b",)


def test_cut_system_instructions_are_unknown_not_identical() -> None:
    """A system prompt cut after recording hides any difference past the cut."""
    cut = llm(system='[{"type":"text","content":"Refund every')
    d = diff_timelines(timeline("a", cut), timeline("b", cut))
    assert not d.same
    assert d.details == ("step #0 llm claude-sonnet-4-5: system instructions cut after recording "
                         "(no longer valid JSON) in a and b",)


def test_system_blocks_cut_by_the_content_budget_are_unknown_not_identical() -> None:
    """Anthropic system=[...] blocks recorded as the first ones and a count: a difference past the cut is
    unknown, so the runs are not called identical."""
    from agentops_otel.instrument._anthropic_attrs import message_content

    blocks = [{"type": "text", "text": f"Rule {i}: " + "be careful. " * 40} for i in range(50)]
    recorded = message_content({"system": blocks}, 4096, 2000).system_instructions
    d = diff_timelines(timeline("a", llm(system=recorded)), timeline("b", llm(system=recorded)))
    assert not d.same
    assert d.details == ("step #0 llm claude-sonnet-4-5: system instructions cut at the recording bound in a and b",)


def test_masked_arguments_are_unknown_not_identical() -> None:
    """Two passwords both masked as [REDACTED] can't be said to agree."""
    masked = step("tool", "lookup", {"query": "q", "password": "[REDACTED]"})
    d = diff_timelines(timeline("a", masked), timeline("b", masked))
    assert (d.same, d.diverged_at) == (False, None)
    assert d.details == ("step #0 tool lookup: arguments masked in a and b",)


def test_a_value_masked_on_one_side_only_is_a_divergence() -> None:
    """A masked value against a plain one is a difference in what was recorded."""
    a = timeline("a", step("tool", "lookup", {"password": "[REDACTED]"}))
    b = timeline("b", step("tool", "lookup", {"password": "hunter2"}))
    d = diff_timelines(a, b)
    assert (d.diverged_at, d.reason) == (0, "same tool, different arguments")


def test_foreign_plain_text_input_is_compared_as_text() -> None:
    """Another instrumentation's plain-text input was never JSON: equal text is identical."""
    foreign = Step.build(kind="agent", name="chain", session_id="s", status="ok", input="look up the order",
                         flags=("foreign",))
    assert diff_timelines(timeline("a", foreign), timeline("b", foreign)).same


def lost_spans(tl: Timeline, issue: str, kind: Issue = Issue.STEPS_MISSING) -> Timeline:
    """The timeline as the reassembler gives it when spans of the session never arrived."""
    end_state = None if kind == Issue.ROOT_MISSING else tl.summary.end_state
    summary = msgspec.structs.replace(tl.summary, complete=False, issues=(issue,), issue_kinds=(kind,),
                                      end_state=end_state)
    return msgspec.structs.replace(tl, summary=summary)


REFUND = step("tool", "refund", {"amount": 5})


def test_a_run_that_lost_spans_is_not_identical() -> None:
    """Equal steps found, but b's root counted more: the steps b lost may be where they part."""
    b = lost_spans(timeline("b", REFUND), "root reports 3 tool calls, 1 found")
    d = diff_timelines(timeline("a", REFUND), b)
    assert (d.same, d.diverged_at, d.reason) == (False, None, INCOMPLETE)
    assert d.details == ("b not recorded in full: root reports 3 tool calls, 1 found",)


def test_runs_whose_roots_never_arrived_are_not_identical() -> None:
    """Two sessions without their roots can't be shown to have made the same calls."""
    a = lost_spans(timeline("a", REFUND), "root span missing", Issue.ROOT_MISSING)
    b = lost_spans(timeline("b", REFUND), "root span missing", Issue.ROOT_MISSING)
    d = diff_timelines(a, b)
    assert (d.same, d.reason) == (False, INCOMPLETE)
    assert "No divergence: not recorded in full" in render_diff(d, color=False)


def test_a_divergence_beside_a_run_that_lost_spans_names_the_loss() -> None:
    """Where b 'ended' it may only have lost its spans: the divergence says so."""
    b = lost_spans(timeline("b", REFUND), "root reports 2 tool calls, 1 found")
    d = diff_timelines(timeline("a", REFUND, step("tool", "notify", offset=1)), b)
    assert d.reason == "b ended here"
    assert "b not recorded in full: root reports 2 tool calls, 1 found" in d.details


def oi_call(user: str, **extra: str) -> Step:
    """An OpenInference LLM call whose user message is one text part (its multimodal spelling)."""
    attrs = {"openinference.span.kind": "LLM", "llm.model_name": "gpt-4o-mini",
             "llm.input_messages.0.message.role": "user",
             "llm.input_messages.0.message.contents.0.message_content.type": "text",
             "llm.input_messages.0.message.contents.0.message_content.text": user, **extra}
    return Step.build(kind="llm", name="gpt-4o-mini", session_id="s", status="ok", attributes=attrs,
                      flags=("foreign",))


def test_foreign_calls_whose_message_contents_differ_diverge() -> None:
    """Two OpenInference calls whose user message text differs are different calls, not identical."""
    d = diff_timelines(timeline("a", oi_call("refund 5")), timeline("b", oi_call("refund 500")))
    assert (d.diverged_at, d.reason, d.details) == (
        0, "same LLM call, different input", ('input messages[0].parts[0].content: "refund 5" → "refund 500"',))


def test_foreign_calls_whose_tool_calls_sent_back_differ_diverge() -> None:
    """Legacy OpenLLMetry calls sending back different tool calls are different calls."""
    def call(amount: int) -> Step:
        attrs = {"llm.request.type": "chat", "gen_ai.request.model": "gpt-4o-mini",
                 "gen_ai.prompt.0.role": "assistant", "gen_ai.prompt.0.tool_calls.0.name": "refund",
                 "gen_ai.prompt.0.tool_calls.0.arguments": json.dumps({"amount": amount})}
        return Step.build(kind="llm", name="gpt-4o-mini", session_id="s", status="ok", attributes=attrs,
                          flags=("foreign",))

    d = diff_timelines(timeline("a", call(5)), timeline("b", call(500)))
    assert (d.diverged_at, d.reason) == (0, "same LLM call, different input")


def test_a_foreign_message_field_we_cannot_read_is_unknown_not_identical() -> None:
    """Equal calls but for a message part this reader does not know can't be said to agree: the diff names it."""
    video = "llm.input_messages.0.message.contents.1.message_content.video.video.url"
    a = oi_call("describe this", **{video: "https://example.com/a.mp4"})
    d = diff_timelines(timeline("a", a), timeline("b", a))
    assert (d.same, d.diverged_at, d.reason) == (False, None, CONTENT_UNKNOWN)
    assert d.details == (f"step #0 llm gpt-4o-mini: input messages not read ({video}) in a and b",)


def test_a_foreign_request_differing_beyond_its_messages_diverges() -> None:
    """OpenInference's raw request counts beside the messages: the same question offered other tools differs."""
    def request(tool: str) -> str:
        return json.dumps({"messages": [{"role": "user", "content": "hi"}], "tools": [{"name": tool}]})

    d = diff_timelines(timeline("a", oi_call("hi", **{"input.value": request("read_only")})),
                       timeline("b", oi_call("hi", **{"input.value": request("delete_all")})))
    assert (d.diverged_at, d.reason) == (0, "same LLM call, different input")
    assert d.details == ('request.tools[0].name: "read_only" → "delete_all"',)


def test_input_hidden_by_openinference_is_unknown_not_identical() -> None:
    """OpenInference's hide_inputs leaves __REDACTED__ in place of the request: two such calls can't agree."""
    hidden = Step.build(kind="llm", name="gpt-4o-mini", session_id="s", status="ok", flags=("foreign",),
                        attributes={"openinference.span.kind": "LLM", "input.value": "__REDACTED__"})
    d = diff_timelines(timeline("a", hidden), timeline("b", hidden))
    assert (d.same, d.reason) == (False, CONTENT_UNKNOWN)
    assert d.details == ("step #0 llm gpt-4o-mini: input messages masked in a and b",)


def _agent_run(session_id: str, call_id: str, answered: str | None = None) -> Timeline:
    """A model asking for a tool (the provider names the call), the tool, then the model given its result."""
    asked = [{"role": "assistant", "parts": [{"type": "tool_call", "id": call_id, "name": "lookup",
                                              "arguments": {"id": "4417"}}]}]
    history = [{"role": "user", "parts": [{"type": "text", "content": "who is 4417?"}]}, *asked,
               {"role": "tool", "parts": [{"type": "tool_call_response", "id": answered or call_id,
                                           "response": "Ann"}]}]
    return timeline(session_id, step("llm", "gpt-4o", history[:1], out=asked),
                    step("tool", "lookup", {"id": "4417"}, out="Ann", offset=1),
                    step("llm", "gpt-4o", history, out="It is Ann.", offset=2))


def test_tool_call_ids_the_provider_made_up_do_not_make_two_runs_differ() -> None:
    """Two real runs get different call ids for the same calls: compared by position, they are identical."""
    d = diff_timelines(_agent_run("a", "call_Xa81"), _agent_run("b", "call_Q7c2"))
    assert (d.reason, d.hint) == ("identical", None)


def test_a_tool_result_sent_back_for_another_call_still_differs() -> None:
    """The ids are compared as a pairing: a result sent back under an id no call had is a difference."""
    d = diff_timelines(_agent_run("a", "call_Xa81"), _agent_run("b", "call_Q7c2", answered="call_other"))
    assert (d.diverged_at, d.reason) == (2, "same LLM call, different input")


def test_a_tool_result_sent_back_for_another_call_names_both_ids() -> None:
    """The detail points at the result's call id, as recorded, not at a message text both runs share."""
    d = diff_timelines(_agent_run("a", "call_Xa81"), _agent_run("b", "call_Q7c2", answered="call_other"))
    assert d.details == ('input messages[2].parts[0].id: "call_Xa81" → "call_other"',)


def _oi_run(session_id: str, call_id: str) -> Timeline:
    """An OpenInference-traced run: messages as indexed attributes and the raw request as input.value."""
    def call(offset: float, messages: list[dict[str, str]], request: list[Any], out: dict[str, str]) -> Step:
        attrs = {"openinference.span.kind": "LLM", "llm.model_name": "gpt-4o-mini",
                 "input.value": json.dumps({"model": "gpt-4o-mini", "messages": request}),
                 **{f"llm.input_messages.{i}.message.{k}": v for i, m in enumerate(messages) for k, v in m.items()},
                 **{f"llm.output_messages.0.message.{k}": v for k, v in out.items()}}
        return Step.build(kind="llm", name="gpt-4o-mini", session_id="s", status="ok", attributes=attrs,
                          flags=("foreign",), offset_s=offset)

    user = {"role": "user", "content": "who is 4417?"}
    asked = {"role": "assistant", "tool_calls.0.tool_call.id": call_id,
             "tool_calls.0.tool_call.function.name": "lookup",
             "tool_calls.0.tool_call.function.arguments": '{"id": "4417"}'}
    result = {"role": "tool", "content": "Ann", "tool_call_id": call_id}
    raw_asked = {"role": "assistant", "tool_calls": [{"id": call_id, "type": "function",
                                                      "function": {"name": "lookup", "arguments": '{"id": "4417"}'}}]}
    return timeline(session_id, call(0, [user], [user], asked),
                    call(2, [user, asked, result], [user, raw_asked, {"role": "tool", "tool_call_id": call_id,
                                                                      "content": "Ann"}],
                         {"role": "assistant", "content": "It is Ann."}))


def test_tool_call_ids_in_another_instrumentations_raw_request_are_compared_by_position() -> None:
    """OpenInference's input.value holds the provider's ids too: two real runs are still identical."""
    assert diff_timelines(_oi_run("a", "call_Xa81"), _oi_run("b", "call_Q7c2")).reason == "identical"


def test_a_tool_argument_named_like_a_call_id_is_compared_as_it_is() -> None:
    """Only the provider's id slots are compared by position: cancel_job(tool_call_id="job-1") is not
    cancel_job(tool_call_id="job-666")."""
    def run(session_id: str, job: str) -> Timeline:
        asked = [{"role": "assistant", "parts": [{"type": "tool_call", "id": "call_1", "name": "cancel_job",
                                                  "arguments": {"tool_call_id": job}}]}]
        return timeline(session_id, step("llm", "gpt-4o", [{"role": "user", "parts": []}], out=asked))

    assert diff_timelines(run("a", "job-1"), run("b", "job-666")).hint is not None
