"""What is masked before content reaches a span, and the user's own redaction hook.

Traces leave the process (a collector, a vendor, a file in the repository), so a secret that reaches
an attribute has leaked. Two rules run on every recorded content value, always:

* **By key name.** A mapping key (or a tool argument name) is a secret when, split into words at
  ``_``, ``-``, ``.``, spaces and camelCase humps, its *last* word is one of :data:`SECRET_WORDS`, or
  its last two (three) words are one of :data:`SECRET_WORD_PAIRS` (``SECRET_WORD_TRIPLES``: a kubeconfig's
  ``client-key-data``); a trailing number or version is no word
  (``password1``, ``token_2``, ``api_key_v2``). So ``api_key``, ``X-Api-Key``,
  ``accessToken``, ``client_secret``, ``DB_PASSWORD``, ``Set-Cookie`` are masked, while ``token_count``,
  ``max_tokens``, ``secret_name``, ``sort_key`` and ``key`` are not: a word that only *describes* a
  secret (a count, a name, a sort key) is not one. The whole value under such a key becomes
  :data:`REDACTED`.
* **By value shape.** Any recorded string is scanned for credentials with a recognisable shape
  (:data:`SECRET_PATTERNS`: OpenAI / Anthropic ``sk-…`` keys, ``Bearer …`` / ``Basic …`` headers, AWS, GitHub,
  Slack, Google and Hugging Face tokens, JWTs, the credentials in ``scheme://user:password@host`` and
  ``scheme://TOKEN@host``, PEM private keys, the values of secret-named or signature query parameters), and for the
  key rule written out in text: the value of a secret-named ``name=value`` or ``name: value`` pair anywhere in it
  (:mod:`._named_values`: ``login failed: password=… for bob``, ``Authorization: …``, the YAML block below
  ``client-key-data: |`` by :mod:`._yaml_blocks`, ``os.environ["API_TOKEN"] = …``, ``os.putenv("API_TOKEN", …)``),
  and on a command line a secret-named flag's next word and ``-u user:password`` (:mod:`._command_line_values`) and
  the arguments a program takes as secrets (:mod:`._command_arguments`: ``htpasswd -b f user X``, ``aws configure
  set aws_secret_access_key X``, ``scp f bob:X@host:/tmp``, ``setenv API_KEY X``), also in a command written as a
  list (:mod:`._argument_lists`: ``["htpasswd", "-b", "f", "user", "X"]``), the password of ``user:password@host``
  where no scheme says so but a proxy's name or a Go DSN's ``@tcp(`` does (:mod:`._userinfo_values`), and the text
  of a secret-named XML or HTML element or the ``value`` attribute under a secret-named ``key``
  (:mod:`._element_values`: ``<password>…</password>``, ``<add key="ApiKey" value="…"/>``); commands, lists and
  proxies quoted in JSON inside a JSON string are read with their escaped quotes undone (:mod:`._escaped_text`:
  ``{"cmd": "htpasswd -b f user \\"X\\""}``); only the matching run of characters is replaced, so the rest of the
  text stays readable.

Exceptions recorded on our spans (a provider's error that echoes the key it was given) get the same masking in
the exception event and status, cut to the value bound first (:mod:`._error_text`); the exception object itself
is never touched.

The user's hook (``init(redact=fn)``) runs after these rules, once per recorded value, with the
attribute name and a plain JSON-ready copy (dicts, lists, strings, numbers) that it may change or
replace; whatever it returns is recorded. A hook that raises records :data:`REDACTION_FAILED` instead
of the value: failing closed is the only safe choice for a redaction step. With no hook the cost is
one ``is None`` test per value.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable
from typing import Any, Final

from ._argument_lists import holds_argument_list, mask_argument_lists
from ._code_values import stands_for_value
from ._command_arguments import holds_argument_secrets
from ._command_line_values import mask_command_lines
from ._element_values import HOLDS_VALUE, mask_attributes, mask_elements
from ._escaped_text import mask_escaped
from ._guard import report
from ._matchers import (
    ENCODED_PEM_BEGIN,
    ENCODED_PEM_PATTERN,
    GLUED_AMPERSAND,
    EncodedPemMatcher,
    JwtMatcher,
    PemMatcher,
    QueryMatcher,
    Substitutes,
)
from ._named_values import SETTER_HINT, mask_named_values, mask_setter_values
from ._secret_names import SECRET_WORD_PAIRS, SECRET_WORDS, WORDS_RE, is_secret_key, secret_key_memo
from ._userinfo_values import holds_userinfo, mask_userinfo

__all__ = [
    "REDACTED",
    "REDACTION_FAILED",
    "SECRET_PATTERNS",
    "SECRET_WORDS",
    "SECRET_WORD_PAIRS",
    "Hook",
    "apply_hook",
    "cut_at",
    "is_secret_key",
    "mask_shapes",
    "mask_text",
    "secret_key_memo",
    "set_hook",
]

Hook = Callable[[str, Any], Any]
"""``hook(attribute, value) -> value``: ``attribute`` is the span attribute about to be written."""

REDACTED: Final = "[REDACTED]"
"""What a masked value (or the masked run of a string) is replaced by."""
REDACTION_FAILED: Final = "[REDACTION HOOK FAILED: value not recorded]"
"""Recorded instead of a value when the user's hook raised on it."""


_GLUED: Final = r"(?<![A-Za-z0-9])"
"""Where a prefixed token may start: after anything but a letter or digit, so one glued to a name by an
underscore (``OPENAI_KEY_sk-…``) is masked too (``\\b`` counts ``_`` as part of a word)."""

_TOKEN: Final = r"A-Za-z0-9._~+/=\-"
"""The characters of a ``Bearer`` token (RFC 6750)."""
_BASE64: Final = "A-Za-z0-9+/"


_JWT_PATTERN: Final = _GLUED + r"eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}"
"""A JSON Web Token: header and payload (both base64url JSON, so ``eyJ…``) and a signature. Matched by
:class:`~._matchers.JwtMatcher`, not by this regex: run by ``re``, every ``eyJ`` of a long run of token characters
(``_eyJ_eyJ…``, no dot) is a start that scans to the run's end, so a 100 kB exception message took
seconds to mask."""


_QUERY_PARAMETER: Final = (r"(?:[?&]|(?P<semi>;))(?P<name>[A-Za-z0-9_.\-]+)=(?P<value>[^&#;\s\"'<>]+"
                           r"(?(semi)(?:" + GLUED_AMPERSAND + r"[^&#;\s\"'<>]+)*))")
"""A URL query parameter (or a form field): its value is masked when its name is secret-named
(``access_token``, ``client_secret``, ``X-Amz-Security-Token``) or names a signature (``X-Amz-Signature``,
Azure's ``sig``): a presigned URL is a credential. A form body's first field, which no ``&`` precedes
(``client_secret=…&grant_type=…``), is :data:`_FORM_HEAD`. After ``;`` (a connection string's field) an ``&`` glued
inside the value is the value's (:data:`~._matchers.GLUED_AMPERSAND`: ``…;Password=Tr0ub4dor&3``); after ``?`` or
``&`` it starts the next field. A ``;`` ends the value: it starts a connection string's next field
(``;Password=…;Database=shop`` keeps ``Database``), as it may a query's (a password holding one is quoted there,
and a URL writes it ``%3B``). Matched by :class:`~._matchers.QueryMatcher`."""
_FORM_HEAD: Final = (r"\A(?P<name>[A-Za-z0-9_.\-]+)=(?P<value>[^&#\s\"'<>][^&\s\"'<>]*(?:" + GLUED_AMPERSAND
                     + r"[^&\s\"'<>]+)*)")
"""A field at the very start of the text, the one place a parameter needs no ``?&;`` before it: matched
there only, apart from the scan, so text holding none of ``?&;`` costs one anchored match more. No URL's
fragment follows it, and a form body's ``#`` is written ``%23``: a ``#`` inside the value is the value's
(``DB_PASSWORD=xK9#mQ2`` of an ``.env`` line), one after a space a comment; so is an ``&`` glued inside it that
starts no next field (``DB_PASSWORD=Tr0ub4dor&3``; ``client_secret=…&grant_type=…`` keeps its second field)."""
_SIGNATURE_WORDS: Final = frozenset({"signature", "sig"})
_PEM_PATTERN: Final = (r"(?s)(-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----)(.*?)"
                       r"(-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|\Z)")
"""A PEM (or PGP) private key: its body is masked, its armour lines kept to say what was there. Matched by
:class:`~._matchers.PemMatcher`, which masks a block cut before its end line only to a blank line or the quote
closing its string, and nothing after a BEGIN line mentioned in a sentence (this regex masks at least as much)."""
_USERINFO: Final = r"(?<=://)(?:[^\s:/@]*:[^\s/]+|(?![a-z][a-z._\-]{0,31}@)[^\s:/@]+)(?=@)"
"""The credentials in a URL: ``user:password`` (the user may be empty, ``redis://:password@host``; the
password runs to the last ``@`` before the host, as a URL parser reads it, so one holding an ``@`` is masked
whole), or a lone user that is no plain name (``https://TOKEN@github.com``; ``ssh://git@host`` is kept)."""


def _not_a_word(charset: str) -> str:
    """After ``Basic`` / ``Bearer``: not a plain word (``basic principles``, ``Basic Authentication``), one
    whose next character (past a full stop) can't continue a credential of ``charset``. A real credential
    is random, so it has digits or mixed case: prose after these words stays readable."""
    end = f"\\.?(?![{charset}])"
    return f"(?![A-Z]?[a-z]+{end}|[A-Z]+{end})"


SECRET_PATTERNS: Final = (
    (("sk-",), _GLUED + r"sk-(?:ant-|proj-|svcacct-)?[A-Za-z0-9_\-]{16,}"),
    (("earer", "EARER"), r"\b[Bb][Ee][Aa][Rr][Ee][Rr]\s+" + _not_a_word(_TOKEN) + f"[{_TOKEN}]{{8,}}"),
    (("asic", "ASIC"), r"\b[Bb][Aa][Ss][Ii][Cc]\s+" + _not_a_word(_BASE64 + "=") + f"[{_BASE64}]{{8,}}={{0,2}}"),
    (("AKIA", "ASIA"), _GLUED + r"(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    (("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"), _GLUED + r"(?:gh[pousr]_|github_pat_)[A-Za-z0-9_]{30,}"),
    (("xoxa-", "xoxb-", "xoxp-", "xoxr-", "xoxs-"), _GLUED + r"xox[abprs]-[A-Za-z0-9\-]{10,}"),
    (("AIza",), _GLUED + r"AIza[0-9A-Za-z_\-]{35}"),
    (("hf_",), _GLUED + r"hf_[A-Za-z0-9]{30,}"),
    (("eyJ",), _JWT_PATTERN),
    (("://",), _USERINFO),
    (("PRIVATE KEY",), _PEM_PATTERN),
    ((ENCODED_PEM_BEGIN,), ENCODED_PEM_PATTERN),
    (("=",), _QUERY_PARAMETER),
)
"""Shapes of credentials masked wherever they appear in a recorded string, each with the literal
substrings one of which must be present for it to match (a plain ``in`` test, much cheaper than the
regex: most text contains none of them). Secret-named ``name=value`` / ``name: value`` pairs are masked
after these (:mod:`._named_values`)."""

SHORTEST_SECRET: Final = 8
"""Shorter text is not scanned: no credential shape is shorter (``a://b:c@``), and a pair that short
(``pwd=abc``) holds no value worth hiding."""
_GATES: Final = "-_:A="
"""Characters that every anchor of several patterns contains: one ``in`` test for a single character
(a ``memchr``) rules out the whole group, so plain prose is scanned about half as many times."""


def _grouped() -> tuple[tuple[str, tuple[tuple[tuple[str, ...], Substitutes], ...]], ...]:
    """The patterns grouped by the first gate character all their anchors contain ("" for none)."""
    groups: dict[str, list[tuple[tuple[str, ...], Substitutes]]] = {}
    for anchors, pattern in SECRET_PATTERNS:
        gate = next((g for g in _GATES if all(g in a for a in anchors)), "")
        query = pattern == _QUERY_PARAMETER
        matcher: Substitutes = (JwtMatcher() if pattern == _JWT_PATTERN
                                else QueryMatcher(pattern, _secret_parameter, "?&;", head=_FORM_HEAD) if query
                                else PemMatcher() if pattern == _PEM_PATTERN
                                else EncodedPemMatcher() if pattern == ENCODED_PEM_PATTERN
                                else re.compile(pattern))
        groups.setdefault(gate, []).append((anchors, matcher))
    return tuple((gate, tuple(members)) for gate, members in groups.items())


def _secret_parameter(name: str, value: str) -> bool:
    """A parameter is masked by its name, unless its value stands for one (``?token={token}``, ``auth=True``). A
    ``token`` of digits is one too (a reset link's, a one-time code): a count of tokens in a URL or a form is
    named for what it bounds (``max_tokens=512``), where a config's ``token: 512`` may count."""
    words = WORDS_RE.findall(name)
    if not (is_secret_key(name) or (bool(words) and words[-1].lower() in _SIGNATURE_WORDS)):
        return False
    if value.isascii() and value.isdigit() and name.lower() == "token":
        return True
    return not stands_for_value(value, name)


_PATTERN_GROUPS: Final = _grouped()
_ALL_PROBES: Final = tuple(probe for gate, patterns in _PATTERN_GROUPS
                           for probe in ((gate,) if gate else (a for anchors, _ in patterns for a in anchors)))
_PROBES: Final = tuple(p for p in _ALL_PROBES if not any(o != p and o in p for o in _ALL_PROBES))
"""Each group's gate character, and the anchors of the group without one, in one flat tuple: a text holding
none of them has nothing :func:`_shapes` masks (a single character is found fastest). A probe holding another
(``EARER`` and ``ASIC`` hold the gate ``A``) is left out: a text holding it holds the other, so the answer is the same
and plain prose, which holds none, is searched two times fewer."""
installed_hook: Hook | None = None
"""The user's hook, or ``None``: read as ``_redact.installed_hook is not None`` on the per-call path
(one attribute read rather than a call to :func:`hook_installed`)."""


def set_hook(hook: Hook | None) -> None:
    """Install (or, with ``None``, remove) the user's redaction hook; ``init(redact=...)`` calls it."""
    global installed_hook
    if hook is not None and not callable(hook):
        raise TypeError(f"redact= must be a callable (attribute, value) -> value, got {type(hook).__name__}")
    installed_hook = hook


def hook_installed() -> bool:
    return installed_hook is not None


_SHORT_TEXT: Final = 64
"""Texts up to this long that hold nothing to mask are remembered (:data:`_short_clean`)."""
_SHORT_CLEAN_MAX: Final = 2048
_short_clean: set[str] = set()
"""Short plain strings :func:`mask_text` found nothing in: tool-call argument names and short values recur on
every call, and each scan tests every anchor (a few hundred bytecodes for an 11-character name). A text
that had something masked is not kept, so no credential stays in memory here."""


def mask_text(text: str) -> str:
    """``text`` with every credential-shaped run replaced by :data:`REDACTED`."""
    size = len(text)
    if size < SHORTEST_SECRET:
        return text
    if size <= _SHORT_TEXT and type(text) is str:
        if text in _short_clean:
            return text
        masked = _scan(text)
        if masked is text:  # only texts holding nothing to mask are kept: never a credential
            if len(_short_clean) >= _SHORT_CLEAN_MAX:
                _short_clean.clear()
            _short_clean.add(text)
        return masked
    return _scan(text)


def mask_shapes(text: str) -> str:
    """``text`` with every credential-shaped run replaced by :data:`REDACTED` (:data:`SECRET_PATTERNS`), and no
    secret-named pair read: what a cassette hands back to a replayed agent (a model's answer, a tool's result),
    which must be what it was recorded as, code's ``password=None`` and ``token: str`` included."""
    return text if len(text) < SHORTEST_SECRET else _shapes(text)


def _scan(text: str) -> str:
    """The scan itself: the shapes, then secret-named elements, pairs, the secrets of command lines and the passwords
    of proxies and DSNs; each asked only when the text holds a character (or, for config commands, logins and csh's
    ``setenv``, a word) it needs."""
    text = _shapes(text)
    if "<" in text:  # one character is found fastest: most text holds no tag
        if "</" in text or "<![CDATA[" in text:
            # before the pairs: an element's text masked whole reads the same when met again
            text = mask_elements(text, REDACTED)
        if HOLDS_VALUE.search(text) is not None:
            text = mask_attributes(text, REDACTED)
    if ":" in text or "=" in text:
        text = mask_named_values(text, REDACTED)
    if "(" in text and (SETTER_HINT[0] in text or SETTER_HINT[1] in text):  # one character is found fastest
        text = mask_setter_values(text, REDACTED)
    if '"' in text and "\\" in text and '\\"' in text:  # JSON in a JSON string: commands, proxies read unescaped
        return mask_escaped(text, REDACTED)
    if ("-" in text or "config" in text or "login" in text or "setenv" in text
            or ("@" in text and holds_argument_secrets(text))):
        text = mask_command_lines(text, REDACTED)
        if "[" in text and ('"' in text or "'" in text) and holds_argument_list(text):
            text = mask_argument_lists(text, REDACTED)  # a command written as a list: what a flag or program needs
    if "@" in text and holds_userinfo(text):
        text = mask_userinfo(text, REDACTED)
    return text


def _shapes(text: str) -> str:
    """Each group of patterns whose gate character the text holds, each pattern whose anchor it holds.

    Most texts (a model's answer, a tool's result) hold no anchor at all: one flat pass over the probes says
    so first (:data:`_PROBES`). It reads a few cache lines where the groups' nested tuples read several dozen,
    and on the per-call path this runs with cold caches (the SDK's HTTP work in between evicts them)."""
    for probe in _PROBES:
        if probe in text:
            break
    else:
        return text
    for gate, patterns in _PATTERN_GROUPS:
        if gate and gate not in text:
            continue
        for anchors, pattern in patterns:
            for anchor in anchors:
                if anchor in text:
                    text = pattern.sub(REDACTED, text)
                    break
    return text


_RUN_CHARS: Final = string.ascii_letters + string.digits + "._~+/=-"
"""The widest alphabet of a token-shaped credential (a ``Bearer`` token's, :data:`_TOKEN`): every other
shape's characters are among these."""
_RUN_ANCHORS: Final = tuple(a for anchors, p in SECRET_PATTERNS if p.startswith(_GLUED) for a in anchors)
"""How each token-shaped credential starts (``sk-``, ``AKIA``, ``eyJ``…)."""
_SCHEME_BEFORE: Final = re.compile(r"(?:bearer|basic)\s+\Z", re.IGNORECASE)
_AUTHORITY_END: Final = re.compile(r"[\s/]")
_USERINFO_AHEAD: Final = 256
_TO_AT: Final = re.compile(rf"[^\s/@]{{0,{_USERINFO_AHEAD}}}")


def cut_at(text: str, limit: int) -> int:
    """Where to cut ``text`` (longer than ``limit``) so that no credential is split: ``limit``, or the start
    of a credential the cut at ``limit`` would fall inside.

    Masking the kept part is not enough: what is left of a split key may be too short for its pattern
    (``sk-`` and 5 characters, ``Bearer`` and 7), and a JWT or a URL's ``user:password`` is recognised
    only whole. So a cut inside a run of token characters moves back to the start of a token-shaped
    credential (an anchor such as ``sk-`` or ``eyJ`` not glued to a word) in that run, or to the word
    ``Bearer``/``Basic`` before the run; a cut inside a URL's authority with an ``@`` still to come moves
    back to just after ``://``. Conservative by design: an anchor in the run moves the cut even when
    what follows would not have matched. Reads at most the kept text and a few hundred characters
    past the cut, so the cost stays bounded by the limit. A moved cut can land inside another
    credential (``sk-…Bearer`` reads as one key), so it is checked again, a few times at most; past
    them the whole text is dropped, which no real text reaches.
    """
    if limit <= 0 or len(text) <= limit:
        return max(limit, 0)
    for _ in range(_MAX_MOVES):
        cut = _cut_once(text, limit)
        if cut == limit:
            return cut
        limit = cut
    return 0


_MAX_MOVES: Final = 8


def _cut_once(text: str, limit: int) -> int:
    """:func:`cut_at`'s one step: where a credential split at ``limit`` starts (``limit`` when none)."""
    if limit <= 0:
        return 0
    cut = limit
    after = text[limit]
    if after in _RUN_CHARS and text[limit - 1] in _RUN_CHARS:
        start = len(text[:limit].rstrip(_RUN_CHARS))  # where the run cut at ``limit`` begins
        for anchor in _RUN_ANCHORS:
            at = text.find(anchor, start, cut)
            while at > 0 and text[at - 1].isascii() and text[at - 1].isalnum():  # glued: not a start
                at = text.find(anchor, at + 1, cut)
            if at >= 0:
                cut = at
        word = _SCHEME_BEFORE.search(text, max(0, start - 32), start)
        if word is not None:  # the masked run starts at the word, as when the whole text is masked
            cut = min(cut, word.start())
    if after != "/" and not after.isspace():
        scheme = text.rfind("://", 0, limit)
        if scheme >= 0 and scheme + 3 < cut and not _AUTHORITY_END.search(text, scheme + 3, limit):
            ahead = _TO_AT.match(text, limit)
            end = ahead.end() if ahead is not None else limit
            if text.startswith("@", end) or end - limit >= _USERINFO_AHEAD:
                cut = scheme + 3
    return cut


def apply_hook(attribute: str, value: Any) -> Any:
    """The user's hook on one recorded value (identity without a hook); fails closed."""
    hook = installed_hook
    if hook is None:
        return value
    try:
        return hook(attribute, value)
    except Exception as exc:
        report("redact.hook", exc)
        return REDACTION_FAILED
