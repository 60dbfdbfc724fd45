"""``user:password@host`` written without a scheme, where what holds it says it is credentials: the value of a proxy
setting (``HTTPS_PROXY=bob:X@proxy:3128``, ``"all_proxy": "…"``, ``proxy: …``, ``--proxy …``, ``http.proxy …``: a
name whose last word is ``proxy``) and a Go MySQL DSN (``root:X@tcp(db:3306)/app``, ``@unix(/run/mysqld.sock)``).

A URL's userinfo is a credential shape of its own (:mod:`._redact`), the scheme saying what follows. Without one,
``a:b@c`` is as often a mail search's ``from:alice2@gmail.com``, an Erlang node, a matrix product (``W[:, 0:H]@x``) or
a log's object id: read everywhere, it masked a third of ordinary texts. So it is read only after a proxy's name (pip,
curl and the ``*_proxy`` variables take ``[user:password@]host:port``) and before the ``@tcp(`` or ``@unix(`` that only
a DSN holds; an scp or rsync remote is read in its command (:mod:`._command_arguments`). The user and the host are
kept; a password that stands for one (a variable, a template, the marker) is kept too, and so is an image pinned by its
digest after a proxy's name (``proxy: nginx:1.25@sha256:0123``: no host follows its ``@``). A DSN given as a field
after one holding a ``:`` (``url=http://x:8080/a,dsn=root:X@tcp(``) is read from the field's start.

Linear: each proxy's name reads the one word after it, and the search goes on past that word; each DSN reads back at
most :data:`_DSN_BACK` characters, never before the previous one (its fields in that stretch too).
"""

from __future__ import annotations

import re
from typing import Final

from ._code_values import stands_for_value
from ._matchers import masked_spans

__all__ = ["PROXY_KEYS", "holds_userinfo", "mask_userinfo", "masked_under", "proxy_password", "userinfo_secrets"]

_PROXY_NAME: Final = re.compile(r"(?:(?<![A-Za-z0-9])(?:proxy|PROXY|Proxy)|(?<=[a-z])Proxy)(?![A-Za-z0-9])"
                                r"(?:[\"']?[ \t]*[=:][ \t]*|(?<=[-.]proxy)[ \t]+)[\"']?")
"""A name whose last word is ``proxy`` (``HTTPS_PROXY``, ``https_proxy``, ``httpsProxy``, ``--proxy``, ``http.proxy``),
then ``=`` or ``:`` (maybe after a key's closing quote), or spaces after a flag's or a config key's (``--proxy X``,
``git config http.proxy X``; ``the proxy X`` of a sentence is not read), and an opening quote."""
_VALUE: Final = re.compile(r"[^\s\"'`]*")
_USER: Final = re.compile(r"[^\s:@/\"'`]{1,64}:")
_HOST: Final = re.compile(r"(?:[A-Za-z0-9_\-]+(?:\.[A-Za-z0-9_\-]+)*|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?/?"
                          r"(?:[).,]|[;&|][\s\S]*)?\Z")
"""A proxy's host after the ``@``, maybe with its port: the whole rest of the value (a sentence's stop after it, or
the next command or setting glued on: ``…:3128&&curl x``, ``…:3128;NO_PROXY=…``)."""
_DIGEST: Final = re.compile(r"(?:sha256|sha384|sha512|blake3):[0-9a-f]")
"""A container image's digest after its ``name:tag@`` (``nginx:1.25@sha256:0123…``; a short one reads as a host and a
port): no host, so no user and password before it."""
_DSN_ANCHOR: Final = re.compile(r"@(?:tcp6?|udp|unix)\(")
"""Where a Go MySQL DSN's address starts: its network and ``(``, right after ``user:password@``."""
_DSN_BACK: Final = 320
"""How far back from ``@tcp(`` a DSN's ``user:password`` is looked for: more than any real one."""
_DSN_START: Final = " \t\r\n\"'`"
_FIELD: Final = re.compile(r"[,;&](?P<field>[^\s,;&:@/]*):")
"""A field of a list, a connection string or a query up to its first ``:`` (``,dsn=root:``): where a DSN's user
starts when the text before it holds another ``:`` (``url=http://x:8080/a,dsn=root:X@tcp(``: the DSN is the field
after the URL's)."""
_DSN_STOPS: Final = ")/,"
"""What a DSN's password is not read across when it is read from the previous DSN's ``@tcp(``: the ``)`` and ``/``
ending that DSN's address and starting its path, the ``,`` between two (``…@tcp(db:3306)/app,dsn2=root:Y@tcp(…``:
``root:Y`` is read after the last of them). A lone DSN's password holding one (``root:a/b,c@tcp(``) is read whole."""
_MARKER: Final = "[REDACTED"


def holds_userinfo(text: str) -> bool:
    """Whether ``text`` (holding an ``@``) may hold a proxy's or a DSN's password."""
    return "roxy" in text or "ROXY" in text or "@tcp" in text or "@u" in text


def mask_userinfo(text: str, marker: str) -> str:
    """``text`` with the password of each proxy setting's and each Go MySQL DSN's ``user:password@`` replaced by
    ``marker`` (see the module docstring)."""
    return masked_spans(text, userinfo_secrets(text), marker)


def userinfo_secrets(text: str) -> list[tuple[int, int]]:
    """Where each password :func:`mask_userinfo` masks lies, in order."""
    found = _proxy_passwords(text) + _dsn_passwords(text)
    found.sort()
    return found


def _proxy_passwords(text: str) -> list[tuple[int, int]]:
    """Where the password of each proxy setting's ``user:password@host`` value lies."""
    found: list[tuple[int, int]] = []
    if "roxy" not in text and "ROXY" not in text:
        return found
    at = 0
    while (name := _PROXY_NAME.search(text, at)) is not None:
        value = _VALUE.match(text, name.end())
        assert value is not None  # the pattern matches the empty string
        at = max(value.end(), name.end() + 1)  # the word is read once: a name inside it is not read again
        password = _password(text, value.start(), value.end())
        if password is not None:
            found.append(password)
    return found


def _password(text: str, start: int, end: int) -> tuple[int, int] | None:
    """Where the password of the proxy's ``user:password@host`` from ``start`` to ``end`` lies, if it holds one."""
    user = _USER.match(text, start, end)
    if user is None:
        return None
    start = user.end()
    last = text.rfind("@", start, end)  # the password may hold an @: the host follows the last
    if (last > start and _HOST.match(text, last + 1, end) is not None and _DIGEST.match(text, last + 1, end) is None
            and _secret(text[start:last])):
        return start, last
    return None


PROXY_KEYS: Final = ("proxy", "PROXY", "Proxy")
"""How a key naming a proxy ends: hot paths test the value's ``@`` and ``name.endswith(PROXY_KEYS)`` before calling
:func:`masked_under`."""


def masked_under(name: str, value: str, marker: str) -> str:
    """``value`` as recorded under the key or argument ``name``: with its password masked when ``name`` names a proxy
    (``HTTPS_PROXY``, ``proxy``, ``httpsProxy``) and ``value`` is ``user:password@host``, else as it is. The value
    alone names nothing (``bob:X@proxy:3128``), so the rule of text cannot see it: the walks of mappings and
    arguments ask here (:data:`PROXY_KEYS`)."""
    password = proxy_password(name, value)
    return value if password is None else value[:password[0]] + marker + value[password[1]:]


def proxy_password(name: str, value: str) -> tuple[int, int] | None:
    """Where the password of ``value`` lies when :func:`masked_under` masks it: an argument list's item after
    ``--proxy`` (``["pip", "--proxy", "bob:X@proxy:3128"]``) is judged by the item before it, as a key's value is."""
    if not name.endswith(PROXY_KEYS) or "@" not in value:
        return None
    return _password(value, 0, len(value))


def _dsn_passwords(text: str) -> list[tuple[int, int]]:
    """Where the password of each Go MySQL DSN's ``user:password@tcp(`` lies."""
    found: list[tuple[int, int]] = []
    floor = 0  # where the previous DSN's anchor ended: none is read back past it
    for anchor in _DSN_ANCHOR.finditer(text):
        at, back = anchor.start(), max(floor, anchor.start() - _DSN_BACK)
        previous, floor = floor, anchor.end()
        start = max(back, *(text.rfind(c, back, at) + 1 for c in _DSN_START))
        colon = text.find(":", start, at)
        if colon < 0:
            continue
        cut = -1 if not previous or start != previous else max(text.rfind(c, colon + 1, at) for c in _DSN_STOPS)
        if cut >= 0:  # read from the previous DSN's @tcp( over its address and path: the user:password after them
            start, colon = cut + 1, text.find(":", cut + 1, at)
            if colon < 0:  # none: the DSN has no password
                continue
        user = text[start:colon]
        user = user[user.rfind("=") + 1:]  # dsn=root:…
        if user and "@" not in user and "/" not in user and _secret(text[colon + 1:at]):
            found.append((colon + 1, at))
            continue
        for field in _FIELD.finditer(text, colon + 1, at):  # that colon another field's: the DSN is a later field
            user = field.group("field")
            if user[user.rfind("=") + 1:] and _secret(text[field.end():at]):
                found.append((field.end(), at))
                break
    return found


def _secret(password: str) -> bool:
    """Whether ``password`` is one, not what stands for one (a variable, a template, the marker), a URL's rest
    (``//user:…``: masked as a URL's userinfo) or nothing."""
    return (bool(password.strip()) and password[:1] != "/" and _MARKER not in password
            and not stands_for_value(password, ""))
