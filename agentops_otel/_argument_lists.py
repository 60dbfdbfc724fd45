"""A command given as the list of its arguments (``subprocess.run(["mysql", "-u", "root", "-pX", "db"])``), read as
the command line its items make, each secret masked inside the item it lies in.

A tool that runs a command is as often given its argument list as its text; the rules of command lines
(:mod:`._command_line_values`, :mod:`._command_arguments`) read text, so the list is read as the text its items joined
by spaces make, and each secret found there is held to the item it starts in (:func:`argv_secrets`).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from typing import Any, Final

from ._command_line_values import command_line_secrets
from ._userinfo_values import proxy_password

__all__ = ["argv_secrets", "mask_argv"]

_SPACE: Final = re.compile(r"\s")
_VALUE_STOPS: Final = frozenset(";&|<>\"'`")
"""Where a bare value stops in text, which inside one item of a list is still the value's (``["-p", "pw;x"]``); a
value stopping anywhere else ends there (``bob:X`` of ``["scp", "bob:X@host:/tmp"]``)."""
_NOT_A_WORD: Final = "_"
"""What stands for an item that is no string (``["mysql", "-P", 3306, …]``) in a list read as one command line: a
word no rule reads as a value."""


def mask_argv(items: list[Any], marker: str) -> list[Any]:
    """``items`` (a list already walked, each string masked on its own) read as one command line, each secret there
    masked (:func:`argv_secrets`): ``items`` itself when there is none."""
    spans = argv_secrets(items, marker)
    if not spans:
        return items
    out = list(items)
    for at, where in spans.items():
        word, pieces, done = out[at], [], 0
        for start, end in where:
            if start >= done:
                pieces += [word[done:start], marker]
                done = end
        out[at] = "".join(pieces) + word[done:]
    return out if any(out[at] != items[at] for at in spans) else items


def argv_secrets(items: list[Any], marker: str) -> dict[int, list[tuple[int, int]]]:
    """Where each secret of ``items`` (already masked with ``marker`` on their own) read as one command line lies:
    by item, in order, within the item's string.

    The items joined by spaces are the command's text, so each rule finds what it finds in that text (a flag's
    next word, ``-u user:X``, a MySQL client's ``-pX`` or ``-p X`` anywhere after it). But an item is one
    argument, spaces and all: a secret that starts in an item's first word (the item after ``--password`` or
    ``-p``, the ``X`` of ``-pX`` or of ``bob:X``) and ends where a bare value stops (a space, a ``;``) is masked
    to the item's end, as the text's rules would leave the rest of a value with a space or a ``;`` in it; one
    ending before any such stop ends there (``bob:X`` of an scp remote ``bob:X@host:/tmp``). One that starts
    after a space inside an item (a script given to ``sh -c``) is masked as in that item's own text."""
    words = [item if type(item) is str else _NOT_A_WORD for item in items]
    starts = [0]  # where each item starts in the text, and one past its end
    for word in words:
        starts.append(starts[-1] + len(word) + 1)
    found = command_line_secrets(" ".join(words))
    for at in range(1, len(words)):  # the text's proxy rule reads a flag's next word, which here is the next item
        if "@" in words[at] and (password := proxy_password(words[at - 1], words[at])) is not None:
            found.append((starts[at] + password[0], starts[at] + password[1]))
    for at, word in enumerate(words):  # a flag's glued value masked on its own (-ubob:[REDACTED] rest): whole
        if word[:1] == "-" and marker in word:
            head = word.split(None, 1)[0]
            if marker in head and len(head) < len(word):
                found.append((starts[at] + head.rindex(marker), starts[at + 1] - 1))
    found.sort()
    spans: dict[int, list[tuple[int, int]]] = {}
    first_word: dict[int, int] = {}  # where an item's first word ends: looked for once per item
    for start, end in found:
        at = bisect_right(starts, start) - 1
        word, start = words[at], start - starts[at]
        if start < len(word) and type(items[at]) is str:
            if at not in first_word:
                space = _SPACE.search(word)
                first_word[at] = len(word) if space is None else space.start()
            ends = end - starts[at]
            # a value in the item's first word, to where a bare value stops (a space, ``;``): to the item's end
            whole = start < first_word[at] and (ends >= first_word[at] or word[ends] in _VALUE_STOPS)
            spans.setdefault(at, []).append((start, len(word) if whole else min(end - starts[at], len(word))))
    return spans
