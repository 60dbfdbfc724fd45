"""What stands in place of something cut, and cutting text without keeping part of a secret.

The walk of :mod:`._serialize`, the content budget of :mod:`._parts` and the cut of long strings all put
a marker where something was dropped, inside valid JSON. The diff, the recorder and a cassette made from
a trace must each know such a value was cut (:func:`cut_marker`): calling it equal to, or replaying it
as, the value before the cut would pass on data that was never recorded.
"""

from __future__ import annotations

import re
from typing import Any, Final

from ._redact import REDACTED, cut_at, mask_text

__all__ = [
    "BIG_INT",
    "BIG_INT_MARKER",
    "CYCLE_MARKER",
    "DEPTH_MARKER",
    "MAX_DEPTH",
    "MORE_ITEMS_MARKER",
    "MORE_KEY",
    "OMITTED_MESSAGES_MARKER",
    "OMITTED_PARTS_MARKER",
    "OMITTED_TOOLS_MARKER",
    "TRUNCATED_MARKER",
    "UNREAD_MARKER",
    "cut_marker",
    "truncate_masked",
]

TRUNCATED_MARKER: Final = "…[truncated {n} chars]"
"""Appended to a cut string: how many characters were dropped."""
MORE_ITEMS_MARKER: Final = "…[{n} more items]"
"""Last element of a cut list (or the value under :data:`MORE_KEY` of a cut mapping)."""
MORE_KEY: Final = "…"
OMITTED_MESSAGES_MARKER: Final = "…[{n} earlier messages not recorded: over the content budget]"
"""Text of the marker message standing in for the older messages of a history cut by the budget."""
OMITTED_PARTS_MARKER: Final = "…[{n} more parts not recorded: over the content budget]"
"""Text of the last part of system instructions cut by the budget: how many parts were left out."""
OMITTED_TOOLS_MARKER: Final = "…[{n} more tools not recorded: over the content budget]"
"""Description of the last entry of tool definitions cut by the budget: how many tools were left out."""
CYCLE_MARKER: Final = "<cycle>"
DEPTH_MARKER: Final = "<max depth>"
MAX_DEPTH: Final = 32
"""How deep the walk goes before it writes :data:`DEPTH_MARKER`."""
BIG_INT: Final = 1 << 63
"""An integer from here on (or below its negative) is past 64 bits: only its size is kept."""
BIG_INT_MARKER: Final = "<int of {n} bits>"
"""Stands for an integer past 64 bits (a backend's JSON reader would round it): only its size is kept."""
UNREAD_MARKER: Final = "<{type} {kind}: not read>"
"""Stands for a mapping or sequence that is not a built-in container, or an object whose own repr may show
a secret-named field (``kind`` says which): only its type."""
_CUT_TEXT: Final = re.compile("|".join((
    re.escape(TRUNCATED_MARKER.split("{", 1)[0]) + r"\d+ chars\]$",
    "^" + re.escape(MORE_ITEMS_MARKER.split("{", 1)[0]) + r"\d+ more items\]$",
    "^" + re.escape(OMITTED_MESSAGES_MARKER.split("{", 1)[0]) + r"\d+ earlier messages",
    "^" + re.escape(OMITTED_TOOLS_MARKER.split("{", 1)[0]) + r"\d+ more tools not recorded",
    "^" + re.escape(OMITTED_PARTS_MARKER.split("{", 1)[0]) + r"\d+ more parts not recorded",
    "^" + re.escape(DEPTH_MARKER) + "$",
    "^" + re.escape(BIG_INT_MARKER.split("{", 1)[0]) + r"\d+ bits>$",
    r"^<\d+ bytes: .*…>$",
    r"^<[^<>]+ (?:mapping|sequence|object): not read>$")))
"""A string put in place of what was cut: the one test the diff, the recorder and the trace's cassette all
use, so none of them calls a value whole that another knows was cut."""


def cut_marker(value: Any, depth: int = 0) -> str | None:
    """The first marker in plain JSON data that stands for something cut (a string, a list's last item or
    a mapping's :data:`MORE_KEY`), or None when nothing in it was cut. A value that really is such text
    counts as cut too: no reader can tell the two apart."""
    if isinstance(value, str):
        return value if _CUT_TEXT.search(value) is not None else None
    if depth >= MAX_DEPTH * 4:
        return None
    if isinstance(value, dict):
        if MORE_KEY in value:
            return str(value[MORE_KEY])
        items: Any = value.values()
    elif isinstance(value, list):
        items = value
    else:
        return None
    for item in items:
        found = cut_marker(item, depth + 1)
        if found is not None:
            return found
    return None


def truncate_masked(text: str, limit: int, known: tuple[str, ...] = ()) -> str:
    """``text`` cut to ``limit`` characters plus :data:`TRUNCATED_MARKER`, and masked
    (:func:`._redact.mask_text`), never keeping part of a credential; ``known`` are secret values masked
    wherever they appear (see :func:`._error_text.known_secrets`).

    Cut first, then masked: masking costs about as much per character as reading, so a megabyte of error
    text costs what ``limit`` characters do. Masking after the cut would leave the start of a key the cut
    splits (``sk-proj-Ab…``: too short for its pattern), so the cut moves back to where that key (or a known
    value) begins (:func:`._redact.cut_at`) and :data:`REDACTED` stands in its place before the marker, which
    counts every character not shown. Text a cut to ``limit`` made already (its marker at the end) is masked
    as it is, not cut again.
    """
    if limit <= 0 or len(text) <= limit:
        return mask_text(_replaced(text, known))
    marker = _cut_already(text, limit)
    if marker >= 0:  # what a cut kept, masked again; its marker as it is (masked with it, it could be read as a value)
        return mask_text(_replaced(text[:marker], known)) + text[marker:]
    keep = cut_at(text, limit)
    for _ in range(_MAX_MOVES):
        moved = _before_known(text, keep, known)
        if moved == keep:
            break
        keep = cut_at(text, moved) if moved > 0 else 0
    head = mask_text(_replaced(text[:keep], known))
    return (head + REDACTED if keep < limit else head) + TRUNCATED_MARKER.format(n=len(text) - keep)


_MAX_MOVES: Final = 4
_CUT_END: Final = re.compile(re.escape(TRUNCATED_MARKER.split("{", 1)[0]) + r"\d{1,20} chars\]\Z")


def _cut_already(text: str, limit: int) -> int:
    """Where the marker starts when ``text`` is what a cut to ``limit`` gave (what it kept, maybe
    :data:`REDACTED`, the marker), else -1."""
    end = _CUT_END.search(text, max(0, len(text) - 48))
    return end.start() if end is not None and end.start() <= limit + len(REDACTED) else -1


def _replaced(text: str, known: tuple[str, ...]) -> str:
    for value in known:
        text = text.replace(value, REDACTED)
    return text


def _before_known(text: str, keep: int, known: tuple[str, ...]) -> int:
    """``keep``, or the start of a known value the cut at ``keep`` would split."""
    for value in known:
        at = text.find(value, max(0, keep - len(value) + 1), keep + len(value) - 1)
        if 0 <= at < keep:
            keep = at
    return keep
