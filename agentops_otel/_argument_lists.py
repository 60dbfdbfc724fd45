"""A command given as the list of its arguments (``subprocess.run(["mysql", "-u", "root", "-pX", "db"])``), read as
the command line its items make, each secret masked inside the item it lies in.

A tool that runs a command is as often given its argument list as its text; the rules of command lines
(:mod:`._command_line_values`, :mod:`._command_arguments`) read text, so the list is read as the text its items joined
by spaces make, and each secret found there is held to the item it starts in (:func:`argv_secrets`).

The same list is as often written in a text: a tool's report (``command: ["htpasswd", "-b", "f", "bob", "X"]``), a
log line (``args=['mysql', '-pX']``), a failed command's error (``Command '['htpasswd', …]' returned non-zero exit
status 1``), a command quoted in JSON. There the quotes and commas between the items stand where the rules of command
lines read words: those reading a flag's next item see it (``"-p", "X"``), but those reading a program's arguments by
their position (htpasswd's password, a config tool's value, a login's token) read ``",`` as words. So a list literal
in a text (:func:`mask_argument_lists`: items in double or single quotes, their escapes decoded, or numbers and JSON's
or Python's constants, each closed by its comma) is read as the same list given as an argument is, when it would be
(two items at least; the first a program those rules read, or an item a flag), each secret masked inside its item's
quotes. A literal holding anything else (a variable, a call, a nested list) is none, and so is a tuple: code's calls
(``f("a", "-b")``) are written so, and reading each would cost the many texts holding ``(``.

Linear: a literal is matched whole by one regex from its ``[``, each item to its closing quote, no step taken back;
only a literal holding a flag or a program's name is read again, item by item.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from typing import Any, Final

from ._command_arguments import PROGRAMS, holds_argument_secrets
from ._command_line_values import command_line_secrets
from ._matchers import masked_spans
from ._userinfo_values import proxy_password

__all__ = ["argv_secrets", "holds_argument_list", "mask_argument_lists", "mask_argv"]

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


_ITEM_TEXT: Final = (r"(?:\"[^\"\\\r\n]*+(?:\\.[^\"\\\r\n]*+)*+\"|'[^'\\\r\n]*+(?:\\.[^'\\\r\n]*+)*+'"
                     r"|-?[0-9][0-9.]*+|None|True|False|null|true|false)")
"""An item: a string in double or single quotes (its escapes read as two characters), a number or a constant."""
_PROGRAM_FIRST: Final = (r"[\"'](?:[^\"'\s,]*[/\\])?(?:"
                         + "|".join(re.escape(name) for name in sorted(PROGRAMS, key=len, reverse=True))
                         + r")(?:\.exe)?[\"']")
"""A first item naming a program whose arguments :mod:`._command_arguments` reads (``"scp"``, ``"/usr/bin/git"``)."""
_LIST: Final = re.compile(r"\[[ \t\r\n]*+(?=" + _PROGRAM_FIRST + r"|(?:" + _ITEM_TEXT + r",[ \t\r\n]*+)*?[\"']-)(?:"
                          + _ITEM_TEXT + r",[ \t\r\n]*+)++(?:" + _ITEM_TEXT + r"[ \t\r\n]*+)?\]")
"""A list literal read as a command, as a list given as an argument is: its first item a program of
:data:`_PROGRAM_FIRST` or an item a flag (``"-p"``); two items or more, each closed by its comma (the last maybe not).
Matched whole in C (its bracket first, a literal the engine searches for), no step taken back: a literal of names or
numbers costs no step in Python."""
_ITEM: Final = re.compile(r"[ \t\r\n]*+(?:\"(?P<dq>(?:[^\"\\\r\n]|\\.)*+)\"|'(?P<sq>(?:[^'\\\r\n]|\\.)*+)'"
                          r"|(?P<other>[^,\])]+)),?")
"""An item of a literal :data:`_LIST` matched, with the spaces before it and the comma after it."""
_ESCAPE: Final = re.compile(r"\\(?:u(?P<code>[0-9A-Fa-f]{4})|(?P<char>.))", re.DOTALL)
_ESCAPED: Final = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f"}
_Item = tuple[str | None, int, int]
"""An item of a literal: its value (``None`` for no string), where its text starts and ends (inside its quotes)."""


def holds_argument_list(text: str) -> bool:
    """Whether ``text`` (holding a ``[`` and a quote) may hold a command written as a list literal: a quoted item closed
    by its comma (``",``), and a quoted flag (``"-p"``) or what a program read by its arguments needs
    (:func:`._command_arguments.holds_argument_secrets`: a list without a flag is read only when its program is one of
    those). Each test is one search of the text, the most telling first: JSON seldom holds a quoted flag."""
    dq, sq = '"' in text, "'" in text
    return (((dq and '",' in text) or (sq and "'," in text))
            and ((dq and '"-' in text) or (sq and "'-" in text) or holds_argument_secrets(text)))


def mask_argument_lists(text: str, marker: str) -> str:
    """``text`` with the secrets of each command written in it as a list literal replaced by ``marker`` (see the module
    docstring)."""
    return masked_spans(text, argument_list_secrets(text, marker), marker)


def argument_list_secrets(text: str, marker: str) -> list[tuple[int, int]]:
    """Where each secret of a command written in ``text`` as a list literal lies, in order."""
    found: list[tuple[int, int]] = []
    for literal in _LIST.finditer(text):
        items = _items(text, literal.start() + 1, literal.end() - 1)
        for index, spans in argv_secrets([value for value, _, _ in items], marker).items():
            _, start, end = items[index]
            raw = text[start:end]
            if "\\" in raw:
                origin = _decoded(raw)[1]
                found.extend((start + origin[s], start + origin[e]) for s, e in spans)
            else:
                found.extend((start + s, start + e) for s, e in spans)
    found.sort()
    return found


def _items(text: str, start: int, end: int) -> list[_Item]:
    """The items of a literal :data:`_LIST` matched, from past its opening bracket (``start``) to its closing one."""
    items: list[_Item] = []
    while (item := _ITEM.match(text, start, end)) is not None and item.end() > start:
        items.append(_value(item))
        start = item.end()
    return items


def _value(item: re.Match[str]) -> _Item:
    """An item's value (decoded; ``None`` for no string) and where its text lies (inside its quotes)."""
    group = item.lastgroup or "other"
    if group == "other":
        return None, item.start(group), item.end(group)
    raw = item.group(group)
    return (_decoded(raw)[0] if "\\" in raw else raw), item.start(group), item.end(group)


def _decoded(raw: str) -> tuple[str, list[int]]:
    """A quoted item's text with its escapes decoded (JSON's and Python's: ``\\"``, ``\\'``, ``\\\\``, ``\\n``,
    ``\\u00e9``), and where each decoded character starts in ``raw`` (and, last, ``raw``'s end)."""
    parts: list[str] = []
    origin: list[int] = []
    done = 0
    for escape in _ESCAPE.finditer(raw):
        parts.append(raw[done:escape.start()])
        origin.extend(range(done, escape.start()))
        code, char = escape.group("code"), escape.group("char")
        parts.append(chr(int(code, 16)) if code else _ESCAPED.get(char, char))
        origin.append(escape.start())
        done = escape.end()
    parts.append(raw[done:])
    origin.extend(range(done, len(raw) + 1))
    return "".join(parts), origin
