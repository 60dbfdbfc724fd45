"""Secrets in plain JSON data, masked whole (uncut) by the rules the trace applies at capture.

The rules themselves (secret key names, credential-shaped strings) live in :mod:`._redact`; this
applies them to data already plain (decoded JSON): a cassette's requests and answers, and content
another instrumentation recorded, which the replay reads unmasked from the trace. A two-item tuple, or
a two-item list among a list of such pairs, whose first item is a secret key name is a (name, value)
pair whose value is masked, as in the trace.

What a cassette hands back to a replayed agent (``answer=True``: a provider's answer, a tool's result) has
its text masked by shape only (:func:`._redact.mask_shapes`), never where it writes a secret-named pair: a
model's code answer (``def login(user, password=None)``) rewritten to ``password=[REDACTED]`` would be a
SyntaxError in the replay, changing what the agent does. A provider's answer is read without its keys too
(``keys=False``: its schema's ``token`` fields, a logprob's ``token``, are not secrets), except where it holds
what the model wrote for a tool: a tool call's ``arguments`` (JSON text) and a ``tool_use`` block's ``input``
are read by their keys, as the trace reads them, and so is the ``metadata`` an answer echoes from its request
(masked so in the request).

:func:`masked_arguments` is also how capture masks a tool's argument or result that is JSON text
(:func:`._serialize.masked_string`): by its keys, as the same data given as a dict.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

from ._argument_lists import mask_argv
from ._command_arguments import runs_argument_program
from ._cut import truncate_masked
from ._flat import JSON_STARTS
from ._redact import REDACTED, is_secret_key, mask_shapes, mask_text, secret_key_memo
from ._userinfo_values import masked_under

__all__ = ["ARGUMENTS", "PARSED_MAX", "cut_masked", "free_name", "mask", "masked_arguments"]

ARGUMENTS: Final = "arguments"
"""The field holding a tool call's arguments as JSON text (Chat Completions, Responses, MCP calls)."""
_METADATA: Final = "metadata"
"""The request's own metadata, which a Responses answer echoes: masked by key there as in the request."""


def mask(value: Any, *, keys: bool = True, in_pairs: bool = False, answer: bool = False) -> Any:
    """A copy of ``value`` with secrets masked: under secret-named keys (when ``keys``) and in its text (by shape
    only when ``answer``). ``in_pairs``: ``value`` is an item of a list of pairs (see ``agentops_otel._shapes``).
    Tool-call arguments are masked by their keys in either case (see the module docstring)."""
    text = mask_shapes if answer else mask_text
    if isinstance(value, str):
        return text(value)
    if isinstance(value, dict):
        out: dict[Any, Any] = {}
        tool_use = not keys and str(value.get("type", "")).endswith("tool_use")
        for k, v in value.items():
            by_key = keys or (k == "input" and tool_use) or k == _METADATA
            # A credential used as a key is masked as the trace masks it (two alike stay apart).
            name = free_name(out, text(k)) if isinstance(k, str) else k
            if k == ARGUMENTS and isinstance(v, str):
                out[name] = masked_arguments(v, answer=answer)
            elif keys and isinstance(k, str) and is_secret_key(k) and v is not None:
                out[name] = REDACTED
            else:
                held = mask(v, keys=by_key, answer=answer)
                proxy = by_key and type(held) is str and "@" in held and isinstance(k, str)
                out[name] = masked_under(k, held, REDACTED) if proxy else held
        return out
    if isinstance(value, (list, tuple)):
        if (keys and len(value) == 2 and (in_pairs or isinstance(value, tuple)) and isinstance(value[0], str)
                and is_secret_key(value[0]) and value[1] is not None):
            return [text(value[0]), REDACTED]  # a (name, value) pair: a header list's ("Authorization", ...)
        pairs = bool(value) and isinstance(value[0], (list, tuple)) and len(value[0]) == 2
        items = [mask(v, keys=keys, in_pairs=pairs, answer=answer) for v in value]
        if answer or not any(type(v) is str and (v[:1] == "-" or (not i and runs_argument_program(v)))
                             for i, v in enumerate(items)):
            return items
        return mask_argv(items, REDACTED)  # maybe a command as a list, read as its text is
    return value


def masked_arguments(text: str, *, answer: bool = False) -> str:
    """A tool call's arguments (JSON text) with their secret-named values masked as well as by shape (their text
    by shape only when ``answer``: see :func:`mask`).

    When a key rule masks something the text is written anew, compact and in its order: the same text
    whether it is masked on the way into a cassette or met again in a replayed request (already masked,
    then left as it is), so the two agree."""
    plain = mask_shapes if answer else mask_text
    try:
        parsed = json.loads(text)
    except (ValueError, RecursionError):
        return plain(text)
    if not isinstance(parsed, (dict, list)):
        return plain(text)
    masked = mask(parsed, answer=answer)
    if masked == parsed:
        return plain(text)
    return json.dumps(masked, ensure_ascii=False, separators=(",", ":"))


PARSED_MAX: Final = 1 << 20
"""JSON text up to this long (a megabyte) is read by its keys before it is cut: 50-80 ms for a megabyte, on the caller's
thread; longer, it is cut and masked as text only, at the cost of what the cut keeps."""


def cut_masked(text: str, limit: int) -> str:
    """A string longer than ``limit`` as recorded: JSON text masked by its keys *first*, then cut and masked
    (:func:`._cut.truncate_masked`). Cut first, what sat under a secret-named key would be read as text only
    (``{"credentials": {"pass": "…"}}`` in clear), while the same data given as a dict is masked."""
    if text[:1] in JSON_STARTS and len(text) <= PARSED_MAX:
        try:
            parsed = json.loads(text)
            keyed = _keyed(parsed, False)
        except (ValueError, RecursionError):
            parsed = keyed = None
        if keyed is not parsed:
            text = json.dumps(keyed, ensure_ascii=False, separators=(",", ":"))
    return truncate_masked(text, limit)


def _keyed(value: Any, in_pairs: bool) -> Any:
    """Plain JSON data with what :func:`mask` masks by key masked (the text is masked after the cut): the same
    object where nothing is, so that data with no secret-named key costs one look at each node, no copy."""
    if type(value) is dict:
        out: dict[str, Any] | None = None
        for k, v in value.items():
            secret = secret_key_memo.get(k)
            if secret is None:
                secret = is_secret_key(k)
            new = REDACTED if secret and v is not None else _keyed(v, False)
            if type(new) is str and "@" in new:
                new = masked_under(k, new, REDACTED)
            if new is not v:
                out = dict(value) if out is None else out
                out[k] = new
        return value if out is None else out
    if type(value) is list:
        if (in_pairs and len(value) == 2 and type(value[0]) is str and is_secret_key(value[0])
                and value[1] is not None):
            return [value[0], REDACTED]
        pairs = bool(value) and type(value[0]) is list and len(value[0]) == 2
        items = [_keyed(v, pairs) for v in value]
        return value if all(a is b for a, b in zip(items, value, strict=True)) else items
    return value


def free_name(out: Mapping[str, Any], name: str) -> str:
    """``name``, or ``name #2``, ``#3``… when it is taken: two keys masked (or cut) to the same text
    stay two entries, neither value lost."""
    if name not in out:
        return name
    n = 2
    while f"{name} #{n}" in out:
        n += 1
    return f"{name} #{n}"
