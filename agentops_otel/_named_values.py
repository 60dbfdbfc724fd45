"""Secret-named values written out in text: ``password=…`` mid-sentence, ``--password=…``, ``db password: …``,
``"api_key": "…"``, ``'password' => '…'``, header lines (``Authorization: Token …``, ``X-Api-Key: …``), a subscript
assigned (``os.environ["API_TOKEN"] = "…"``) and a variable set by a call (``os.putenv("API_TOKEN", "…")``:
:func:`mask_setter_values`).

A key's name says that a value is a secret where the value's shape cannot (``hunter2``). The walk of
:mod:`._serialize` masks what a dict holds under such a name; text holds the same pairs as often: an error
message (``login failed: password=… for bob``), a command line or a config file a tool read, HTTP headers, JSON
cut short or quoted inside a sentence. The name is judged by :func:`._redact.is_secret_key` (with the word
before it, for ``db password`` and ``api key``), and only the value is replaced by the marker.

Prose, code and templates are kept: a name only counts before ``=`` or ``:``; a comparison (``==``, ``:=``) is
none; after ``:`` (or a spaced ``=``) two plain words in a row are a sentence going on (``Password: must be 8
characters``, ``Token: a unit of text``), not a secret; ``if token:`` is code, and so is a pair whose separator
closes a quoted string (``grep "token:"``). What stands where a value would be without being one (a call, a
variable, a placeholder, an annotation, the name passed on) is judged by :mod:`._code_values`; digits under
``token`` alone count tokens there, except where a shell puts the name in a program's environment (``export
TOKEN=4821``: :mod:`._shell_assignments`).

``pass`` (:data:`._secret_names.PROSE_WORDS`) is a report's word as often as a password's name: written alone before
a spaced ``:`` it is kept only before a verdict word, ratio or share that is the whole value (:func:`_prose_pass`):
``Pass: ok``, ``PASS: failed``, ``first pass: ok``, ``**Pass:** 12/12`` are kept, while ``pass=…``, ``pass:…``,
``"pass": …``, ``pass: "…"``, ``SMTP_PASS: …``, ``pass: swordfish``, ``Pass: 4821``, ``door pass: 4821`` and
``Boarding pass: 12B`` are masked (a seat number lost rather than a password kept).

Cheap on text without such a pair, which is every message of every model call: the separators are found by a
regex whose literal first character is searched for in C, run on the text reversed, so that at each ``=`` or
``:`` the same regex reads the *end* of the name before it (``…word``, ``…token``, ``…key``) and gives up there;
nothing is done in Python until one of those endings stands right before a separator. Measured on 2 kB: about
2 µs for prose, about 18 µs for JSON dense with keys (~130 separators, each tried once). Linear on any text: a
value is refused by what it starts with, before its end is looked for (:func:`_value`), so a refused value is
never read to its end, and an accepted one is masked, the pairs inside it not read again.
"""

from __future__ import annotations

import re
from typing import Final

from ._code_values import annotated_default, is_template, no_value_at
from ._matchers import ampersand_end, value_end
from ._secret_names import PROSE_WORDS, TRIPLE_ENDINGS, WORDS_RE, either_case, is_secret_key, secret_endings
from ._shell_assignments import sets_environment
from ._yaml_blocks import block_after

__all__ = ["mask_named_values", "mask_setter_values", "value_after"]


_ENDINGS: Final = either_case([w[::-1] for w in secret_endings()])
"""A secret word's end, read backwards (``drow`` for ``…word``), as branches."""
_ENDING: Final = "(?:" + "|".join(_ENDINGS) + ")"
_WORD_ENDINGS: Final = either_case([w[::-1] for w in secret_endings() if w not in TRIPLE_ENDINGS])
_TRIPLE_ENDINGS: Final = either_case([w[::-1] for w in TRIPLE_ENDINGS])
"""A three-word ending's last two words, read backwards (``atad-yek``): looked for apart from the others (see
:data:`_TRIPLE_HINT`)."""


def _numbered(branches: list[str]) -> str:
    """Branches for a name that ends right before the separator, its secret word maybe numbered (``token_2``)."""
    return "|".join([*branches, rf"[0-9][0-9_.vV\-]{{0,7}}(?:{'|'.join(branches)})"])


def _finder(separator: str, ending: str) -> re.Pattern[str]:
    """Over the reversed text: ``separator``, what may stand between it and the name (a closing quote, maybe
    escaped; spaces or markdown's ``**``; before ``=``, a subscript's closing ``"]``), and the name's end
    (``ending``). The separator is a literal, which the engine searches for in C; at each one, a single class of the
    letters a secret word can end with (and digits) rules out most names before any branch of the secret words is
    entered (a JSON text's every ``"name":`` comes this far)."""
    branches = [rf"[\"']\\?{ending}", ending, rf"[ \t*][ \t*\"'\\]{{0,3}}{ending}"]
    if separator == "=":
        branches.append(rf"[ \t]{{0,3}}\][\"']{ending}")
    return re.compile(re.escape(separator) + "(?:" + "|".join(branches) + ")")


_NAME: Final = re.compile(rf"[=:][ \t*\"'\\\]]{{0,5}}(?P<name>[0-9_.vV\-]{{0,8}}{_ENDING}[A-Za-z0-9_.\-]*)"
                          r"(?P<before> [A-Za-z]+)?")
"""At a separator the finder stopped at, over the reversed text: the whole name, and the word before it (``db``
of ``db password``, ``api`` of ``api key``)."""

_FIRSTS: Final = "".join(sorted({branch[1:3] for branch in _WORD_ENDINGS}))
_FINDERS: Final = tuple((sep, _finder(sep, f"(?=[{_FIRSTS}0-9])(?:{_numbered(_WORD_ENDINGS)})")) for sep in ("=", ":"))
_WITH_TRIPLES: Final = _FINDERS + tuple((sep, _finder(sep, f"(?:{_numbered(_TRIPLE_ENDINGS)})")) for sep in ("=", ":"))
_TRIPLE_HINT: Final = re.compile(r"ey(?:[-_][dD]|D)ata")
"""What a name ending with a three-word ending holds (``client-key-data``, ``client_key_data``, ``clientKeyData``):
text without it is not searched for one. Its literal ``ey`` is searched for in C, as a substring is (under a
microsecond for 2 kB), where the ending's ``a`` among the first letters of :data:`_FINDERS` would send every
``"data":`` into all the branches (5 µs more for 2 kB of JSON), and a branch of its own after them costs each
separator a try."""
_TRIPLE_HINT_UPPER: Final = "EY_DATA"
"""The same in capitals, as a variable holding it is named (``CLIENT_KEY_DATA=…``): looked for only in text holding an
``_`` (one character is found fastest), so prose pays one ``memchr`` for it."""

_GAP: Final = re.compile(r"(?![=:])>?\**[ \t]*")
"""After the separator: not ``==``, ``:=``, ``::`` (a comparison, a walrus, a scope); ``=>`` of a PHP or Ruby
hash; markdown's closing ``**``; spaces."""
_QUOTED: Final = {'\\"': re.compile(r'[^"\\\r\n]*'), '"': re.compile(r'(?:[^"\\\r\n]|\\.)*'),
                  "'": re.compile(r"[^'\r\n]*"), "`": re.compile(r"[^`\r\n]*")}
"""A value in escaped double (JSON inside a JSON string), double or single quotes or markdown's backticks, after
its opening quote: masked inside its quotes, or to the end of the line where the quote is never closed (a text
cut short)."""
_BARE: Final = re.compile(r"[^\s\"'`<>&;]+")
"""A value not quoted: a run up to a space, a quote, ``&`` (the next query parameter; one glued inside the value
is the value's: :data:`._matchers.GLUED_AMPERSAND`) or ``;`` (the next field of a connection string)."""
_HEADER: Final = re.compile(r"[^\r\n\"'`<>]+")
"""The value of a header whose value is a scheme and a credential (``Token …``) or a list (a cookie's
``a=1; b=2``): the rest of the line, to a quote that would close the text it sits in."""
_STRING_PREFIX: Final = re.compile(r"[rRbBfFuU]{1,2}(?=[\"'])")
_HEADER_WORDS: Final = frozenset({"authorization", "cookie", "cookies"})
_MARKER: Final = "[REDACTED"

_PROSE: Final = re.compile(r"[A-Za-z][a-z]*[ \t]+[A-Za-z][a-z]*\b")
"""Two plain words in a row: a sentence going on after ``Password:``, not a value."""
_DIGIT_AHEAD: Final = re.compile(r"[ \t]*[0-9]")
"""A value starting with a digit: the only one a name counting tokens may keep, so the only one for which it matters
whether a shell sets the name (:func:`._shell_assignments.sets_environment`)."""
_CODE_WORDS: Final = frozenset({"if", "elif", "while", "not", "lambda"})
"""Words before a name that make ``name:`` a line of code (``if token: return``), not a pair."""


def mask_named_values(text: str, marker: str) -> str:
    """``text`` with the value of every secret-named pair replaced by ``marker`` (see the module docstring)."""
    found: list[tuple[int, int, str, str]] = []  # (separator's index, name's end, name, word before it)
    reversed_text = ""
    size = len(text)
    triples = _TRIPLE_HINT.search(text) is not None or ("_" in text and _TRIPLE_HINT_UPPER in text)
    for separator, finder in _WITH_TRIPLES if triples else _FINDERS:
        if separator in text:
            reversed_text = reversed_text or text[::-1]
            for hit in finder.finditer(reversed_text):
                match = _NAME.match(reversed_text, hit.start())
                if match is not None:
                    before = match.group("before")
                    found.append((size - 1 - hit.start(), size - match.start("name"),
                                  text[size - match.end("name"):size - match.start("name")],
                                  before[:0:-1] if before else ""))
    if not found:
        return text
    found.sort()
    out: list[str] = []
    done = 0
    for at, name_end, name, before in found:
        if at < done or (text[at] == ":" and before in _CODE_WORDS) or not is_secret_key(
                f"{before} {name}" if before else name):
            continue
        between = text[name_end:at]
        opened = name_end - len(name) - (len(before) + 1 if before else 0) - 1
        if (opened >= 0 and text[opened] in "\"'`" and text[opened] not in between
                and text.startswith(text[opened], at + 1)):
            continue  # ``"token:"``, ``'password='``, ```token:```: the separator ends a quoted string
        if name.lower() in PROSE_WORDS and _prose_pass(text, at, between, opened, before, name):
            continue
        block = None if text[at] != ":" else block_after(
            text, at, opened if opened >= 0 and text[opened] in "\"'" else opened + 1)  # ``password: |`` and lines
        alone = (text[at] != "=" or name[-5:].lower() != "token" or _DIGIT_AHEAD.match(text, at + 1) is None
                 or not sets_environment(text, name_end - len(name), at))  # ``export TOKEN=4821``: no count
        value = (block[0], block[1], "") if block is not None else _value(
            text, at, name, quoted_name='"' in between and "]" not in between, alone=alone)
        if value is not None:
            start, end, quote = value
            out.append(text[done:start])
            out.append(f"{quote}{marker}{quote}")
            done = end
    if not out:
        return text
    out.append(text[done:])
    return "".join(out)


_PROSE_VALUE: Final = re.compile(
    r"(?:(?i:ok|okay|yes|no|true|false|none|null|n/a|done|passed|failed|pass|fail|skipped|skip|pending|green|red|all"
    r"|success|error|warning)|[0-9]{1,4}(?:[./][0-9]+)+%?|[0-9]{1,3}(?:\.[0-9]+)?%)[,.;:!?)\]]?(?:\s|\Z)")
"""A report's verdict word, ratio or share (``ok``, ``OK``, ``failed``, ``12/12``, ``98.5%``) that is the whole value
(a sign of punctuation at most, then a space or the end). Any other word or number may be a password (``Pass:
swordfish``, ``door pass: 4821``): a word of prose lost is cheaper than a password kept."""


def _prose_pass(text: str, at: int, between: str, opened: int, before: str, name: str) -> bool:
    """Whether a lone ``pass`` before the ``:`` at ``at`` is a report's, not a password's name (see the module
    docstring): the ``:`` spaced, neither name nor value quoted, and a verdict word, ratio or share as the whole
    value (``Pass: ok``, ``first pass: failed``, ``**Pass:** 12/12``)."""
    if text[at] != ":" or "'" in between or '"' in between or (opened >= 0 and text[opened] in "\"'`"):
        return False
    gap = _GAP.match(text, at + 1)
    if gap is None or gap.end() == at + 1 or text[gap.end():gap.end() + 1] in ("\"", "'", "`"):
        return False
    return _PROSE_VALUE.match(text, gap.end()) is not None


def _value(text: str, at: int, name: str, quoted_name: bool, alone: bool = True) -> tuple[int, int, str] | None:
    """Where the value after the separator at ``at`` lies, and the quote the marker needs (a bare number after a
    JSON key is masked as a string, so the JSON stays valid), or ``None`` when there is none to mask.

    Each reason to refuse a value is read at its start, before its end is looked for: a value refused after a
    scan to its end (to the end of a line with no space, in a minified script) made the text's every refused
    pair read the rest of it again. An accepted value is masked, and the pairs inside it are not read again."""
    gap = _GAP.match(text, at + 1)
    if gap is None:
        return None
    start = gap.end()
    if text[at] == ":" and text[start:start + 1] in ("!", "&"):
        properties = _YAML_PROPERTIES.match(text, start)  # ``password: !!binary aHVu…``, ``password: &pw hunter2``
        if properties is not None:
            start = properties.end()
    spaced = text[at] == ":" or (text[at - 1:at] in (" ", "\t") and text[at + 1:at + 2] in (" ", "\t"))
    return value_after(text, at, start, name, quoted_name, spaced, alone)


_YAML_PROPERTIES: Final = re.compile(r"(?:[!&][^\s,\[\]{}]*[ \t]+){1,2}(?=[^\s#|>])")
"""A YAML value's node properties (``!!binary``, ``!vault``, ``&pw``), one or two of them (a tag and an anchor),
before the value on the same line: the value after them is the secret (the tag is a type's name; when nothing follows
on the line, the tag is read as the value, as before)."""


def value_after(text: str, at: int, start: int, name: str, quoted_name: bool, spaced: bool,
                alone: bool = True) -> tuple[int, int, str] | None:
    """The value starting at ``start``, after ``name`` and what separates them (ending at ``at``), as for
    :func:`_value`: a quoted one inside its quotes, a bare one to its end; ``None`` where none is held (code,
    a template, a count, two plain words when ``spaced``: a sentence; ``alone``: whether ``token`` alone may count).
    Shared with the readers of other ways to write a name and its value (a command line's flags)."""
    prefix = _STRING_PREFIX.match(text, start)  # f"…", b'…', r"…"
    start = start if prefix is None else prefix.end()
    opening = "\\\"" if text.startswith("\\\"", start) else text[start:start + 1]
    scan = _QUOTED.get(opening)
    if scan is not None:
        start += len(opening)
        if text.startswith(_MARKER, start) or is_template(text, start, opening):
            return None
        inside = scan.match(text, start)
        return None if inside is None or inside.end() == start else (start, inside.end(), "")
    if not text[start:start + 1].strip():
        return None
    default = annotated_default(text, start, text[at])
    if default is not None:  # ``api_key: str = "…"``: the value is the default's
        return _value(text, default, name, quoted_name, alone)
    words = WORDS_RE.findall(name)
    header = bool(words) and words[-1].lower() in _HEADER_WORDS
    if no_value_at(text, at, start, name, header, alone):
        return None
    if spaced and _PROSE.match(text, start) is not None:
        return None
    run = (_HEADER if header else _BARE).match(text, start)
    if run is None:
        return None
    bare = run.group().rstrip() if header else text[start:ampersand_end(text, run.end())]
    bare = bare[:value_end(bare)]  # not the text the value sits in: a sentence's full stop, a link's ``)``
    return start, start + len(bare), '"' if quoted_name else ""


_SETTER: Final = re.compile(r"(?:setdefault|putenv|[sS]etenv)\([ \t]*(?P<quote>[\"'])(?P<name>[A-Za-z_][\w.\-]{0,63})"
                            r"(?P=quote)[ \t]*,[ \t]*")
"""A call setting a variable by its name and value: ``os.environ.setdefault``, ``os.putenv``, ``monkeypatch.setenv``,
Go's ``os.Setenv``; the name quoted as the first argument, the value after the comma."""
SETTER_HINT: Final = ("env(", "setdefault(")
"""Text holding none of these holds no such call."""


def mask_setter_values(text: str, marker: str) -> str:
    """``text`` with the value each call of :data:`_SETTER` gives a secret-named variable replaced by ``marker``, as a
    pair's value would be (a variable passed on, a call, a template are kept)."""
    out: list[str] = []
    done = 0
    for call in _SETTER.finditer(text):
        name = call.group("name")
        if call.start() < done or not is_secret_key(name):
            continue
        comma = text.rindex(",", call.start(), call.end())
        value = value_after(text, comma, call.end(), name, quoted_name=False, spaced=False)
        if value is not None:
            start, end, quote = value
            out.append(text[done:start])
            out.append(f"{quote}{marker}{quote}")
            done = end
    if not out:
        return text
    out.append(text[done:])
    return "".join(out)
