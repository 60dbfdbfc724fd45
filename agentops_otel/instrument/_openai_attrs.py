"""The openai request as span attributes: sampled parameters and the server, plus the field readers
the content modules (:mod:`._openai_chat`, :mod:`._openai_responses`) share.

Nothing here touches a span or the network, so every shape can be unit-tested from plain dicts and
the openai models. Responses are read attribute by attribute (never ``model_dump()``): this runs on
every call. Inputs may be TypedDicts (what users usually pass) or the SDK's own models (what they
pass back from a previous response), so fields are read with :func:`field_of`.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any, Final

from .. import _guard, semconv
from .._azure import is_azure_openai_host
from .._parts import JSONDict, block_results, bounded

__all__ = [
    "CHAT_PARAMS",
    "COMPLETIONS_PARAMS",
    "EMBEDDINGS_PARAMS",
    "NO_PARAMS",
    "RESPONSES_PARAMS",
    "ParamTable",
    "field_of",
    "media_part",
    "request_attributes",
    "result_of",
    "server_attributes",
    "text_of",
]

# How to read one request kwarg: the attribute key and the kind of value it must be.
_FLOAT: Final = 0
_INT: Final = 1
_STOP: Final = 2
_CHAT_FORMAT: Final = 3
_TEXT_FORMAT: Final = 4
_STR_LIST: Final = 5
_STR: Final = 6

ParamTable = Mapping[str, tuple[str, int]]

CHAT_PARAMS: Final[ParamTable] = {
    "temperature": (semconv.GEN_AI_REQUEST_TEMPERATURE, _FLOAT),
    "top_p": (semconv.GEN_AI_REQUEST_TOP_P, _FLOAT),
    "max_tokens": (semconv.GEN_AI_REQUEST_MAX_TOKENS, _INT),
    "max_completion_tokens": (semconv.GEN_AI_REQUEST_MAX_TOKENS, _INT),
    "seed": (semconv.GEN_AI_REQUEST_SEED, _INT),
    "n": (semconv.GEN_AI_REQUEST_CHOICE_COUNT, _INT),
    "frequency_penalty": (semconv.GEN_AI_REQUEST_FREQUENCY_PENALTY, _FLOAT),
    "presence_penalty": (semconv.GEN_AI_REQUEST_PRESENCE_PENALTY, _FLOAT),
    "stop": (semconv.GEN_AI_REQUEST_STOP_SEQUENCES, _STOP),
    "response_format": (semconv.GEN_AI_OUTPUT_TYPE, _CHAT_FORMAT),
    "service_tier": (semconv.OPENAI_REQUEST_SERVICE_TIER, _STR),
}
RESPONSES_PARAMS: Final[ParamTable] = {
    "temperature": (semconv.GEN_AI_REQUEST_TEMPERATURE, _FLOAT),
    "top_p": (semconv.GEN_AI_REQUEST_TOP_P, _FLOAT),
    "max_output_tokens": (semconv.GEN_AI_REQUEST_MAX_TOKENS, _INT),
    "text": (semconv.GEN_AI_OUTPUT_TYPE, _TEXT_FORMAT),
    "service_tier": (semconv.OPENAI_REQUEST_SERVICE_TIER, _STR),
}
COMPLETIONS_PARAMS: Final[ParamTable] = {
    key: CHAT_PARAMS[key] for key in ("temperature", "top_p", "max_tokens", "seed", "n", "frequency_penalty",
                                      "presence_penalty", "stop")
}
"""The legacy Completions API's sampling parameters: chat's, without the structured output and newer names."""
NO_PARAMS: Final[ParamTable] = {}
EMBEDDINGS_PARAMS: Final[ParamTable] = {
    "encoding_format": (semconv.GEN_AI_REQUEST_ENCODING_FORMATS, _STR_LIST),
}

_FORMAT_TYPES: Final = {"json_schema": "json", "json_object": "json", "text": "text"}


def field_of(obj: Any, key: str) -> Any:
    if isinstance(obj, dict):
        return obj.get(key)
    return getattr(obj, key, None)


def _format_type(fmt: Any) -> str | None:
    if isinstance(fmt, type):
        return "json"  # .parse(response_format=SomePydanticModel)
    kind = field_of(fmt, "type")
    return _FORMAT_TYPES.get(kind) if isinstance(kind, str) else None


def _convert(kind: int, value: Any) -> Any:
    """The attribute value, or None when the kwarg holds a sentinel (``omit``) or an unexpected type."""
    if kind == _FLOAT:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        return None
    if kind == _INT:
        return value if isinstance(value, int) and not isinstance(value, bool) else None
    if kind in (_STOP, _STR_LIST):
        if isinstance(value, str):
            return [value]
        if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
            return list(value)
        return None
    if kind == _STR:
        return value if isinstance(value, str) and value else None
    if kind == _CHAT_FORMAT:
        return _format_type(value)
    if kind == _TEXT_FORMAT:
        return _format_type(field_of(value, "format"))
    return None  # pragma: no cover - every table entry uses a kind above


def request_attributes(operation: str, params: ParamTable, kwargs: Mapping[str, Any],
                       streaming: bool) -> tuple[str | None, dict[str, Any]]:
    """The request model and the attributes known before the call (name, params, stream flag)."""
    model = kwargs.get("model")
    if not isinstance(model, str):
        model = None
    attrs: dict[str, Any] = {
        semconv.GEN_AI_OPERATION_NAME: operation,
        semconv.GEN_AI_PROVIDER_NAME: semconv.PROVIDER_OPENAI,
    }
    if model:
        attrs[semconv.GEN_AI_REQUEST_MODEL] = model
    for name, value in kwargs.items():
        spec = params.get(name)
        if spec is not None and value is not None:
            converted = _convert(spec[1], value)
            if converted is not None:
                attrs[spec[0]] = converted
    if streaming and operation != semconv.OP_EMBEDDINGS:
        attrs[semconv.GEN_AI_REQUEST_STREAM] = True  # the conventions: set only when streaming
    return model, attrs


_DEFAULT_PORTS: Final = {"https": 443, "http": 80}


_servers: dict[int, tuple[Any, str | None, int | None, str]] = {}
"""``server.*`` and the provider per base_url object (by id; the URL is kept, so the id can't be reused):
parsing the URL's host and port took a few µs on every call. URLs are immutable; a client given a new
base_url holds a new object, and one URL object is one client's (or its ``with_options`` copies', of its class)."""
_SERVERS_MAX: Final = 64

_azure_clients: tuple[type, ...] | None = None


def _azure_client_types() -> tuple[type, ...]:
    """The openai SDK's Azure client base (both ``AzureOpenAI`` and ``AsyncAzureOpenAI``, and the module-level
    client when ``openai.api_type = "azure"``); none in an SDK without it."""
    global _azure_clients
    if _azure_clients is None:
        module = sys.modules.get("openai.lib.azure")
        base = getattr(module, "BaseAzureClient", None)
        if module is None:
            return ()  # not imported yet: asked again at the next new URL
        _azure_clients = (base,) if isinstance(base, type) else ()
    return _azure_clients


def _provider(client: Any, host: str | None, path: str) -> str:
    """``gen_ai.provider.name`` of a client's calls: Azure OpenAI for the SDK's Azure clients and for a client
    sent to an Azure OpenAI host; else openai (an OpenAI-compatible server we cannot name is left as that)."""
    if isinstance(client, _azure_client_types()):
        return semconv.PROVIDER_AZURE_OPENAI
    if host and is_azure_openai_host(host, path):
        return semconv.PROVIDER_AZURE_OPENAI
    return semconv.PROVIDER_OPENAI


_url_fields: dict[int, str | None] = {}
"""Per ``base_url`` property of the openai SDK's own client classes (by id; they are kept in
``_sdk_url_properties``): the instance attribute it returns (``None``: ask the property). That property
is three frames and an import statement per read in current SDKs (``base_url`` →
``_client_auth.syncbase_url``) and it ran on every call; the stored URL is one look-up in the client's
instance dict. The property is looked up on the client's class at each call, so a subclass's own, or
one a test patched in (``PropertyMock``), is asked instead."""
_URL_FIELD_NAMES: Final = ("_configured_base_url", "_base_url")
"""Where the SDK keeps it: ``_configured_base_url`` since openai 3, ``_base_url`` before."""
_sdk_url_properties: tuple[Any, ...] | None = None


def _sdk_properties() -> tuple[Any, ...]:
    """The ``base_url`` properties the openai SDK's own client classes define (none while openai is not
    imported: an anthropic-only program has no openai client, and openai is an optional dependency)."""
    global _sdk_url_properties
    if _sdk_url_properties is None:
        openai = sys.modules.get("openai")
        if openai is None:
            return ()
        found: list[Any] = []
        for name in ("OpenAI", "AsyncOpenAI", "AzureOpenAI", "AsyncAzureOpenAI"):
            for klass in getattr(getattr(openai, name, None), "__mro__", ()):
                prop = vars(klass).get("base_url")
                if isinstance(prop, property) and all(prop is not seen for seen in found):
                    found.append(prop)
        _sdk_url_properties = tuple(found)
    return _sdk_url_properties


def _url_field(prop: Any, client: Any) -> str | None:
    """The field ``prop`` returns on ``client`` (found by identity, and kept), when ``prop`` is the SDK's
    own property; else ``None``."""
    if not any(prop is known for known in _sdk_properties()):
        return None
    fields = getattr(client, "__dict__", None)
    if not isinstance(fields, dict):
        return None
    current = client.base_url
    field = next((name for name in _URL_FIELD_NAMES if fields.get(name) is current), None)
    _url_fields[id(prop)] = field
    return field


def server_attributes(attrs: dict[str, Any], resource: Any) -> str:
    """``server.*`` from the client's base_url (never its headers: those carry the API key); no ``server.*``
    when the client is not one that can say (an odd stand-in), rather than no span at all. Returns the provider
    an openai client's calls go to (openai or Azure OpenAI), decided once per client's URL, not per call."""
    client = resource._client
    try:
        prop = None
        for klass in type(client).__mro__:  # the class attribute as it is: a getattr would call a mock's __get__
            prop = klass.__dict__.get("base_url")
            if prop is not None:
                break
        field = _url_fields.get(id(prop), "")
        if field == "":  # not the SDK's own property, or not seen yet
            field = _url_field(prop, client)
        url = client.__dict__.get(field) if field is not None else None
        if url is None:
            url = client.base_url
        hit = _servers.get(id(url))
        if hit is None or hit[0] is not url:
            host = url.host or None
            port = (url.port or _DEFAULT_PORTS.get(url.scheme) or None) if host else None
            hit = (url, host, port, _provider(client, host, str(url.path)))
            if len(_servers) >= _SERVERS_MAX:
                _servers.clear()
            _servers[id(url)] = hit
    except Exception as exc:
        _guard.report("instrument.server_address", exc)
        return semconv.PROVIDER_OPENAI
    if hit[1]:
        attrs[semconv.SERVER_ADDRESS] = hit[1]
        if hit[2]:
            attrs[semconv.SERVER_PORT] = hit[2]
    return hit[3]


# --- shared by the content readers ----------------------------------------------------------

def text_of(content: Any) -> str:
    """Plain text of a tool result / system prompt given as a string or a list of text parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, (list, tuple)):
        return "".join(t for p in content if isinstance(t := field_of(p, "text"), str))
    return "" if content is None else str(content)


def result_of(content: Any, limit: int) -> Any:
    """A tool result given as a string or a list of text parts (kept apart: see ``block_results``)."""
    if isinstance(content, (list, tuple)):
        return block_results([t for p in content if isinstance(t := field_of(p, "text"), str)], limit)
    return text_of(content)


def media_part(kind: str, url: Any, modality: str, limit: int) -> JSONDict:
    """Images and files by reference; inline (``data:``) payloads are summarised, never copied. A URL is
    recorded text like any other: a signed or ``user:password@`` one carries a credential."""
    if isinstance(url, str):
        if url.startswith("data:"):
            mime = url[5:].split(";", 1)[0].split(",", 1)[0]
            return {"type": "blob", "modality": modality, "mime_type": mime or None,
                    "content": f"<{len(url)} chars inline>"}
        return {"type": "uri", "modality": modality, "uri": bounded(url, limit)}
    return {"type": kind, "modality": modality}
