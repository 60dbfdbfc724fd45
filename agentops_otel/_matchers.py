"""Credential shapes that one regex cannot mask well, each with the ``sub`` of a compiled pattern (see
:data:`agentops_otel._redact.SECRET_PATTERNS`)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Final, Protocol

from ._code_values import stands_for_value

__all__ = ["BareUserinfoMatcher", "JwtMatcher", "PemMatcher", "QueryMatcher", "Substitutes", "value_end"]


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


class QueryMatcher:
    """``re.sub`` of a ``name=value`` pattern (groups 1 and 2: a URL's query parameter, a form field) that
    keeps every name and masks the values ``is_secret(name, value)`` picks (the value up to the text it sits
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
            if first is not None and self._is_secret(first.group(1), _held(first.group(2))):
                string = _masked(first, repl) + string[first.end():]
        if self._starts and not any(c in string for c in self._starts):
            return string

        def one(match: re.Match[str]) -> str:
            return _masked(match, repl) if self._is_secret(match.group(1), _held(match.group(2))) else match.group(0)

        return self._pattern.sub(one, string)


def _held(value: str) -> str:
    return value[:value_end(value)]


def _masked(match: re.Match[str], repl: str) -> str:
    """A ``name=value`` match with its value masked, up to the text the value sits in (see :func:`value_end`)."""
    value = match.group(2)
    return match.string[match.start():match.start(2)] + repl + value[value_end(value):]


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


_BARE_USERINFO: Final = re.compile(
    r"(?<![^\s\"'`(\[{<,;=|])(?P<user>[A-Za-z0-9_][A-Za-z0-9._%+\-]{0,63}):(?P<password>[^\s:/@\"'`<>\\]{1,128})@"
    r"(?P<host>[A-Za-z0-9][A-Za-z0-9\-]{0,62}(?:\.[A-Za-z0-9\-]{1,63}){0,16}|\[[0-9A-Fa-f:.]{2,45}\])"
    r"(?![A-Za-z0-9_\-@]|\.[A-Za-z0-9])")
"""``user:password@host`` with no ``scheme://`` before it: the one ``:`` before the ``@`` starts the password, the
user starts a word (after a space, a quote, a bracket, ``=``…: not after ``/``, ``:`` or ``@``), and the host is a
name or an address that ends there. Every quantifier is bounded, so a try reads at most a few hundred characters."""
_PLAIN_NAME: Final = re.compile(r"[a-z][a-z._\-]{0,31}")
_NO_PASSWORD: Final = re.compile(r"[0-9]+|v?[0-9]+(?:\.[0-9]+)+")
_DIGEST: Final = re.compile(r"sha(?:1|224|256|384|512)", re.IGNORECASE)
_SERVER_AFTER: Final = re.compile(r":[0-9/~]|\(")
"""After a host, what says it is a server's, not an e-mail domain: a port, a path (``host:/tmp``), Go's ``tcp(…)``."""
_ADDRESS_SCHEMES: Final = frozenset({"mailto", "sip", "sips", "xmpp", "acct", "npm"})
"""Schemes written without ``//`` whose part after the ``:`` is an address (``mailto:bob42@example.com``) or a
package (``npm:pkg2@4``): no credential."""


class BareUserinfoMatcher:
    """``re.sub`` of credentials before a host without a URL's scheme (``scp f bob:X@host:/tmp``, a proxy's
    ``bob:X@proxy:3128``, Go's MySQL DSN ``root:X@tcp(db:3306)/shop``): the password is masked, the user and the
    host kept.

    Without ``scheme://`` only the shape says it is a password, and ``word:word@host`` is also a field before an
    e-mail address (``author:alice@example.com``, ``user:bob@example.com``, a search's ``from:ann.lee@…``). So the
    part after the ``:`` is no password when it is digits (a uid, ``nobody:65534@host``; a time, ``10:30@cafe``), a
    version (``nginx:1.25@sha256:…``; an image's digest after any tag, ``python:3.12-slim@sha256:…``), the user
    again (``app:app@host``: a user and a group), a placeholder or a variable, or follows an address's scheme
    (:data:`_ADDRESS_SCHEMES`); and a plain lower-case name (an address's local part) is one only before a host
    that no e-mail has: a name without a dot (``user:pass@host``) or one followed by a port, a path or ``(``
    (``root:toor@db.example.com:5432``). The price: ``root:toor@db.example.com`` alone is kept; digits or
    capitals, as a real password has, are masked anywhere. ``name@host``, ``git@github.com:org/repo.git`` and
    ``a:b:c@host`` have no lone ``:`` before the ``@`` and are not read."""

    def sub(self, repl: str, string: str) -> str:
        if ":" not in string:
            return string

        def one(match: re.Match[str]) -> str:
            text, user, password, host = match.string, match.group("user"), match.group("password"), match.group("host")
            if (_NO_PASSWORD.fullmatch(password) is not None or password == user or password.startswith("[REDACTED")
                    or user.lower() in _ADDRESS_SCHEMES or _DIGEST.fullmatch(host) is not None
                    or stands_for_value(password, "")
                    or (_PLAIN_NAME.fullmatch(password) is not None and "." in host
                        and _SERVER_AFTER.match(text, match.end()) is None)):
                return match.group(0)
            return text[match.start():match.start("password")] + repl + text[match.end("password"):match.end()]

        return _BARE_USERINFO.sub(one, string)
