"""JSON quoted inside a JSON string, in a text that is not itself JSON: a tool's log line holding the request it sent
(``x {"cmd": "export HTTPS_PROXY=\\"bob:X@proxy:3128\\""}``, ``{"cmd": "htpasswd -b f bob \\"X\\""}``), or such JSON
encoded once more and cut out of its quotes (``{\\"https_proxy\\": \\"bob:X@proxy:3128\\"}``).

A text that is JSON is parsed and its strings read decoded (:mod:`._mask_plain`); a text merely holding JSON is read as
it is written, where ``\\"`` is a backslash and a quote: the rules of command lines, argument lists and userinfo
(:mod:`._command_line_values`, :mod:`._argument_lists`, :mod:`._userinfo_values`) read a value quoted so as unquoted
(``-p\\"X\\"`` gave ``\\`` as the password, a proxy's value stopped at its ``\\``). So a text holding ``\\"`` is
read by those rules in a view of it with each level of escaping undone (``\\"`` as ``"``, ``\\\\`` as ``\\``; a
level deeper while ``\\"`` remains, at most :data:`_LEVELS`), and each secret found there is masked at the same
characters of the text, its escapes kept around it. A list written as text is read as written too, its items' escapes
decoded by :mod:`._argument_lists` (``["-p", "a\\"b"]``: unescaped, the item would end at that quote). Secret-named
pairs read ``\\"`` themselves (:mod:`._named_values`).

Cheap and linear: each level is one replacement in C (three when it holds an escaped backslash); only when a secret
is found is each level split at its escapes (in C) to place it back, by one binary search per level.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from itertools import accumulate
from typing import Final

from ._argument_lists import argument_list_secrets, holds_argument_list
from ._command_arguments import holds_argument_secrets
from ._command_line_values import command_line_secrets
from ._matchers import masked_spans
from ._userinfo_values import holds_userinfo, userinfo_secrets

__all__ = ["mask_escaped"]

_ESCAPE: Final = re.compile(r"\\([\\\"])")
"""An escaped quote or backslash: split at it, the character kept (a JSON string's other escapes, ``\\n``, are kept as
written, as the rules read them in any other text)."""
_STAND_IN: Final = "\x00"
"""What an escaped backslash stands as while the escaped quotes are undone."""
_LEVELS: Final = 3
"""How many levels of escaping are undone: JSON encoded three times over is as deep as any real text goes."""


def mask_escaped(text: str, marker: str) -> str:
    """``text`` (holding ``\\"``) with each secret those rules find in it unescaped replaced by ``marker`` (see the
    module docstring)."""
    views = [text]  # the text, then each level's view
    while '\\"' in views[-1] and len(views) <= _LEVELS:
        views.append(_unescaped(views[-1]))
    spans = _secrets(views[-1], marker)
    if spans:  # placed back through each level's escapes, found only now: most texts hold no secret
        levels = [list(accumulate(map(len, _ESCAPE.split(view))))[0:-1:2] for view in views[:-1]]
        spans = [(_start_in(start, levels), _end_in(end, levels)) for start, end in spans if end > start]
    if "[" in text:  # a list written as it is, its items decoding their own escapes (``[\\"`` starts none)
        spans += argument_list_secrets(text, marker)
    spans.sort()
    return masked_spans(text, spans, marker)


def _unescaped(view: str) -> str:
    """``view`` with one level of escaping undone: each ``\\\\`` and ``\\"`` read from the left as one character,
    as :data:`_ESCAPE` splits it (replacements in C; the split when the text holds the stand-in character)."""
    if "\\\\" not in view:
        return view.replace('\\"', '"')
    if _STAND_IN in view:
        return "".join(_ESCAPE.split(view))
    return view.replace("\\\\", _STAND_IN).replace('\\"', '"').replace(_STAND_IN, "\\")


def _start_in(at: int, levels: list[list[int]]) -> int:
    """Where the character at ``at`` of the last view starts in ``text``: at its backslash when it was escaped."""
    for escaped in reversed(levels):
        at += bisect_left(escaped, at)
    return at


def _end_in(end: int, levels: list[list[int]]) -> int:
    """Where a run ending before ``end`` of the last view ends in ``text``: after its last character."""
    at = end - 1
    for escaped in reversed(levels):
        at += bisect_right(escaped, at)
    return at + 1


def _secrets(view: str, marker: str) -> list[tuple[int, int]]:
    """Where each secret of a command line, an argument list or a proxy's or DSN's userinfo lies in ``view``, each
    rule asked when the view holds what it needs (as :func:`._redact.mask_text` asks them)."""
    found: list[tuple[int, int]] = []
    if "-" in view or "config" in view or "login" in view or ("@" in view and holds_argument_secrets(view)):
        found += command_line_secrets(view)
        if "[" in view and ('"' in view or "'" in view) and holds_argument_list(view):
            found += argument_list_secrets(view, marker)
    if "@" in view and holds_userinfo(view):
        found += userinfo_secrets(view)
    return found
