"""Which spans are LLM calls, and what each one used and cost, whoever instrumented it.

The README promises that a session counts "ours or any other instrumentation's" LLM calls. Three
families are common besides ours: the official OpenTelemetry openai-v2 instrumentation
(``gen_ai.operation.name`` plus ``gen_ai.usage.input_tokens``/``output_tokens``), OpenLLMetry's legacy
attributes (``llm.request.type`` with ``gen_ai.usage.prompt_tokens``/``completion_tokens``), and
OpenInference (``openinference.span.kind`` = ``LLM`` with ``llm.model_name`` and ``llm.token_count.*``).
Only our spans carry a cost; for the others it is computed here from the model and usage with the
same price table, so the live session, the root span's totals and a replay read from a backend all
agree. Pure functions of a span's attributes: the live rollup and the reassembler both call them.

When two instrumentations wrap the same call, one LLM span is the parent of the other; the *inner*
one (closest to the request) is the call, the outer is not counted again (:func:`wrappers`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any, Final, NamedTuple

from . import semconv as sc
from ._azure import is_azure_openai_host

_INPUT_KEYS = (sc.GEN_AI_USAGE_INPUT_TOKENS, sc.OPENLLMETRY_USAGE_PROMPT_TOKENS, sc.OPENINFERENCE_TOKENS_PROMPT)
_OUTPUT_KEYS = (sc.GEN_AI_USAGE_OUTPUT_TOKENS, sc.OPENLLMETRY_USAGE_COMPLETION_TOKENS,
                sc.OPENINFERENCE_TOKENS_COMPLETION)
_CACHE_READ_KEYS = (sc.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS, sc.OPENLLMETRY_USAGE_CACHE_READ_TOKENS,
                    sc.OPENINFERENCE_TOKENS_CACHE_READ)
_CACHE_WRITE_KEYS = (sc.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS, sc.LEGACY_USAGE_CACHE_WRITE_INPUT_TOKENS,
                     sc.OPENLLMETRY_USAGE_CACHE_WRITE_TOKENS, sc.OPENINFERENCE_TOKENS_CACHE_WRITE)
_TOKEN_KEYS = (_INPUT_KEYS, _OUTPUT_KEYS, _CACHE_READ_KEYS, _CACHE_WRITE_KEYS,
               (sc.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS,))
TOKEN_KEYS: Final = tuple(key for keys in _TOKEN_KEYS for key in keys)
"""Every spelling of every token count :func:`llm_usage` reads."""
_MODEL_KEYS = (sc.GEN_AI_RESPONSE_MODEL, sc.GEN_AI_REQUEST_MODEL, sc.OPENINFERENCE_MODEL_NAME)
_SERVED_KEYS = (sc.GEN_AI_RESPONSE_MODEL, sc.OPENINFERENCE_MODEL_NAME)
"""The model that answered (OpenInference names the response's); an Azure call is priced by it only: its request
names a deployment, a label."""
_PROVIDER_KEYS = (sc.GEN_AI_PROVIDER_NAME, sc.GEN_AI_SYSTEM, sc.OPENINFERENCE_PROVIDER, sc.OPENINFERENCE_SYSTEM)
_SERVICE_TIER_KEYS = (sc.OPENAI_RESPONSE_SERVICE_TIER, sc.LEGACY_OPENAI_RESPONSE_SERVICE_TIER,
                      sc.ANTHROPIC_RESPONSE_SERVICE_TIER)
"""The tier the response was served (and billed) at; the request's may be ``auto``."""
_REQUESTED_TIER_KEYS = (sc.OPENAI_REQUEST_SERVICE_TIER, sc.LEGACY_OPENAI_REQUEST_SERVICE_TIER)
"""The tier asked for: one the response does not confirm leaves the call unpriced (``cost.billed_tier``)."""


class LLMUsage(NamedTuple):
    """One LLM call's model, tokens and cost (``None`` where the span does not say / has no price)."""

    model: str | None
    provider: str
    input_tokens: int | None
    output_tokens: int | None
    cache_read_tokens: int
    cache_write_tokens: int
    reasoning_tokens: int
    cost_usd: float | None


def is_llm(attrs: Mapping[str, Any]) -> bool:
    """True for an LLM (or embeddings) call span of ours, openai-v2, OpenLLMetry or OpenInference."""
    op = attrs.get(sc.GEN_AI_OPERATION_NAME)
    if op is not None:
        return op in sc.LLM_OPERATIONS
    kind = attrs.get(sc.OPENINFERENCE_SPAN_KIND)
    if isinstance(kind, str):
        return kind.upper() in sc.OPENINFERENCE_LLM_KINDS
    request_type = attrs.get(sc.OPENLLMETRY_REQUEST_TYPE)
    return isinstance(request_type, str) and request_type.lower() in sc.OPENLLMETRY_REQUEST_TYPES


def _is_embeddings(attrs: Mapping[str, Any]) -> bool:
    if attrs.get(sc.GEN_AI_OPERATION_NAME) == sc.OP_EMBEDDINGS:
        return True
    kind = attrs.get(sc.OPENINFERENCE_SPAN_KIND)
    request_type = attrs.get(sc.OPENLLMETRY_REQUEST_TYPE)
    return (isinstance(kind, str) and kind.upper() == sc.OPENINFERENCE_KIND_EMBEDDING) or (
        request_type == sc.OPENLLMETRY_TYPE_EMBEDDING)


COUNT_KEYS = (*_INPUT_KEYS, *_OUTPUT_KEYS, *_CACHE_READ_KEYS, *_CACHE_WRITE_KEYS,
              sc.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS, sc.SEQ, sc.SESSION_LLM_CALLS, sc.SESSION_TOOL_CALLS,
              sc.BATCH_REQUESTS)
"""Every attribute the readers take as a count (tokens, calls, the start order)."""


def whole(v: Any) -> int | None:
    """A count as written: a non-negative int, or a double holding one (JSON writers send every number as
    one). None for anything else: a negative number, a fraction, NaN, an infinity, true/false or text count
    nothing (:func:`not_counts` names them), and summed they would pass a bound on a session that used more."""
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v if v >= 0 else None
    return int(v) if isinstance(v, float) and v.is_integer() and v >= 0 else None


def not_counts(attrs: Mapping[str, Any]) -> list[str]:
    """``"key is -5, not a count"`` for each count in ``attrs`` written as something that counts nothing:
    read as absent, so a verdict must not trust the figures computed without it."""
    found: list[str] = []
    for key in COUNT_KEYS:
        v = attrs.get(key)
        if v is not None and whole(v) is None:
            found.append(f"{key} is {_as_written(v)}, not a count")
    return found


def _as_written(v: Any) -> str:
    """A value spelt as OTLP JSON writes it (``NaN``, ``-Infinity``, ``1.5``, ``-5``, ``true``, ``'12'``)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if not isinstance(v, float):
        return repr(v)
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "-Infinity" if v < 0 else "Infinity"
    return repr(v)


_NOT_A_COUNT = -1
"""What :func:`_int` gives for a count written as something else (see :func:`whole`)."""


def _int(attrs: Mapping[str, Any], keys: tuple[str, ...]) -> int | None:
    """The count under the first of ``keys`` written, None when none is, ``_NOT_A_COUNT`` when that
    one counts nothing: another spelling beside it is no better to trust."""
    for key in keys:
        v = attrs.get(key)
        if v is not None:
            n = whole(v)
            return _NOT_A_COUNT if n is None else n
    return None


def _str(attrs: Mapping[str, Any], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        v = attrs.get(key)
        if isinstance(v, str) and v:
            return v
    return None


_REQUEST_PREFIXES = (sc.GEN_AI_REQUEST_PREFIX, *sc.PROVIDER_REQUEST_PREFIXES)
_REQUEST_KEYS = (sc.GEN_AI_OUTPUT_TYPE, sc.OPENAI_API_TYPE, sc.OI_INVOCATION_PARAMETERS)
"""Request attributes outside the request prefixes: the output asked for, which API, OpenInference's parameters."""


def request_params(attrs: Mapping[str, Any]) -> dict[str, Any]:
    """Every request parameter an LLM span records, by attribute key: the ``gen_ai.request.*`` family (the
    model among them), the output type, and the provider-specific request attributes. Not the content (messages,
    system instructions, tools: read with :mod:`genai_content`), nor anything the provider answered."""
    return {key: list(value) if isinstance(value, tuple) else value for key, value in attrs.items()
            if (key.startswith(_REQUEST_PREFIXES) or key in _REQUEST_KEYS) and key != sc.ANTHROPIC_REQUEST_ID}


def model_of(attrs: Mapping[str, Any]) -> str | None:
    """The model an LLM span names (response model first), in any of the three spellings."""
    return _str(attrs, _MODEL_KEYS)


def _azure_host(attrs: Mapping[str, Any]) -> bool:
    host = attrs.get(sc.SERVER_ADDRESS)
    return isinstance(host, str) and is_azure_openai_host(host)


def llm_usage(attrs: Mapping[str, Any], *, own: bool) -> LLMUsage:
    """Model, tokens and cost of an LLM span (call :func:`is_llm` first).

    Our own spans (``own``) carry ``agentops.cost.usd`` when they are priced, and say why when they
    are not: their cost is taken as recorded. Another instrumentation's is priced here from model and
    usage, and stays ``None`` (unpriced) when either is missing or the model has no known price.
    """
    model = model_of(attrs)
    provider = (_str(attrs, _PROVIDER_KEYS) or sc.PROVIDER_OPENAI).lower()
    requested = _str(attrs, (sc.GEN_AI_REQUEST_MODEL,))
    priced = model
    if provider in sc.AZURE_OPENAI_ALIASES or (provider == sc.PROVIDER_OPENAI and _azure_host(attrs)):
        # Some instrumentations name an Azure OpenAI call "openai"; its host still says Azure.
        provider, priced = sc.PROVIDER_AZURE_OPENAI, _str(attrs, _SERVED_KEYS)
    tin, tout = _int(attrs, _INPUT_KEYS), _int(attrs, _OUTPUT_KEYS)
    cache_read = _int(attrs, _CACHE_READ_KEYS) or 0
    cache_write = _int(attrs, _CACHE_WRITE_KEYS) or 0
    reasoning = _int(attrs, (sc.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS,)) or 0
    # One count that counts nothing makes the call's whole usage unknown: the others alone would price
    # and bound it as a smaller call (step_gap names why: tokens_not_counts).
    valid = _NOT_A_COUNT not in (tin, tout, cache_read, cache_write, reasoning)
    if not valid:
        tin = tout = None
        cache_read = cache_write = reasoning = 0
    recorded = attrs.get(sc.COST_USD)
    cost: float | None
    if isinstance(recorded, (int, float)) and not isinstance(recorded, bool):
        cost = float(recorded) if math.isfinite(recorded) and recorded >= 0 else None  # not a price: unknown
    elif (valid and not own and (priced or requested) and tin is not None
          and (tout is not None or _is_embeddings(attrs))):
        from .cost import billed_tier, price_tokens

        # An embeddings span carries no output tokens (the conventions record none): it is still priced.
        # The span's price details count too: the one-hour cache-write share, the tier it was served at,
        # and the requested model (a price registered for it covers the dated name answered).
        write_1h = _int(attrs, (sc.ANTHROPIC_CACHE_WRITE_1H,)) or 0
        cost = None if write_1h < 0 else price_tokens(
            priced, provider, billed_tier(_str(attrs, _SERVICE_TIER_KEYS), _str(attrs, _REQUESTED_TIER_KEYS)), tin,
            tout or 0, cache_read, cache_write, write_1h, requested)
    else:
        cost = None
    return LLMUsage(model, provider, tin, tout, cache_read, cache_write, reasoning, cost)


_OWN_MODEL_KEYS = (sc.GEN_AI_RESPONSE_MODEL, sc.GEN_AI_REQUEST_MODEL)
_OWN_PROVIDERS = frozenset({sc.PROVIDER_OPENAI, sc.PROVIDER_AZURE_OPENAI, *sc.CLAUDE_PROVIDERS})
"""What our instrumentations write as the provider: canonical, Azure OpenAI already told apart by its host."""


def own_usage(attrs: Mapping[str, Any]) -> LLMUsage:
    """:func:`llm_usage` of one of our own spans as it ends in this process, for the live rollup.

    The rollup reads every model call of a session on the caller's thread, so this reads what this version
    writes: the current attribute names (the other spellings are other instrumentations' and older versions',
    read back from a backend), counts that are counts, a recorded cost, a canonical provider name (Azure decided
    by the instrumentation). Anything else (a count that counts nothing) is left to :func:`llm_usage`.
    """
    get = attrs.get
    tin = get(sc.GEN_AI_USAGE_INPUT_TOKENS)
    tout = get(sc.GEN_AI_USAGE_OUTPUT_TOKENS)
    cache_read = get(sc.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS)
    cache_write = get(sc.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS)
    reasoning = get(sc.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS)
    cost = get(sc.COST_USD)
    provider: Any = get(sc.GEN_AI_PROVIDER_NAME)  # a str once the check below holds
    if _as_written_here(tin, tout, cache_read, cache_write, reasoning, cost, provider):
        return LLMUsage(_str(attrs, _OWN_MODEL_KEYS), provider, tin, tout, cache_read or 0, cache_write or 0,
                        reasoning or 0, cost)
    return llm_usage(attrs, own=True)


def own_totals(attrs: Mapping[str, Any]) -> tuple[float | None, int | None, int | None]:
    """``(cost_usd, input_tokens, output_tokens)`` of :func:`own_usage`, without the rest of it: a reassembly
    sums them over every model call of a file (the model's name and the usage tuple cost a fifth of the read)."""
    get = attrs.get
    tin = get(sc.GEN_AI_USAGE_INPUT_TOKENS)
    tout = get(sc.GEN_AI_USAGE_OUTPUT_TOKENS)
    cost = get(sc.COST_USD)
    if _as_written_here(tin, tout, get(sc.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS),
                        get(sc.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS), get(sc.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS),
                        cost, get(sc.GEN_AI_PROVIDER_NAME)):
        return cost, tin, tout
    usage = llm_usage(attrs, own=True)
    return usage.cost_usd, usage.input_tokens, usage.output_tokens


def _as_written_here(tin: Any, tout: Any, cache_read: Any, cache_write: Any, reasoning: Any, cost: Any,
                     provider: Any) -> bool:
    """Whether a call's figures are as this version writes them (see :func:`own_usage`): then they are its usage."""
    return bool((tin is None or (type(tin) is int and tin >= 0)) and (tout is None or (type(tout) is int and tout >= 0))
                and (cache_read is None or (type(cache_read) is int and cache_read >= 0))
                and (cache_write is None or (type(cache_write) is int and cache_write >= 0))
                and (reasoning is None or (type(reasoning) is int and reasoning >= 0))
                and (cost is None or (type(cost) is float and 0.0 <= cost < math.inf))
                and provider in _OWN_PROVIDERS)


def tokens_not_counts(attrs: Mapping[str, Any]) -> bool:
    """True when one of the call's token counts counts nothing (:func:`llm_usage` then knows no usage):
    asked only of calls whose cost or usage is unknown, to say why."""
    return any(_int(attrs, keys) == _NOT_A_COUNT for keys in _TOKEN_KEYS)


def wrappers(llm_spans: Iterable[tuple[str, str | None]]) -> set[str]:
    """Ids of the LLM spans that wrap another LLM span, from ``(span_id, parent_span_id)`` of each.

    Those are the same call seen by a second instrumentation: not counted again.
    """
    spans = list(llm_spans)
    ids = {sid for sid, _ in spans}
    return {parent for sid, parent in spans if parent is not None and parent != sid and parent in ids}
