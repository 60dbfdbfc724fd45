"""Every name that goes on the wire or is read from the environment, in one place.

The GenAI semantic conventions are still in development and renamed keys as late as 2026, so the
strings are pinned here rather than imported from ``opentelemetry-semantic-conventions`` (whose
GenAI constants are marked incubating and change between releases). Readers and renderers use the
same constants, so a rename happens in exactly one file.

Checked against the registry of ``open-telemetry/semantic-conventions-genai`` (where the GenAI
conventions live since 2026): ``model/gen-ai/registry.yaml`` and ``model/gen-ai/events.yaml`` at
commit ``e8fc5751506258db1459d1bde47994e01dee922e``, the OpenAI refinement in ``docs/gen-ai/openai.md``
at ``5bc5dd3cb0a126dfa335e72f8e337c5634ddf9ff``. Names we wrote before a rename stay readable
(``LEGACY_*`` below), so traces recorded earlier still replay.
"""

from __future__ import annotations

from typing import Final

# --- GenAI semantic conventions (standard keys) -------------------------------------------------
GEN_AI_OPERATION_NAME: Final = "gen_ai.operation.name"
"""What the span does: ``chat``, ``embeddings``, ``execute_tool``, ``invoke_agent``... The reassembler
classifies steps by this first."""
GEN_AI_PROVIDER_NAME: Final = "gen_ai.provider.name"
GEN_AI_AGENT_NAME: Final = "gen_ai.agent.name"
GEN_AI_AGENT_ID: Final = "gen_ai.agent.id"
"""On a recorded action, tool call or model call: the event's ``agent_id``, the agent that acted (not on
session roots: the session's own id is ``session.id``)."""
GEN_AI_CONVERSATION_ID: Final = "gen_ai.conversation.id"
"""On a session root: the user's ``conversation_id``; on a recorded model call: ``LLMEvent.thread_id``."""
GEN_AI_REQUEST_MODEL: Final = "gen_ai.request.model"
GEN_AI_REQUEST_MAX_TOKENS: Final = "gen_ai.request.max_tokens"
GEN_AI_REQUEST_TEMPERATURE: Final = "gen_ai.request.temperature"
GEN_AI_REQUEST_TOP_P: Final = "gen_ai.request.top_p"
GEN_AI_REQUEST_TOP_K: Final = "gen_ai.request.top_k"
GEN_AI_REQUEST_FREQUENCY_PENALTY: Final = "gen_ai.request.frequency_penalty"
GEN_AI_REQUEST_PRESENCE_PENALTY: Final = "gen_ai.request.presence_penalty"
GEN_AI_REQUEST_STOP_SEQUENCES: Final = "gen_ai.request.stop_sequences"
GEN_AI_REQUEST_SEED: Final = "gen_ai.request.seed"
GEN_AI_REQUEST_CHOICE_COUNT: Final = "gen_ai.request.choice.count"
GEN_AI_REQUEST_ENCODING_FORMATS: Final = "gen_ai.request.encoding_formats"
GEN_AI_REQUEST_STREAM: Final = "gen_ai.request.stream"
GEN_AI_OUTPUT_TYPE: Final = "gen_ai.output.type"
GEN_AI_REQUEST_PREFIX: Final = "gen_ai.request."
"""Prefix of every request parameter the conventions name (model, sampling, limits, stream...): ``diff``
compares all of them, ones named after these constants too."""
PROVIDER_REQUEST_PREFIXES: Final = ("openai.request.", "gen_ai.openai.request.", "anthropic.request.")
"""Provider-specific request attributes (``openai.request.service_tier``; earlier conventions'
``gen_ai.openai.request.seed`` / ``.response_format``), compared like the standard ones, except
``anthropic.request.id``: an id the provider makes up for each call."""
GEN_AI_RESPONSE_MODEL: Final = "gen_ai.response.model"
GEN_AI_RESPONSE_ID: Final = "gen_ai.response.id"
GEN_AI_RESPONSE_FINISH_REASONS: Final = "gen_ai.response.finish_reasons"
GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK: Final = "gen_ai.response.time_to_first_chunk"
GEN_AI_USAGE_INPUT_TOKENS: Final = "gen_ai.usage.input_tokens"
GEN_AI_USAGE_OUTPUT_TOKENS: Final = "gen_ai.usage.output_tokens"
GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS: Final = "gen_ai.usage.cache_read.input_tokens"
GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS: Final = "gen_ai.usage.cache_creation.input_tokens"
"""Input tokens written to the provider's prompt cache (a share of ``gen_ai.usage.input_tokens``)."""
LEGACY_USAGE_CACHE_WRITE_INPUT_TOKENS: Final = "gen_ai.usage.cache_write.input_tokens"
"""What agentops_otel wrote for cache writes before it followed the registry's ``cache_creation``:
read only, so older traces keep their cache tokens and cost."""
GEN_AI_USAGE_REASONING_OUTPUT_TOKENS: Final = "gen_ai.usage.reasoning.output_tokens"
GEN_AI_INPUT_MESSAGES: Final = "gen_ai.input.messages"
GEN_AI_OUTPUT_MESSAGES: Final = "gen_ai.output.messages"
GEN_AI_SYSTEM_INSTRUCTIONS: Final = "gen_ai.system_instructions"
GEN_AI_TOOL_DEFINITIONS: Final = "gen_ai.tool.definitions"
GEN_AI_TOOL_NAME: Final = "gen_ai.tool.name"
GEN_AI_TOOL_TYPE: Final = "gen_ai.tool.type"
GEN_AI_TOOL_DESCRIPTION: Final = "gen_ai.tool.description"
GEN_AI_TOOL_CALL_ID: Final = "gen_ai.tool.call.id"
GEN_AI_TOOL_CALL_ARGUMENTS: Final = "gen_ai.tool.call.arguments"
GEN_AI_TOOL_CALL_RESULT: Final = "gen_ai.tool.call.result"

GEN_AI_EVALUATION_RESULT: Final = "gen_ai.evaluation.result"
"""Event name of a verdict (an assertion, a pytest outcome) on the session it judged."""
GEN_AI_EVALUATION_NAME: Final = "gen_ai.evaluation.name"
GEN_AI_EVALUATION_SCORE_VALUE: Final = "gen_ai.evaluation.score.value"
"""A double: 1.0 passed, 0.0 failed (for a bound, see the README's mapping)."""
GEN_AI_EVALUATION_SCORE_LABEL: Final = "gen_ai.evaluation.score.label"
"""Low-cardinality label; ours are ``pass``, ``fail``, ``skip`` (see ``EVAL_*``)."""
GEN_AI_EVALUATION_EXPLANATION: Final = "gen_ai.evaluation.explanation"
EVAL_PASS: Final = "pass"
EVAL_FAIL: Final = "fail"
EVAL_SKIP: Final = "skip"
EVAL_NAME_PYTEST: Final = "pytest"
"""``gen_ai.evaluation.name`` of a test's outcome, recorded by the pytest plugin on the test's session."""

# OpenAI refinement of the inference span (docs/gen-ai/openai.md)
OPENAI_API_TYPE: Final = "openai.api.type"
OPENAI_API_CHAT_COMPLETIONS: Final = "chat_completions"
OPENAI_API_RESPONSES: Final = "responses"
OPENAI_REQUEST_SERVICE_TIER: Final = "openai.request.service_tier"
"""The tier the request asked for; the one billed is the response's (a priority request may be served at default)."""
LEGACY_OPENAI_REQUEST_SERVICE_TIER: Final = "gen_ai.openai.request.service_tier"
"""The same, as earlier GenAI conventions (and instrumentations that follow them) spelt it."""
OPENAI_RESPONSE_SERVICE_TIER: Final = "openai.response.service_tier"
LEGACY_OPENAI_RESPONSE_SERVICE_TIER: Final = "gen_ai.openai.response.service_tier"
"""The same, as earlier GenAI conventions (and instrumentations that follow them) spelt it."""
OPENAI_RESPONSE_SYSTEM_FINGERPRINT: Final = "openai.response.system_fingerprint"

SERVER_ADDRESS: Final = "server.address"
SERVER_PORT: Final = "server.port"
CLOUD_REGION: Final = "cloud.region"
"""OpenTelemetry's cloud region; on a Claude call through Google Vertex AI (``AnthropicVertex``) the region its
client sends to (``global``, ``us``, ``us-east5``...): any but ``global`` is billed above the price table's rates."""
ERROR_TYPE: Final = "error.type"
ERROR_TYPE_OTHER: Final = "_OTHER"
"""OpenTelemetry's ``error.type`` for a failure of no known type (a recorded event's error text with no
``Type:`` prefix); read back, only the text is shown."""
SESSION_ID: Final = "session.id"
"""Stamped on every span started inside a session, ours or foreign: the reassembler's grouping key."""
SERVICE_NAME: Final = "service.name"
EVENT_EXCEPTION: Final = "exception"
EXCEPTION_TYPE: Final = "exception.type"
EXCEPTION_MESSAGE: Final = "exception.message"
"""Recorded masked (see ``_redact``): a provider's error may echo the key it was given."""
STATUS_DESCRIPTION: Final = "otel.status_description"
"""Not an attribute: the name the redaction hook is given for a span's error status text (the name
OpenTelemetry uses for it where a status must travel as an attribute, e.g. to Zipkin)."""
EXCEPTION_STACKTRACE: Final = "exception.stacktrace"
EXCEPTION_ESCAPED: Final = "exception.escaped"
"""Deprecated in the conventions; never written by us (the SDK's ``record_exception`` writes "False" even
for an exception that escapes), only named so tests can check its absence."""

# Other instrumentations' LLM spans, recognised by agentops_otel.genai_spans (live session and replay alike).
GEN_AI_SYSTEM: Final = "gen_ai.system"
"""Deprecated spelling of ``gen_ai.provider.name``; still emitted by the official openai-v2 and OpenLLMetry."""
OPENLLMETRY_REQUEST_TYPE: Final = "llm.request.type"
"""OpenLLMetry's legacy LLM marker: ``chat``, ``completion``, ``embedding``..."""
OPENLLMETRY_TYPE_EMBEDDING: Final = "embedding"
OPENLLMETRY_REQUEST_TYPES: Final = frozenset({"chat", "completion", OPENLLMETRY_TYPE_EMBEDDING})
OPENLLMETRY_USAGE_PROMPT_TOKENS: Final = "gen_ai.usage.prompt_tokens"
OPENLLMETRY_USAGE_COMPLETION_TOKENS: Final = "gen_ai.usage.completion_tokens"
OPENLLMETRY_USAGE_TOTAL_TOKENS: Final = "llm.usage.total_tokens"
OPENLLMETRY_USAGE_CACHE_READ_TOKENS: Final = "gen_ai.usage.cache_read_input_tokens"
OPENLLMETRY_USAGE_CACHE_WRITE_TOKENS: Final = "gen_ai.usage.cache_creation_input_tokens"
OPENINFERENCE_SPAN_KIND: Final = "openinference.span.kind"
OPENINFERENCE_KIND_LLM: Final = "LLM"
OPENINFERENCE_KIND_EMBEDDING: Final = "EMBEDDING"
OPENINFERENCE_LLM_KINDS: Final = frozenset({OPENINFERENCE_KIND_LLM, OPENINFERENCE_KIND_EMBEDDING})
OPENINFERENCE_MODEL_NAME: Final = "llm.model_name"
OPENINFERENCE_PROVIDER: Final = "llm.provider"
OPENINFERENCE_SYSTEM: Final = "llm.system"
OPENINFERENCE_TOKENS_PROMPT: Final = "llm.token_count.prompt"
OPENINFERENCE_TOKENS_COMPLETION: Final = "llm.token_count.completion"
OPENINFERENCE_TOKENS_CACHE_READ: Final = "llm.token_count.prompt_details.cache_read"
OPENINFERENCE_TOKENS_CACHE_WRITE: Final = "llm.token_count.prompt_details.cache_write"

# Values of gen_ai.operation.name
OP_CHAT: Final = "chat"
OP_TEXT_COMPLETION: Final = "text_completion"
OP_GENERATE_CONTENT: Final = "generate_content"
OP_EMBEDDINGS: Final = "embeddings"
OP_EXECUTE_TOOL: Final = "execute_tool"
OP_INVOKE_AGENT: Final = "invoke_agent"
OP_CREATE_AGENT: Final = "create_agent"
LLM_OPERATIONS: Final = frozenset({OP_CHAT, OP_TEXT_COMPLETION, OP_GENERATE_CONTENT, OP_EMBEDDINGS})
"""Operations that are model calls (cost and tokens live on these)."""

PROVIDER_OPENAI: Final = "openai"
PROVIDER_ANTHROPIC: Final = "anthropic"
PROVIDER_AZURE_OPENAI: Final = "azure.ai.openai"
"""Azure OpenAI, through the ``openai`` SDK's ``AzureOpenAI`` / ``AsyncAzureOpenAI`` clients or a client sent to an
Azure OpenAI host. Its request's ``model`` names a deployment (a label the user chose), not a model: the
response's ``model`` names the model served."""
PROVIDER_AWS_BEDROCK: Final = "aws.bedrock"
"""Claude through AWS Bedrock (the ``anthropic`` SDK's ``AnthropicBedrock`` / ``AsyncAnthropicBedrock`` clients): the
conventions' value for Bedrock, the one the SDK's own spans write. Its request's ``model`` is a Bedrock model id or
inference profile (``us.anthropic.claude-...-v1:0``, ``global.anthropic...``), which sets the price: the response's
``model`` is Anthropic's own id, the same whichever profile served it."""
PROVIDER_GCP_VERTEX_AI: Final = "gcp.vertex_ai"
"""Claude through Google Vertex AI (``AnthropicVertex`` / ``AsyncAnthropicVertex``): the conventions' value for
Vertex AI, the one the SDK's own spans write; the region the client sends to is ``CLOUD_REGION``."""
CLAUDE_PROVIDERS: Final = frozenset({PROVIDER_ANTHROPIC, PROVIDER_AWS_BEDROCK, PROVIDER_GCP_VERTEX_AI})
"""Where the anthropic instrumentation's calls go: Anthropic's API and the clouds serving it (same Messages API,
same usage and service tiers; each cloud's own prices)."""
AZURE_OPENAI_ALIASES: Final = frozenset({PROVIDER_AZURE_OPENAI, "az.ai.openai", "azure"})
"""How spans name Azure OpenAI (lower-cased): the conventions' value, their earlier ``gen_ai.system`` one
(``az.ai.openai``), OpenInference's ``llm.provider`` (``azure``); all read as :data:`PROVIDER_AZURE_OPENAI`."""

# --- anthropic's own names, kept for what the conventions do not split --------------------------
ANTHROPIC_CACHE_WRITE_5M: Final = "anthropic.usage.cache_creation.ephemeral_5m_input_tokens"
"""Cache writes with the 5-minute TTL (a share of ``gen_ai.usage.cache_write.input_tokens``)."""
ANTHROPIC_CACHE_WRITE_1H: Final = "anthropic.usage.cache_creation.ephemeral_1h_input_tokens"
"""Cache writes with the 1-hour TTL, priced higher; the names the anthropic SDK's own spans use."""
ANTHROPIC_RESPONSE_SERVICE_TIER: Final = "anthropic.response.service_tier"
"""The tier the anthropic SDK's own span says served the call (``usage.service_tier``): read back for its price."""
ANTHROPIC_REQUEST_ID: Final = "anthropic.request.id"
"""The ``request-id`` Anthropic support asks for (also on the SDK's own spans, which ours replace)."""
ANTHROPIC_SDK_SCOPE: Final = "com.anthropic.sdk.python"
"""Instrumentation scope of the spans the anthropic SDK emits itself."""
GENAI_SCOPE_PREFIXES: Final = (
    "openinference.instrumentation", "opentelemetry.instrumentation.genai", "opentelemetry.instrumentation.openai",
    "opentelemetry.instrumentation.anthropic", "opentelemetry.instrumentation.google_genai",
    "opentelemetry.instrumentation.vertexai", ANTHROPIC_SDK_SCOPE)
"""Scopes (by prefix) of instrumentations that trace nothing but GenAI calls: a span of theirs named by the
conventions (``chat gpt-4o``) is that call even when no attribute says so (dropped by a limit, say). Any
other instrumentation's span is only what its attributes say: a websocket's ``chat support-room`` is no call."""

# --- ours: agentops.* only where the conventions have nothing ---------------------------------
SEQ: Final = "agentops.seq"
"""Per-session start order (int), from one counter per session object in the process that runs it: the order
the reassembler lists that process's steps in when start times collide or its clock went back (``_start_order``).
Absent on a span started at an earlier time its caller gave (``processor._BACKDATED_NS``)."""
TAGS: Final = "agentops.tags"
SESSION_NAME: Final = "agentops.session.name"
SESSION_END_STATE: Final = "agentops.session.end_state"
SESSION_END_REASON: Final = "agentops.session.end_reason"
SESSION_COST_USD: Final = "agentops.session.cost_usd"
SESSION_COST_MICROS: Final = "agentops.session.cost_micros"
"""Integer micro-dollars: the tail-sampling numeric policy ignores double attributes."""
SESSION_COST_COMPLETE: Final = "agentops.session.cost_complete"
SESSION_COST_INCOMPLETE_REASON: Final = "agentops.session.cost_incomplete_reason"
"""On a root whose cost is incomplete for a reason no call carries (``GAP_STEPS_OUTSIDE``): read back, the
summary names it instead of guessing at a lost unpriced call."""
SESSION_LLM_CALLS: Final = "agentops.session.llm_calls"
SESSION_TOOL_CALLS: Final = "agentops.session.tool_calls"
SESSION_ACTIONS: Final = "agentops.session.actions"
SESSION_ERRORS: Final = "agentops.session.errors"
SESSION_FAILED_SPAN_ID: Final = "agentops.session.failed_span_id"
VERDICT_END_STATE: Final = "agentops.verdict.session_end_state"
"""On an ``evaluation`` span: the session failed after all (only ``Fail`` is read). The pytest plugin writes it
when a test fails whose session the code under test had already ended otherwise: the root is frozen, so
readers take this end state (and ``VERDICT_END_REASON``) over the root's."""
VERDICT_END_REASON: Final = "agentops.verdict.session_end_reason"
VERDICT_ROOT_END_STATE: Final = "agentops.verdict.root_end_state"
"""On a late ``Fail`` verdict: the end state its session's frozen root shows (``Success``, ``Indeterminate``).
Collectors count sessions by their root, one span at a time, and cannot join the verdict to it: this says
which of their counts the session moves out of (``gate --source prometheus://`` moves it to ``Fail``). The
span also copies the root's ``TAGS``, ``RUN_ID`` and ``SESSION_PARENT_ID``, so it is filtered like the root."""
SESSION_FAILED_SPAN_NAME: Final = "agentops.session.failed_span_name"
SESSION_PARENT_ID: Final = "agentops.session.parent_id"
"""On a nested session's root: the enclosing session's id (nesting survives a new_trace split)."""
RUN_ID: Final = "agentops.run.id"
"""The CI run a session belongs to (a resource attribute of our provider, and on every session root; with a
provider we did not build, on every span of the session too, so one killed before its root was exported is
still found): ``gate --run`` / ``--this-run`` judge exactly these sessions.
Ours rather than ``cicd.pipeline.run.id``: it may be composite (GitHub's run id and attempt) or chosen
by the user (``AGENTOPS_OTEL_RUN_ID``)."""
RUN_SYSTEM: Final = "agentops.run.system"
"""Which CI system the run id came from: ``github_actions``, ``gitlab``, ``jenkins``, ``buildkite``,
``circleci``, ``azure_pipelines``, ``travis``, ``ci`` (a generic ``BUILD_ID``) or ``custom``."""
VARIANT: Final = "agentops.variant"
"""On a variation run's session root: which input it ran (its label), so a gate over many runs can tell
a flaky variant (passes and fails across repetitions) from one that always fails."""
VARIANT_KEY: Final = "agentops.variant.key"
"""A digest of the whole variant input and the agent's name: the label is cut for display, so two long
inputs, or one input given to two agents, may share it; the gate groups repetitions by this."""
COST_USD: Final = "agentops.cost.usd"
"""USD cost of one LLM call; absent when the model has no known price."""
ACTION_TYPE: Final = "agentops.action.type"
ACTION_PARAMS: Final = "agentops.action.params"
ACTION_RETURNS: Final = "agentops.action.returns"
LLM_PARAMS: Final = "agentops.llm.params"
"""On a recorded model call: the ``LLMEvent.params`` (its request arguments; content, recorded like a prompt)."""
LLM_RETURNS: Final = "agentops.llm.returns"
"""On a recorded model call: the ``LLMEvent.returns`` (the response as the agent had it; content)."""
LOGS: Final = "agentops.logs"
"""On a recorded tool, action or error step: the event's ``logs=`` (content, recorded like arguments)."""
ERROR_MESSAGE: Final = "agentops.error.message"
"""On an ``error`` step (ErrorEvent): the human-readable detail shown in replays."""
ERROR_CODE: Final = "agentops.error.code"
ERROR_TRIGGER: Final = "agentops.error.trigger"
"""On an ``error`` step: the event that triggered it (content, recorded like other content)."""
ERROR_TRIGGER_TYPE: Final = "agentops.error.trigger_type"
"""The event class (``ActionEvent``, ``ToolEvent``, ``LLMEvent``) an error's trigger was, so it reads back as one."""
LLM_RECORDED_BY_HAND: Final = "agentops.llm.recorded_by_hand"
"""True on the span of ``record(LLMEvent)``: a call the agent reported, which no SDK call will ask a replay for."""
BATCH_ENDPOINT: Final = "agentops.batch.endpoint"
"""On a batch submit's span, and only there: the endpoint its requests run on (``/v1/messages``,
``/v1/chat/completions``...). The span is then no one model call but as many as the batch holds."""
BATCH_REQUESTS: Final = "agentops.batch.requests"
"""On a batch submit's span: how many requests the batch holds, when the submit or its answer says (an anthropic
list of requests does; an openai input file is counted by the API only after the submit). Absent: unknown."""
BATCH_ID: Final = "agentops.batch.id"
"""On a batch submit's span: the provider's id of the batch created (``msgbatch_...``, ``batch_...``), to find its
results and its bill."""
BATCH_SPAN_TARGET: Final = "batch"
"""A batch submit's span is named ``{operation} batch`` (``chat batch``): its requests may name several models."""
USAGE_MISSING: Final = "agentops.usage.missing"
"""True on an LLM span whose response carried no usage (e.g. a stream without include_usage)."""
COST_INCOMPLETE_REASON: Final = "agentops.cost.incomplete_reason"
"""On an LLM span without ``agentops.cost.usd``: why its cost is unknown (one of the ``GAP_*`` values).
Bounds fail on such a call instead of counting it as $0, and replays name the reason."""
GAP_USAGE_MISSING: Final = "usage_missing"
"""The response carried no token usage."""
GAP_USAGE_PARTIAL: Final = "usage_partial"
"""The response's usage left out its input or output count (a gateway's, an OpenAI-compatible server's):
the counts it has are recorded, but a price of part of the call is no price of it."""
GAP_STREAM_WITHOUT_USAGE: Final = "stream_without_usage"
"""A stream read to its end had no usage chunk (``stream_options.include_usage`` was not set)."""
GAP_STREAM_NOT_FINISHED: Final = "stream_not_finished"
"""The stream was closed, dropped or broke before its usage arrived."""
GAP_RAW_RESPONSE: Final = "raw_response"
"""``with_raw_response`` / ``with_streaming_response``: the caller reads the body, we never see usage."""
GAP_CALL_FAILED: Final = "call_failed"
"""The call raised before any usage was reported (an API error, a timeout)."""
STOPPED_WAITING_STATUSES: Final = frozenset({"408", "504", "524"})
"""``error.type`` statuses that say something between us and the model stopped waiting (a request timeout,
a gateway's timeout, Cloudflare's): not that the model never ran. Any other status the API answered with
is an unbilled call: $0, and no tokens."""
GAP_MODEL_UNPRICED: Final = "model_unpriced"
"""Usage is known but the model has no price (``register_price`` adds one)."""
GAP_USAGE_UNPRICED: Final = "usage_unpriced"
"""Usage is known and the model priced, but something the call was billed for has no rate in the table
(audio tokens, web or file searches, a code interpreter or generated image, a service tier such as priority, flex,
scale or batch, fast mode, one-hour cache writes): left out it would understate the bill."""
GAP_MODEL_MISSING: Final = "model_missing"
"""Usage is known but no model was named (``LLMEvent`` without ``model=``): there is nothing to price it by,
and no price to register."""
GAP_ENDPOINT_UNPRICED: Final = "endpoint_unpriced"
"""A billed endpoint we record but do not price (openai images, audio, videos, decisions, compaction): billed
per image, second or character, or at rates the price table does not hold. Its tokens are recorded when the
response reports them; without them the span also says ``USAGE_MISSING``."""
GAP_BATCH_QUEUED: Final = "batch_queued"
"""A batch submit (anthropic ``messages.batches.create``, openai ``batches.create``): billable work queued to run
outside the session, for up to a day after it; what its requests cost and how many tokens they use is unknown at
submit time (the span also says ``USAGE_MISSING``). Cost and token bounds refuse it; call bounds count its requests
(``BATCH_REQUESTS``), and refuse one whose number is unknown."""
GAP_TIER_UNCONFIRMED: Final = "service_tier_unconfirmed"
"""Usage is known and the model priced, but the request asked for a service tier billed at rates of its own
(priority, flex...) and the response named none (or only ``auto``): the tier it was billed at is unknown, and the
standard rates could be short of the bill (an OpenAI-compatible gateway that drops the field)."""
GAP_DEPLOYMENT_TYPE_UNKNOWN: Final = "deployment_type_unknown"
"""Usage is known and the model has Azure's (Global) rates, but the call went to an Azure OpenAI deployment of
unknown type: Data Zone and Regional deployments cost about 10% more, provisioned ones are billed by the hour, and
the response does not say which served it (``ENV_AZURE_DEPLOYMENT``, or a registered price, settles it)."""
GAP_CACHE_TTL_UNKNOWN: Final = "cache_ttl_unknown"
"""Usage is known and the model priced, but the response did not say how many of its cache writes had the
one-hour TTL (Anthropic's ``usage.cache_creation`` split missing or short of the total): those cost 1.6x the
five-minute ones, so pricing them all as five-minute writes could be short of the bill."""
PRICE_GAPS: Final = frozenset({GAP_MODEL_UNPRICED, GAP_USAGE_UNPRICED, GAP_TIER_UNCONFIRMED, GAP_MODEL_MISSING,
                               GAP_ENDPOINT_UNPRICED, GAP_DEPLOYMENT_TYPE_UNKNOWN, GAP_CACHE_TTL_UNKNOWN})
"""The reasons of calls whose tokens are known (only their price is not): token bounds count them."""
GAP_INVALID_COST: Final = "cost_not_a_price"
"""The cost given for the call (``LLMEvent(cost=...)``), or recorded on its span, was not a price: NaN, infinite,
negative or not a number."""
GAP_INVALID_TOKENS: Final = "tokens_not_counts"
"""The token counts given for the call (``LLMEvent(prompt_tokens=...)``) were not counts: negative,
fractional, NaN or not numbers. Never summed: the session's tokens would be meaningless."""
GAP_MODELS_UNWATCHED: Final = "models_not_instrumented"
"""On a session root (``SESSION_COST_INCOMPLETE_REASON``): no model client was instrumented while it ran
(no ``init()``, no ``instrument_openai()``): the model calls it made, if any, were never seen."""
GAP_STEPS_OUTSIDE: Final = "steps_outside_session"
"""On a session root (``SESSION_COST_INCOMPLETE_REASON``): steps of the session were still running when it
ended, or started after it; the calls they made are in none of its totals, so it cannot vouch for its cost."""
GAP_TOTALS_INTERRUPTED: Final = "totals_interrupted"
"""On a session root (``SESSION_COST_INCOMPLETE_REASON``): the process was stopped (SIGTERM) while the session's
totals were being updated or written, and the exit wrote the root without waiting for that: the step being
counted may be in none of its totals nor in the trace, so its calls, tokens and cost are only a lower bound."""

# --- span names (prefix + " " + subject) -------------------------------------------------------
SPAN_SESSION: Final = "invoke_agent"
SPAN_TOOL: Final = "execute_tool"
SPAN_ACTION: Final = "action"
SPAN_ERROR: Final = "error"
SPAN_EVALUATION: Final = "evaluation"
"""``evaluation {name}``: carries a verdict made after its session's root span ended (frozen), as a
child of that root; the reassembler folds it into the session's verdicts instead of showing a step."""

# --- end states --------------------------------------------------------------------------------
END_SUCCESS: Final = "Success"
END_FAIL: Final = "Fail"
END_INDETERMINATE: Final = "Indeterminate"
END_STATES: Final = (END_SUCCESS, END_FAIL, END_INDETERMINATE)
NEVER_ENDED: Final = "never ended"
"""First words of the end reason of a session the program left open and we ended (at exit, on SIGTERM, or
the pytest plugin after the test): ``sessions --open`` finds them by it."""

# --- environment variables ---------------------------------------------------------------------
ENV_CAPTURE_CONTENT: Final = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"
"""``no_content`` | ``span_only`` | ``event_only`` | ``span_and_event`` (legacy ``true`` = span_only)."""
ENV_SERVICE_NAME: Final = "OTEL_SERVICE_NAME"
ENV_OTLP_ENDPOINT: Final = "OTEL_EXPORTER_OTLP_ENDPOINT"
ENV_OTLP_TRACES_ENDPOINT: Final = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
ENV_OTLP_PROTOCOL: Final = "OTEL_EXPORTER_OTLP_PROTOCOL"
ENV_OTLP_TRACES_PROTOCOL: Final = "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"
ENV_TRACES_EXPORTER: Final = "OTEL_TRACES_EXPORTER"
ENV_SDK_DISABLED: Final = "OTEL_SDK_DISABLED"
ENV_FILE: Final = "AGENTOPS_OTEL_FILE"
"""Where the embedded default sink writes OTLP JSON lines when no OTLP endpoint is configured."""
ENV_URL_TEMPLATE: Final = "AGENTOPS_OTEL_URL_TEMPLATE"
"""Session link, formatted with ``{trace_id}``, ``{span_id}``, ``{session_id}``."""
ENV_MAX_VALUE_CHARS: Final = "AGENTOPS_OTEL_MAX_VALUE_CHARS"
"""Longest recorded argument/result (characters) before truncation with a marker."""
ENV_MAX_CONTENT_CHARS: Final = "AGENTOPS_OTEL_MAX_CONTENT_CHARS"
"""Per-span budget (characters) for the message history of an LLM call: the newest messages that fit
are recorded, the older ones replaced by one marker saying how many."""
ENV_MAX_SESSION_SPANS: Final = "AGENTOPS_OTEL_MAX_SESSION_SPANS"
"""How many finished spans one live session keeps in memory for ``get_session()``."""
ENV_AZURE_DEPLOYMENT: Final = "AGENTOPS_OTEL_AZURE_DEPLOYMENT"
"""The type of the Azure OpenAI deployments the program calls: ``global`` prices their calls at Azure's (Global)
rates; ``data_zone``, ``regional`` or ``provisioned`` (billed above them, or by the hour), or unset, leaves them
unpriced (``GAP_DEPLOYMENT_TYPE_UNKNOWN``) unless a price is registered. Read at each Azure call."""
AZURE_DEPLOYMENT_TYPES: Final = ("global", "data_zone", "regional", "provisioned")
"""The values :data:`ENV_AZURE_DEPLOYMENT` takes; only ``global`` has rates in the price table."""
AZURE_GLOBAL: Final = "global"
ENV_DISABLED_INSTRUMENTATIONS: Final = "OTEL_PYTHON_DISABLED_INSTRUMENTATIONS"
"""OpenTelemetry's comma-separated list of instrumentor entry points not to load (``*``: none); ``init()``
reads it for ours too (:data:`INSTRUMENTOR_OPENAI`, :data:`INSTRUMENTOR_ANTHROPIC`)."""
INSTRUMENTOR_OPENAI: Final = "agentops_openai"
"""The ``opentelemetry_instrumentor`` entry point of our openai instrumentation (``pyproject.toml``)."""
INSTRUMENTOR_ANTHROPIC: Final = "agentops_anthropic"
INSTRUMENTORS_ALL: Final = "*"
ENV_DISABLED: Final = "AGENTOPS_OTEL_DISABLED"
"""``true`` turns every wrapper into a pass-through (an escape hatch in production)."""
ENV_SOURCE_HEADERS: Final = "AGENTOPS_OTEL_SOURCE_HEADERS"
"""Headers sent to a backend source (``X-Scope-OrgID=t1,Authorization=Bearer …``), as in
``OTEL_EXPORTER_OTLP_HEADERS``: tenants and tokens never go into the source URL."""
ENV_EXIT_TIMEOUT_MILLIS: Final = "AGENTOPS_OTEL_EXIT_TIMEOUT_MILLIS"
"""How long exit (``shutdown()``, interpreter exit, SIGTERM, end of a pytest run) waits for the backend
before writing what is left to the local file. Milliseconds, like the ``OTEL_*`` timeouts."""

ENV_RUN_ID: Final = "AGENTOPS_OTEL_RUN_ID"
"""The run id sessions carry (``agentops.run.id``); wins over the CI system's own variables."""
ENV_CI_RUN_VARIABLES: Final = (
    ("github_actions", ("GITHUB_RUN_ID",)),
    ("gitlab", ("CI_PIPELINE_ID",)),
    ("buildkite", ("BUILDKITE_BUILD_ID",)),
    ("circleci", ("CIRCLE_WORKFLOW_ID",)),
    ("azure_pipelines", ("BUILD_BUILDID",)),
    ("travis", ("TRAVIS_BUILD_ID",)),
    ("jenkins", ("BUILD_TAG", "BUILD_ID", "BUILD_NUMBER")),
)
"""Where each CI system keeps its run id, checked in this order after ``AGENTOPS_OTEL_RUN_ID``
(GitHub's ``GITHUB_RUN_ATTEMPT`` is appended; Jenkins needs ``JENKINS_URL`` set, else a bare
``BUILD_ID`` counts as system ``ci``)."""

# --- set by readers, never on the wire ----------------------------------------------------------
READ_PARTIAL: Final = "agentops.read.partial"
"""On the resource of spans from a trace the backend returned only in part (Tempo's
``"status": "PARTIAL"``): why, in the backend's words."""
READ_UNREADABLE: Final = "agentops.read.unreadable"
"""On a resource some of whose attribute values could not be read: which, and why (the values are
left out; the sessions on it get the ``unreadable_attributes`` issue)."""
READ_UNREAD_FIELDS: Final = "agentops.unread"
"""In a message read from another instrumentation's attributes: the fields the reader does not know,
kept whole so that two calls differing there still differ (and the diff says it could not read them)."""

INSTRUMENTATION_SCOPE: Final = "agentops_otel"

# --- added by the openai instrumentation (issue 3) ----------------------------------------------
EVENT_INFERENCE_DETAILS: Final = "gen_ai.client.inference.operation.details"
"""Span event carrying the message content when capture is ``event_only`` / ``span_and_event``."""
EVENT_STEP_CONTENT: Final = "agentops.step.content"
"""Span event carrying a tool's, an action's or a recorded error's content (``gen_ai.tool.call.arguments`` /
``.result``, ``agentops.action.params`` / ``.returns``, ``agentops.logs``...) when capture is ``event_only`` /
``span_and_event``, under the attribute names it has on the span. Ours: the conventions define the inference
details event for inference spans only, and no content event for ``execute_tool``."""
CONTENT_EVENTS: Final = frozenset({EVENT_INFERENCE_DETAILS, EVENT_STEP_CONTENT})
"""The span events content may be recorded on instead of the span's attributes."""

# --- content as other instrumentations write it (read only, issue 11) ---------------------------
OI_INPUT_VALUE: Final = "input.value"
"""OpenInference: a span's input (for an LLM span, the raw request body as JSON)."""
OI_OUTPUT_VALUE: Final = "output.value"
"""OpenInference: a span's output (for an LLM span, the raw response body as JSON)."""
TL_SPAN_KIND: Final = "traceloop.span.kind"
"""OpenLLMetry (traceloop): ``workflow`` / ``task`` / ``agent`` / ``tool`` for its own spans."""
TL_ENTITY_NAME: Final = "traceloop.entity.name"
"""OpenLLMetry: the decorated function's name (the span is named ``{name}.{kind}``, e.g. ``get_weather.tool``)."""
OI_TOOL_NAME: Final = "tool.name"
"""OpenInference: a TOOL span's tool name."""
TL_ENTITY_INPUT: Final = "traceloop.entity.input"
"""OpenLLMetry: a workflow's or task's input, as JSON text."""
TL_ENTITY_OUTPUT: Final = "traceloop.entity.output"
"""OpenLLMetry: a workflow's or task's output, as JSON text."""
OI_INPUT_MESSAGES: Final = "llm.input_messages."
"""OpenInference prefix: ``llm.input_messages.{i}.message.role`` / ``.message.content``."""
OI_OUTPUT_MESSAGES: Final = "llm.output_messages."
"""OpenInference prefix: ``llm.output_messages.{i}.message.role`` / ``.message.content``."""
OI_MESSAGE_ROLE: Final = "message.role"
OI_MESSAGE_CONTENT: Final = "message.content"
OI_MESSAGE_NAME: Final = "message.name"
OI_MESSAGE_TOOL_CALL_ID: Final = "message.tool_call_id"
"""On a tool result message: the id of the call it answers."""
OI_MESSAGE_FUNCTION_CALL_NAME: Final = "message.function_call_name"
OI_MESSAGE_FUNCTION_CALL_ARGUMENTS: Final = "message.function_call_arguments_json"
OI_MESSAGE_CONTENTS: Final = "message.contents."
"""Prefix of a multimodal message's parts: ``message.contents.{j}.message_content.type`` / ``.text`` /
``.image.image.url``."""
OI_CONTENT_TYPE: Final = "message_content.type"
OI_CONTENT_TEXT: Final = "message_content.text"
OI_CONTENT_IMAGE_URL: Final = "message_content.image.image.url"
OI_MESSAGE_TOOL_CALLS: Final = "message.tool_calls."
"""Prefix of a message's tool calls: ``message.tool_calls.{k}.tool_call.id`` / ``.function.name`` /
``.function.arguments``."""
OI_TOOL_CALL_ID: Final = "tool_call.id"
OI_TOOL_CALL_NAME: Final = "tool_call.function.name"
OI_TOOL_CALL_ARGUMENTS: Final = "tool_call.function.arguments"
OI_INVOCATION_PARAMETERS: Final = "llm.invocation_parameters"
"""OpenInference: an LLM call's request parameters (temperature, max tokens...), as JSON text."""
OI_REDACTED: Final = "__REDACTED__"
"""What OpenInference writes in place of content its ``TraceConfig`` hides (``hide_inputs``, ...)."""
LEGACY_PROMPT: Final = "gen_ai.prompt."
"""OpenLLMetry before the 2025 conventions: ``gen_ai.prompt.{i}.role`` / ``.content`` / ``.tool_call_id`` /
``.tool_calls.{k}.id`` / ``.name`` / ``.arguments``."""
LEGACY_COMPLETION: Final = "gen_ai.completion."
"""OpenLLMetry before the 2025 conventions: ``gen_ai.completion.{i}.role`` / ``.content`` /
``.finish_reason`` / ``.refusal`` / ``.function_call.name`` / ``.tool_calls.{k}.*`` as in prompts."""
LEGACY_ROLE: Final = "role"
LEGACY_CONTENT: Final = "content"
LEGACY_FINISH_REASON: Final = "finish_reason"
LEGACY_REFUSAL: Final = "refusal"
LEGACY_TOOL_CALL_ID: Final = "tool_call_id"
LEGACY_TOOL_CALLS: Final = "tool_calls."
LEGACY_CALL_ID: Final = "id"
LEGACY_CALL_NAME: Final = "name"
LEGACY_CALL_ARGUMENTS: Final = "arguments"
LEGACY_FUNCTION_CALL_NAME: Final = "function_call.name"
LEGACY_FUNCTION_CALL_ARGUMENTS: Final = "function_call.arguments"
