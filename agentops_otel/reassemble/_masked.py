"""Another instrumentation's content, masked as our capture masks what it records.

Our spans are masked before they are written (:mod:`agentops_otel._redact`): nothing in them needs
masking again. OpenInference, the official openai-v2 instrumentation and OpenLLMetry write prompts and
tool arguments as the agent gave them, and a replay page, a ``diff`` or a test exported from the trace
would carry an API key from a tool's arguments into an artefact CI uploads. So the reassembler hands
each foreign span to its step through :func:`foreign_content`, the one door every reader of a step's
content (renderers, ``diff``, ``export-test``, the assertions) goes through.

The rules are capture's defaults: a value under a secret-named attribute is masked whole; text is
masked where it holds a credential's shape; text that spells a JSON object or array (tool arguments,
message lists, a raw request) is read as JSON and masked by its keys too (``masked_arguments``), and
tool schemas by shape only, as capture masks them (``mask_strings``). The user's ``init(redact=...)``
hook is not applied: it is a hook on what this process records, told attribute names of ours, and
may not even be installed in the process that reads the trace.

Masked on first read of each attribute, and kept: reassembly reads only counts and names of a span,
so a trace nobody looks into costs one small object per foreign span and one call more per attribute
read (measured: a file of 30k OpenInference model calls reassembles about a fifth slower; our own
spans, not wrapped, not at all).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Final

import msgspec

from agentops_otel import semconv as sc
from agentops_otel._flat import mask_strings
from agentops_otel._mask_plain import mask, masked_arguments
from agentops_otel._redact import REDACTED, is_secret_key, mask_text
from agentops_otel.read._lazyattrs import LazyAttributes
from agentops_otel.read._record import SpanEventRecord, SpanRecord

__all__ = ["MaskedAttributes", "attribute_notes", "conflict_note", "foreign_content", "is_own", "masked_value",
           "shown_content", "unreadable_note"]

_SCHEMAS: Final = frozenset({sc.GEN_AI_TOOL_DEFINITIONS})
"""Attributes holding tool schemas: a ``token`` property describes an argument, it holds none."""
_JSON_STARTS: Final = ("{", "[")
_UNSEEN: Final[Any] = object()


def _schemas(text: str) -> str:
    try:
        parsed = msgspec.json.decode(text)
    except (msgspec.DecodeError, RecursionError):
        return mask_text(text)
    masked = mask_strings(parsed)
    return mask_text(text) if masked == parsed else msgspec.json.encode(masked).decode()


def masked_value(key: str, value: Any) -> Any:
    """``value`` of attribute ``key`` as capture would have recorded it (see the module docstring)."""
    if value is None:
        return None
    if is_secret_key(key):
        return REDACTED
    if isinstance(value, str):
        if value.lstrip()[:1] in _JSON_STARTS:
            try:
                return _schemas(value) if key in _SCHEMAS else masked_arguments(value)
            except RecursionError:  # nested past what the walk can follow: fail closed
                return REDACTED
        return mask_text(value)
    if isinstance(value, (list, tuple, Mapping)):  # an array or a key-value list: walked as JSON data is
        try:
            masked = mask(dict(value) if isinstance(value, Mapping) else value)
        except RecursionError:
            return REDACTED
        if masked == value or (isinstance(value, tuple) and masked == list(value)):
            return value
        return tuple(masked) if isinstance(value, tuple) else masked
    return value


class MaskedAttributes(Mapping[str, Any]):
    """A read-only view of a foreign span's attributes whose values come out masked (each once, cached).

    Forwards ``decode_error`` (``unread_error``, ``given_twice``) and ``decoded`` of a lazily decoded mapping,
    which readers of a step ask for to say what could not be read."""

    __slots__ = ("_inner", "_masked")

    def __init__(self, inner: Mapping[str, Any]) -> None:
        self._inner = inner
        self._masked: dict[str, Any] = {}

    def __getitem__(self, key: str) -> Any:
        done = self._masked
        if key in done:
            return done[key]
        value = done[key] = masked_value(key, self._inner[key])
        return value

    def get(self, key: str, default: Any = None) -> Any:
        value = self._masked.get(key, _UNSEEN)
        if value is _UNSEEN:
            value = self._inner.get(key)
            if value is None:  # absent (a span attribute is never None): most keys asked of a span are
                return default
            value = self._masked[key] = masked_value(key, value)
        return value

    def __contains__(self, key: object) -> bool:
        return key in self._inner

    def __iter__(self) -> Iterator[str]:
        return iter(self._inner)

    def __len__(self) -> int:
        return len(self._inner)

    def __repr__(self) -> str:
        return f"MaskedAttributes({dict(self.items())!r})"

    @property
    def decode_error(self) -> str | None:
        """What could not be read, masked: a value that is no number is quoted in it as written."""
        return self._masked_note("decode_error")

    @property
    def unread_error(self) -> str | None:
        return self._masked_note("unread_error")

    @property
    def given_twice(self) -> str | None:
        return self._masked_note("given_twice")

    def _masked_note(self, name: str) -> str | None:
        error = getattr(self._inner, name, None)
        return mask_text(error) if isinstance(error, str) else None

    def decoded(self) -> Mapping[str, Any]:
        """Decode the attributes now, so that ``decode_error`` is known; the view itself."""
        decode = getattr(self._inner, "decoded", None)
        if decode is not None:
            decode()
        return self


def is_own(rec: SpanRecord) -> bool:
    """Whether ``rec`` is one of our spans (masked at capture), by its instrumentation scope."""
    return rec.scope.startswith(sc.INSTRUMENTATION_SCOPE)


def unreadable_note(rec: SpanRecord, error: str) -> str:
    """``"span: error"``, what could not be read of the span's attributes, as an issue names it: another
    instrumentation's span name and the value quoted in ``error`` are masked, as its step's are."""
    return f"{rec.name}: {error}" if is_own(rec) else f"{mask_text(rec.name)}: {mask_text(error)}"


def attribute_notes(records: list[SpanRecord]) -> tuple[list[str], list[str]]:
    """``"span: what"`` for the spans whose attributes could not all be read, and for those giving a key twice
    with different values (a lazy mapping's notes are read off it directly: this looks at every span)."""
    unreadable: list[str] = []
    twice: list[str] = []
    lazy: Any = LazyAttributes
    for r in records:
        attrs: Any = r.attributes
        if type(attrs) is lazy:
            err, again = attrs._unread, attrs._twice
            if err is None and again is None:
                continue
        else:
            err, again = _unread(attrs), getattr(attrs, "given_twice", None)
        if err:
            unreadable.append(unreadable_note(r, err))
        if again:
            twice.append(unreadable_note(r, again))
    return unreadable, twice


def _unread(attrs: Mapping[str, Any]) -> str | None:
    """What could not be read of a span's attributes (a lazy mapping's own split, else its one note)."""
    if hasattr(attrs, "given_twice"):
        return getattr(attrs, "unread_error", None)
    return getattr(attrs, "decode_error", None)


def conflict_note(rec: SpanRecord, fields: set[str]) -> str:
    """``"name (span id) in field, field"``: what the copies of a span disagree on, as an issue names it
    (another instrumentation's span name masked, as its step's is)."""
    name = rec.name if is_own(rec) else mask_text(rec.name)
    return f"{name} (span {rec.span_id}) in {', '.join(sorted(fields))}"


def foreign_content(rec: SpanRecord) -> tuple[Mapping[str, Any], tuple[SpanEventRecord, ...], str]:
    """Attributes, events and status message of another instrumentation's span, masked."""
    events = tuple(SpanEventRecord(ev.name, ev.time_ns, MaskedAttributes(ev.attributes)) if ev.attributes else ev
                   for ev in rec.events)
    return MaskedAttributes(rec.attributes), events, mask_text(rec.status_message)


def shown_content(rec: SpanRecord) -> tuple[Mapping[str, Any], tuple[SpanEventRecord, ...], str, str]:
    """Attributes, events, status message and name of a span as a replay shows them: ours as recorded,
    another writer's masked. For the spans read outside the walk (a session's root, which is no step of its
    own session): one written in our schema by another writer (its scope not ours, our end state on it)
    carries what its agent was given, unmasked."""
    if is_own(rec):
        return rec.attributes, rec.events, rec.status_message, rec.name
    attrs, events, message = foreign_content(rec)
    return attrs, events, message, mask_text(rec.name)
