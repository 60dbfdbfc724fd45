"""Credential shapes that one regex cannot mask well, each with the ``sub`` of a compiled pattern (see
:data:`agentops_otel._redact.SECRET_PATTERNS`)."""

from __future__ import annotations

import binascii
import re
from collections.abc import Callable
from typing import Final, Protocol

__all__ = [
    "ENCODED_PEM_BEGIN",
    "ENCODED_PEM_PATTERN",
    "GLUED_AMPERSAND",
    "EncodedPemMatcher",
    "JwtMatcher",
    "PemMatcher",
    "QueryMatcher",
    "Substitutes",
    "ampersand_end",
    "masked_spans",
    "value_end",
]


class Substitutes(Protocol):
    def sub(self, repl: str, string: str) -> str: ...


_TOKEN_RUN: Final = re.compile(r"[A-Za-z0-9_\-]+")


def _run_end(text: str, start: int) -> int:
    """Where the run of token characters from ``start`` ends (``start`` when there is none)."""
    run = _TOKEN_RUN.match(text, start)
    return start if run is None else run.end()


class JwtMatcher:
    """``re.sub`` of the JWT pattern, in one pass over the text.

    The regex's match from a start is forced (each part is a whole run of token characters, ended by a
    dot), and every start inside one run shares that run's end: so each run is read once, and the
    leftmost start that fits is the match, as ``re`` would find it.
    """

    def sub(self, repl: str, string: str) -> str:
        text, out, done, i = string, [], 0, 0
        while (p := text.find("eyJ", i)) >= 0:
            if p and text[p - 1].isascii() and text[p - 1].isalnum():
                i = p + 1  # glued to a word: not a start (the pattern's lookbehind)
                continue
            end = _run_end(text, p)  # the header's run: shared by every start inside it
            if end - p - 3 < 8 or not text.startswith(".eyJ", end):
                i = end  # no start in this run fits
                continue
            payload = _run_end(text, end + 4)
            signature = _run_end(text, payload + 1) if text.startswith(".", payload) else -1
            if payload - end - 4 < 8 or signature - payload - 1 < 8:
                i = end
                continue
            out.append(text[done:p])
            out.append(repl)
            done = i = signature
        if not out:
            return text
        out.append(text[done:])
        return "".join(out)


_OPENERS: Final = {")": "(", "]": "[", "}": "{", "`": "`"}
_TRAILING: Final = ".,"
_BRACKETS: Final = "()[]{}`"


def value_end(value: str) -> int:
    """Where a masked value ends: before the text a URL sits in (the ``)`` of a markdown link, a closing
    backtick, a sentence's comma or full stop), which the value's character class cannot tell apart. A
    closer the value itself opened (``p(a)ss``) is its own; a value all of such characters is masked whole.
    Linear: the brackets are counted once, then each character stripped from the end is taken off the count
    (counting again at each step took a second for 40 000 ``)``)."""
    end = len(value)
    counts: dict[str, int] | None = None
    while end > 1:
        last = value[end - 1]
        opener = _OPENERS.get(last)
        if opener is not None:
            if counts is None:  # in value[:end]
                counts = {c: value.count(c, 0, end) for c in _BRACKETS}
            if opener == last:
                if (counts[last] - 1) % 2 == 1:
                    break
            elif counts[opener] >= counts[last]:  # value[:end - 1] opens more than it closes
                break
            counts[last] -= 1
        elif last not in _TRAILING:
            break
        end -= 1
    return end


GLUED_AMPERSAND: Final = (r"&(?![A-Za-z0-9_.\-\[\]]*=|[A-Za-z][A-Za-z0-9]{1,31};|#[0-9]{1,7};|#[xX][0-9A-Fa-f]{1,6};"
                           r"|[\s&;|<>\"'`]|\Z)")
"""An ``&`` inside a bare value, not ending it: glued to more than the next field's ``name=`` (``a=1&b=2``), an HTML
entity (``&amp;``), a space (a command run in the background), ``&&`` or a redirection (``&>``). A value is read to
an ``&`` as a query string's is (``password=x&b=2`` keeps ``b=2``), but a password holds one as often
(``DB_PASSWORD=Tr0ub4dor&3``, ``-pTr0ub4dor&3``): cut there, its end was recorded in clear. Not read in a URL's query
(after ``?`` or another field's ``&``), where an ``&`` always starts a field."""
_AMPERSAND_REST: Final = re.compile("(?:" + GLUED_AMPERSAND + r"[^\s\"'`<>&;|]+)*")


def ampersand_end(text: str, end: int) -> int:
    """Where a bare value read up to ``end`` ends when the ``&`` there (and any after it) is the value's own
    (:data:`GLUED_AMPERSAND`): ``end`` itself when it is not. Linear: one match, each ``&`` read once with what
    follows it up to the next one."""
    if not text.startswith("&", end):
        return end
    more = _AMPERSAND_REST.match(text, end)
    return end if more is None else more.end()


class QueryMatcher:
    """``re.sub`` of a ``name=value`` pattern (groups ``name`` and ``value``: a URL's query parameter, a form field)
    that keeps every name and masks the values ``is_secret(name, value)`` picks (the value up to the text it sits
    in, see :func:`value_end`): a regex alone cannot judge a name by the key rules."""

    def __init__(self, pattern: str, is_secret: Callable[[str, str], bool], starts: str = "",
                 head: str | None = None) -> None:
        self._pattern = re.compile(pattern)
        self._is_secret = is_secret
        self._starts = starts
        """The characters every match starts with: text with none of them (code with ``=``, base64) is not
        scanned, which halves the cost of masking it."""
        self._head = None if head is None else re.compile(head)
        """The same two groups, anchored where a match needs none of ``starts`` (a form body's first field)."""

    def sub(self, repl: str, string: str) -> str:
        if self._head is not None:
            first = self._head.match(string)
            if first is not None and self._is_secret(first.group("name"), _held(first.group("value"))):
                string = _masked(first, repl) + string[first.end():]
        if self._starts and not any(c in string for c in self._starts):
            return string

        def one(match: re.Match[str]) -> str:
            return (_masked(match, repl) if self._is_secret(match.group("name"), _held(match.group("value")))
                    else match.group(0))

        return self._pattern.sub(one, string)


def _held(value: str) -> str:
    return value[:value_end(value)]


def _masked(match: re.Match[str], repl: str) -> str:
    """A ``name=value`` match with its value masked, up to the text the value sits in (see :func:`value_end`)."""
    value = match.group("value")
    return match.string[match.start():match.start("value")] + repl + value[value_end(value):]


_ARMOUR: Final = r"(?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"
_BEGIN: Final = re.compile("-----BEGIN " + _ARMOUR)
_END: Final = re.compile("-----END " + _ARMOUR)
_NEXT_LINE: Final = re.compile(r"[ \t]*(?:\r?\n|(?:\\r)?\\n)|[ \t]?[A-Za-z0-9+/]{16}")
"""A key's body starts on the line after its BEGIN line (a newline, or one escaped in JSON text), or right after
it on the same line when the key was flattened to one (base64, not the words of a sentence)."""
_BODY_STOP: Final = re.compile(r"\r?\n[ \t]*\r?\n|(?:(?:\\r)?\\n){2}|[\"'`<]")
"""Where a body cut before its END line stops: a blank line, or the quote that closes the string it sits in."""
_LEGACY_HEADERS: Final = re.compile(r"(?:\r?\n|(?:\\r)?\\n)Proc-Type:")
"""An encrypted key of the old kind: its headers are followed by a blank line, then the body."""


class PemMatcher:
    """``re.sub`` of a PEM (or PGP) private key: its armour lines are kept to say what was there, its body is
    masked. A body runs to its END line; one cut before it (no END before the next BEGIN) to a blank line or the
    quote closing the string it sits in; a BEGIN line with no line after it (a sentence mentioning one) masks
    nothing. In one pass: each BEGIN, END and stop is searched for once."""

    def sub(self, repl: str, string: str) -> str:
        out: list[str] = []
        done = 0
        begin = _BEGIN.search(string)
        end: re.Match[str] | None = None
        no_end_after = len(string) + 1  # no END line from here on
        while begin is not None:
            after = begin.end()
            following = _BEGIN.search(string, after)
            bound = following.start() if following is not None else len(string)
            if (end is None or end.start() < after) and after < no_end_after:
                end = _END.search(string, after)
                if end is None:
                    no_end_after = after
            if end is not None and end.start() >= after and end.start() < bound:
                out += [string[done:after], repl]
                done = end.start()
            elif after == len(string) or _NEXT_LINE.match(string, after) is not None:
                search_from = after
                if _LEGACY_HEADERS.match(string, after) is not None:
                    blank = _BODY_STOP.search(string, after, bound)
                    search_from = blank.end() if blank is not None else bound
                stop = _BODY_STOP.search(string, search_from, bound)
                out += [string[done:after], repl]
                done = stop.start() if stop is not None else bound
            begin = following  # after ``done``: a body stops before the next BEGIN
        if not out:
            return string
        out.append(string[done:])
        return "".join(out)


ENCODED_PEM_BEGIN: Final = "LS0tLS1CRUdJTi"
"""``-----BEGIN `` in base64, as every base64 PEM block starts (the next character depends on what follows)."""
ENCODED_PEM_PATTERN: Final = ENCODED_PEM_BEGIN + r"[A-Za-z0-9+/]*={0,2}"
"""A base64 PEM block's first line, matched by :class:`EncodedPemMatcher`, which masks the block (its following
lines too) when it holds a private key."""
_ENCODED_PEM: Final = re.compile(ENCODED_PEM_PATTERN)
_WRAPPED_LINE: Final = re.compile(r"\r?\n([A-Za-z0-9+/]+={0,2})")
_WRAP_WIDTHS: Final = frozenset({64, 76})
"""The widths base64 tools wrap at (``openssl base64``: 64, ``base64``: 76): a line of exactly one of them that
ends without padding goes on, on the next line."""
_ENCODED_READ_MAX: Final = 1 << 20
"""Base64 characters decoded at most to find a private key's BEGIN line in a block (a bundle's key may follow
its certificates)."""


class EncodedPemMatcher:
    """``re.sub`` of a PEM private key written in base64 (a Kubernetes secret's ``tls.key``, ``base64 key.pem``
    wrapped over lines, a bundle of a certificate and its key): the whole block is masked when a BEGIN line in it
    names a private key. A certificate (public) in base64 starts the same way, and is kept: the block is decoded
    to tell them apart."""

    def sub(self, repl: str, string: str) -> str:
        out: list[str] = []
        done = reach = 0
        for found in _ENCODED_PEM.finditer(string):
            if found.start() < reach:
                continue  # inside a block read already (each line is read once: linear)
            end, lines = found.end(), [found.group()]
            while len(lines[-1]) in _WRAP_WIDTHS and not lines[-1].endswith("="):
                more = _WRAPPED_LINE.match(string, end)
                if more is None:
                    break
                lines.append(more.group(1))
                end = more.end()
            reach = end
            if _private_key("".join(lines)):
                out += [string[done:found.start()], repl]
                done = end
        if not out:
            return string
        out.append(string[done:])
        return "".join(out)


def _private_key(run: str) -> bool:
    head = run[:_ENCODED_READ_MAX]
    try:
        decoded = binascii.a2b_base64(head[:len(head) - len(head) % 4])
    except (binascii.Error, ValueError):
        return False
    return b"PRIVATE KEY-----" in decoded


def masked_spans(text: str, spans: list[tuple[int, int]], marker: str) -> str:
    """``text`` with each of ``spans`` (sorted by start) replaced by one ``marker``; spans that overlap, or start
    inside one before, are masked as one run: what the rules reading commands, lists and userinfo find."""
    if not spans:
        return text
    out: list[str] = []
    done = 0
    for start, end in spans:
        if start >= done:
            out += [text[done:start], marker]
        done = max(done, end)
    out.append(text[done:])
    return "".join(out)
