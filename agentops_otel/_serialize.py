"""Safe, bounded JSON for recorded tool arguments, results and action payloads.

Recording must never raise, never hold a huge value and never cost more than the limit: values are
*walked* into plain JSON-ready data with a character budget, and the walk stops where the budget
ends, so a 2-million-item list costs as much as the few items that fit (the items past the budget
are never looked at). What was dropped is said in place, inside valid JSON: a cut string ends with
:data:`TRUNCATED_MARKER`, a cut list ends with :data:`MORE_ITEMS_MARKER`, a cut mapping gets the key
:data:`MORE_KEY`. Objects json can't encode become their repr (itself bounded), cycles become
:data:`CYCLE_MARKER`, bytes are summarised.

The walk reads only the built-in storage of a dict, list, tuple, set or deque (a subclass's too,
through the built-in methods, so its overrides never run); any other mapping or sequence is named, not
read (:data:`UNREAD_MARKER`): reading it would run the user's code, and a test's ``MagicMock(spec=dict)``
would record our calls in its ``mock_calls``. A dataclass or pydantic field declared ``repr=False`` is
left out, as its repr leaves it out.

Tool and action arguments are bounded *per argument* (:func:`arguments_json`): one 100 kB argument
is cut on its own and the others stay intact, so ``assert_tool_called(with_args=...)`` still
matches them. The walk also applies the masking rules of :mod:`._redact` (secret-named keys,
key-shaped strings) on the way, reading a string that is JSON text by its keys as well
(:func:`masked_string`), and those of :mod:`._shapes` (secret-named pairs, named tuples' and
objects' fields), and :func:`content_json` hands the result to the user's hook.
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import gc
import json
import math
import re
import uuid
from collections import deque
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any, Final

import msgspec

from ._argument_lists import mask_argv
from ._command_arguments import runs_argument_program
from ._cut import (
    BIG_INT,
    BIG_INT_MARKER,
    CYCLE_MARKER,
    DEPTH_MARKER,
    MAX_DEPTH,
    MORE_ITEMS_MARKER,
    MORE_KEY,
    TRUNCATED_MARKER,
    UNREAD_MARKER,
    truncate_masked,
)
from ._flat import JSON_STARTS, flat_mapping
from ._mask_plain import cut_masked, free_name, masked_arguments
from ._redact import REDACTED, apply_hook, cut_at, is_secret_key, mask_text
from ._shapes import (
    NOTHING_HIDDEN,
    REPR_FIELDS,
    REPR_NOTHING,
    hidden_items,
    own_fields,
    pair_in_pairs,
    repr_shows,
    secret_holding_fields,
)
from ._userinfo_values import PROXY_KEYS, masked_under

_MIN_STRING: Final = 16
"""A string met after the budget ran low still keeps this many characters (so it says what it was)."""
_BUILTIN_SEQUENCES: Final = (list, tuple, set, frozenset, deque)
"""Read through their own ``__iter__``/``__len__`` (C code, whatever a subclass overrides)."""
_PAIR_TYPES: Final = (list, tuple)
_DICT_VIEWS: Final[tuple[type, ...]] = (type({}.keys()), type({}.values()), type({}.items()))
"""``d.keys()``/``values()``/``items()`` (an OrderedDict's too): read as the sequences they show, in C;
their repr would print every item before the bound could cut it."""


def str_subclass_as_str(obj: Any) -> str:
    """``enc_hook`` of every JSON encoder here: msgspec encodes exact ``str`` only, and an agent
    framework's own string type (a subclass) is the text it holds (read with ``str.__str__``, which runs
    none of the subclass's code). Anything else msgspec can't encode stays a ``TypeError``."""
    if isinstance(obj, str):
        return str.__str__(obj)
    raise TypeError(f"can't encode {type(obj).__qualname__} as JSON")


_ENCODER: Final = msgspec.json.Encoder(enc_hook=str_subclass_as_str)


class _Budget:
    """Characters left for one bounded value (shared by the whole walk of that value)."""

    __slots__ = ("left", "limit", "seen")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.left = limit
        self.seen: set[int] = set()


def _room(budget: _Budget) -> int:
    return max(budget.left, _MIN_STRING) if budget.left < budget.limit else budget.limit


def _string(text: str, budget: _Budget) -> str:
    """``text`` cut to the room left (our own text: a key's name, a marker, a date)."""
    room = _room(budget)
    if len(text) > room:
        budget.left -= room + 2
        return text[:room] + TRUNCATED_MARKER.format(n=len(text) - room)
    budget.left -= len(text) + 2
    return text


def _masked(text: str, budget: _Budget) -> str:
    """``text`` cut to the room left and masked, JSON text by its keys first (see :func:`cut_masked`)."""
    room = _room(budget)
    if len(text) > room:
        budget.left -= room + 2
        return cut_masked(text, room)
    budget.left -= len(text) + 2
    return masked_string(text)


def masked_string(text: str) -> str:
    """A whole string as recorded: masked, and when it is JSON text (a tool handed ``json.dumps(config)``) masked
    by its keys too, as the same data given as a dict would be (written anew, compact, only when a rule masked
    something in it: JSON text with nothing to mask is recorded as given)."""
    if text[:1] not in JSON_STARTS:
        return mask_text(text)
    try:
        return masked_arguments(text)
    except RecursionError:  # nested past what the walk follows: as text
        return mask_text(text)


def _bytes(raw: bytes | bytearray | memoryview) -> str:
    """The size and the first 32 bytes as text, masked like any string: a request body or header held as
    bytes carries the same keys. Bytes that are not UTF-8 show as U+FFFD (never hex, which would spell a
    key out unmasked)."""
    size = raw.nbytes if isinstance(raw, memoryview) else len(raw)
    head = bytes(raw[:32]).decode("utf-8", "replace")
    if size <= 32:
        return f"<{size} bytes: {mask_text(head)!r}>"
    # What follows the 32 bytes says whether they end inside a key (read a little, as cut_at does).
    keep = cut_at(head + bytes(raw[32:320]).decode("utf-8", "replace"), len(head))
    shown = mask_text(head[:keep]) + (REDACTED if keep < len(head) else "")
    return f"<{size} bytes: {shown!r}…>"


def _walk(value: Any, budget: _Budget, depth: int) -> Any:
    """Plain JSON data for ``value``, spending ``budget``; never raises for any input."""
    # The exact built-in types first, by identity: the same branches the checks below take for
    # them, without an isinstance chain (and the ABC checks of ``_container``) per value.
    kind = type(value)
    if kind is str:
        return _masked(value, budget)
    if kind is int:
        budget.left -= 8
        return value if -BIG_INT <= value < BIG_INT else BIG_INT_MARKER.format(n=value.bit_length())
    if kind is dict or kind is list:
        if depth >= MAX_DEPTH:
            return _string(DEPTH_MARKER, budget)
        ident = id(value)
        if ident in budget.seen:
            return _string(CYCLE_MARKER, budget)
        budget.seen.add(ident)
        try:
            if kind is dict:
                return _mapping(value.items(), len(value), budget, depth)
            size = len(value)
            hidden = hidden_items(list, 2, value[0]) if size == 2 else NOTHING_HIDDEN  # a (name, value) pair
            return _sequence(value, size, budget, depth, hidden)
        finally:
            budget.seen.discard(ident)
    if value is None or isinstance(value, bool):
        budget.left -= 5
        return value
    if isinstance(value, str):
        return _masked(value, budget)
    if isinstance(value, int):
        budget.left -= 8
        if -BIG_INT <= value < BIG_INT:
            return int(value)
        return BIG_INT_MARKER.format(n=value.bit_length())
    if isinstance(value, float):
        budget.left -= 8
        return float(value) if math.isfinite(value) else repr(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return _string(_bytes(value), budget)
    if isinstance(value, enum.Enum):
        return _walk(value.value, budget, depth + 1)
    if isinstance(value, (datetime.date, datetime.time)):
        return _string(value.isoformat(), budget)
    if isinstance(value, uuid.UUID):
        return _string(str(value), budget)
    if depth >= MAX_DEPTH:
        return _string(DEPTH_MARKER, budget)
    ident = id(value)
    if ident in budget.seen:
        return _string(CYCLE_MARKER, budget)
    budget.seen.add(ident)
    try:
        return _container(value, budget, depth)
    finally:
        budget.seen.discard(ident)


def _container(value: Any, budget: _Budget, depth: int) -> Any:
    # By type(), not isinstance: a mock's spec (or any __class__ property) makes isinstance say dict.
    kind = type(value)
    if issubclass(kind, dict):
        return _mapping(dict.items(value), dict.__len__(value), budget, depth)
    for base in _BUILTIN_SEQUENCES:
        if issubclass(kind, base):
            size = base.__len__(value)
            hidden = NOTHING_HIDDEN
            if base is list or base is tuple:  # a pair's or a named tuple's secret
                hidden = hidden_items(kind, size, base.__getitem__(value, 0) if size == 2 else None)
            return _sequence(base.__iter__(value), size, budget, depth, hidden)
    if issubclass(kind, _DICT_VIEWS):
        return _sequence(iter(value), len(value), budget, depth, NOTHING_HIDDEN)
    if kind is MappingProxyType:
        # Its items() would run the wrapped mapping's own code; a plain dict underneath is read as one.
        inner = gc.get_referents(value)
        if len(inner) == 1 and type(inner[0]) is dict:
            return _mapping(dict.items(inner[0]), dict.__len__(inner[0]), budget, depth)
        return _string(UNREAD_MARKER.format(type=kind.__qualname__, kind="mapping"), budget)
    fields = getattr(kind, "model_fields", None)  # pydantic models (openai's types among them)
    if isinstance(fields, dict):
        names = [name for name, info in fields.items() if getattr(info, "repr", True) is not False]
        return _mapping(((n, getattr(value, n, None)) for n in names), len(names), budget, depth)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        names = [f.name for f in dataclasses.fields(value) if f.repr]
        return _mapping(((n, getattr(value, n, None)) for n in names), len(names), budget, depth)
    if kind.__module__ != "builtins":
        if isinstance(value, Mapping):
            return _string(UNREAD_MARKER.format(type=kind.__qualname__, kind="mapping"), budget)
        if isinstance(value, Sequence):
            return _string(UNREAD_MARKER.format(type=kind.__qualname__, kind="sequence"), budget)
        shows = repr_shows(kind)
        if shows == REPR_FIELDS:  # a namespace: its repr is its fields, walked and masked as a dict's
            fields = own_fields(value)
            if fields is not None:
                return _mapping(dict.items(fields), dict.__len__(fields), budget, depth)
        elif shows != REPR_NOTHING and secret_holding_fields(value) is not None:
            # Its own repr may show the secret in any form, and its fields what the repr keeps out of logs.
            return _string(UNREAD_MARKER.format(type=kind.__qualname__, kind="object"), budget)
    return _masked(_safe_repr(value), budget)


def _sequence(value: Any, size: int, budget: _Budget, depth: int,
              hidden: frozenset[int] = NOTHING_HIDDEN) -> list[Any]:
    """The items as a list; those at the ``hidden`` positions are masked (see :mod:`._shapes`)."""
    out: list[Any] = []
    budget.left -= 2
    pairs = command = False  # command: maybe a command as a list (argv), read as its text is
    for i, item in enumerate(value):
        if budget.left <= 0:
            out.append(MORE_ITEMS_MARKER.format(n=size - i))
            break
        if i == 0:  # a list of (name, value) pairs: its list pairs are pairs too
            pairs = type(item) in _PAIR_TYPES and len(item) == 2
        if hidden and i in hidden:
            out.append(REDACTED)
            budget.left -= len(REDACTED)
        elif pairs and pair_in_pairs(item):
            out.append([_walk(item[0], budget, depth + 2), REDACTED])
            budget.left -= len(REDACTED) + 3
        else:
            walked = _walk(item, budget, depth + 1)
            if type(walked) is str and (walked[:1] == "-" or (i == 0 and runs_argument_program(walked))):
                command = True  # a flag, or a program whose arguments hold secrets (["scp", …])
            out.append(walked)
        budget.left -= 1
    return mask_argv(out, REDACTED) if command and len(out) > 1 else out


def _mapping(items: Any, size: int, budget: _Budget, depth: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    budget.left -= 2
    for i, (key, item) in enumerate(items):
        if budget.left <= 0:
            out[MORE_KEY] = MORE_ITEMS_MARKER.format(n=size - i)
            break
        whole = key if isinstance(key, str) else _safe_repr(key) if not isinstance(key, (int, float)) else str(key)
        name = free_name(out, _masked(whole, budget))  # a credential used as a key is masked too
        if is_secret_key(whole):  # the whole name: the budget may have cut ``db_password`` to ``db_passw…``
            out[name] = REDACTED
            budget.left -= len(REDACTED)
        else:
            walked = _walk(item, budget, depth + 1)
            proxy = type(walked) is str and "@" in walked and whole.endswith(PROXY_KEYS)
            out[name] = masked_under(whole, walked, REDACTED) if proxy else walked
        budget.left -= 2
    return out


_ADDRESS: Final = re.compile(r" at 0x[0-9a-fA-F]+(?=>)")
"""The address in a default repr (``<Client object at 0x7f…>``, ``<function f at 0x7f…>``): where the
object sat in this process, not what it is. Left in, every run records other arguments, so a replay or a
diff of two runs of one agent always diverges."""


def _safe_repr(value: Any) -> str:
    try:
        text = repr(value)
        return _ADDRESS.sub("", text) if " at 0x" in text else text
    except Exception:
        return f"<unrepresentable {type(value).__qualname__}>"


def bounded(value: Any, limit: int) -> Any:
    """``value`` as plain JSON data of about ``limit`` characters at most, markers where cut."""
    kind = type(value)
    if kind is str and len(value) <= limit:
        return masked_string(value)  # the common flat cases, without the walk's bookkeeping
    if kind is int or kind is bool or value is None:
        if kind is not int or -BIG_INT <= value < BIG_INT:
            return value
        return BIG_INT_MARKER.format(n=value.bit_length())
    if kind is dict:
        flat = flat_mapping(value, limit)
        if flat is not None:
            return flat
    try:
        return _walk(value, _Budget(max(limit, 1)), 0)
    except Exception:
        return truncate_masked(_safe_repr(value), max(limit, 1))


class BoundedItems:
    """Values bounded one at a time as :func:`bounded` bounds one list's items: each walked once, all
    sharing ``limit`` characters; past them, the rest are not looked at. For values seen one by one
    and not kept (a generator tool's yields): ``items`` is plain data, ready to encode."""

    __slots__ = ("budget", "items")

    def __init__(self, limit: int) -> None:
        self.budget = _Budget(limit)
        self.budget.left -= 2
        self.items: list[Any] = []

    def add(self, item: Any) -> None:
        """Bound ``item`` onto ``items`` if the budget has room left; never raises (as :func:`_walk`)."""
        if self.budget.left > 0:
            self.items.append(_walk(item, self.budget, 1))
            self.budget.left -= 1


def encode(plain: Any) -> str:
    """JSON text for data produced by :func:`bounded` (or any already-plain structure)."""
    try:
        return _ENCODER.encode(plain).decode("utf-8")
    except Exception:
        return json.dumps(_safe_repr(plain))


def bounded_json(value: Any, limit: int) -> str:
    """Encode anything as JSON text of bounded size; never raises."""
    return encode(bounded(value, limit))


def bounded_arguments(arguments: Any, limit: int) -> Any:
    """A dict's entries each bounded on their own (``limit`` characters each), so a long one can't
    crowd out the rest; anything else (another mapping too: see the module docstring) as one value."""
    if not issubclass(type(arguments), dict):
        return bounded(arguments, limit)
    try:
        out: dict[str, Any] = {}
        for key, value in dict.items(arguments):
            name = key if isinstance(key, str) else str(key)
            held = REDACTED if is_secret_key(name) else bounded(value, limit)
            proxy = type(held) is str and "@" in held and name.endswith(PROXY_KEYS)
            out[free_name(out, mask_text(name))] = masked_under(name, held, REDACTED) if proxy else held
        return out
    except Exception:
        return bounded(arguments, limit)


def arguments_json(arguments: Any, limit: int) -> str:
    """JSON text of tool/action arguments (an object, every argument bounded separately); never raises."""
    return encode(bounded_arguments(arguments, limit))


def content_json(attribute: str, value: Any, limit: int, *, arguments: bool = False) -> str:
    """What a content attribute records: ``value`` bounded (per argument if ``arguments``), masked,
    passed through the user's redaction hook, encoded; never raises."""
    return plain_content_json(attribute, bounded_arguments(value, limit) if arguments else bounded(value, limit))


def plain_content_json(attribute: str, plain: Any) -> str:
    """:func:`content_json` for data :func:`bounded` already made (not walked again); never raises."""
    return encode(apply_hook(attribute, plain))


to_json = bounded_json
"""The name callers used before values were bounded by walking."""


def from_json(raw: Any) -> Any:
    """Recorded payloads are JSON text; give back objects where they parse, the text where they don't."""
    if not isinstance(raw, str):
        return raw
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):  # nested deeper than the parser goes: the text, as for any non-JSON
        return raw
