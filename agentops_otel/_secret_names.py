"""Which names hold a secret: the key rule of :mod:`._redact` (see its docstring), shared by the walk of dicts
and by the reading of ``name=value`` pairs in text (:mod:`._named_values`)."""

from __future__ import annotations

import re
from typing import Final

__all__ = [
    "PROSE_WORDS", "SECRET_WORDS", "SECRET_WORD_PAIRS", "SECRET_WORD_TRIPLES", "TRIPLE_ENDINGS", "WORDS_RE",
    "counts_tokens", "either_case", "is_secret_key", "secret_endings", "secret_key_memo",
]

SECRET_WORDS: Final = frozenset({
    "apikey", "authorization", "auth", "cookie", "cookies", "credential", "credentials", "pass", "passcode",
    "passphrase", "passwd", "password", "pwd", "secret", "secrets", "token",
})
"""A key whose last word is one of these is a secret (``access_token``, ``Authorization``). ``pin`` is not: as a
word of a key it is as often a pinned version, a pin of a board or a map (``pin: true``)."""
PROSE_WORDS: Final = frozenset({"pass"})
"""Secret words that are also words of reports (``Pass: ok``, ``**Pass:** 12/12``): written alone before a spaced ``:``
in text and followed by a verdict word, ratio or share as the whole value, they name no secret (:mod:`._named_values`);
before anything else they do (``Pass: swordfish``). As a key, a flag, an element's name or part of a longer name
(``SMTP_PASS``) they always do."""
SECRET_WORD_PAIRS: Final = frozenset({
    ("access", "key"), ("api", "key"), ("encryption", "key"), ("private", "key"), ("secret", "key"),
    ("session", "key"), ("signing", "key"), ("client", "secret"), ("set", "cookie"),
})
"""Two-word endings that are secrets although their last word alone (``key``) is not."""
SECRET_WORD_TRIPLES: Final = frozenset({("client", "key", "data")})
"""Three-word endings that are secrets although their last two words are not: a kubeconfig's ``client-key-data`` is
its user's private key (base64), while ``client-certificate-data`` and ``certificate-authority-data`` are public."""
_JOINS: Final = ("-", "_", "")
TRIPLE_ENDINGS: Final = frozenset(f"{second}{join}{last}" for _, second, last in SECRET_WORD_TRIPLES for join in _JOINS)
"""How the last two words of a three-word ending are written in a name (``client-key-data``, ``client_key_data``,
``clientKeyData``): each spelling is an ending of :func:`secret_endings`, so text is searched for the name's end."""

_COUNT_WORDS: Final = frozenset({
    "max", "min", "num", "n", "total", "input", "output", "prompt", "completion", "cached", "cache", "reasoning",
    "context",
})
"""Words before ``token`` in a name that counts tokens (``max_token``, ``input_token``), as a model's usage and
limits are written; a name with any other word before it (``access_token``, ``csrf_token``) names a credential."""

WORDS_RE: Final = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
secret_key_memo: dict[str, bool] = {}
""":func:`is_secret_key`'s answers by key; per-call paths probe it inline before calling the function."""
_KEY_CACHE_MAX: Final = 4096
_KEY_TAIL: Final = 64
"""How much of a key's end :func:`is_secret_key` reads: more than any two secret words and a separator.
A last word cut there is still longer than every secret word; a cut word before it can only mask more."""


def _words(key: str) -> list[str]:
    """The key's words in lower case, a trailing number or version dropped (``password1``, ``api_key_v2``)."""
    words = [w.lower() for w in WORDS_RE.findall(key)]
    if words and words[-1].isdigit():
        while words and words[-1].isdigit():
            words.pop()
        if words and words[-1] == "v":
            words.pop()
    return words


def counts_tokens(name: str, alone: bool = True) -> bool:
    """Whether ``name`` may hold a count of a model's tokens (``token``, ``max_token``, ``Token``): an integer under
    it is the count (``token: 512``), as ``max_tokens`` would hold, not a credential. Not so a command line's flag
    named ``token`` alone (``--token 4821``, ``-token=4821``), nor a shell's environment variable when the caller
    says so (``alone=False``: ``export TOKEN=4821``): a flag or a program's variable taking a count says what it counts
    or bounds (``--max-token``, ``MAX_TOKENS``), so this one is given a token, of digits as any other."""
    words = _words(name[-_KEY_TAIL:])
    return (bool(words) and words[-1] == "token" and all(w in _COUNT_WORDS for w in words[:-1])
            and (len(words) > 1 or (alone and not name.startswith("-"))))


_GLUED_WORDS: Final = ("password", "passwd", "passphrase", "passcode", "secret", "token", "apikey", "credential",
                       "credentials")
"""Secret words that name a secret glued to the end of a one-word name too (libpq's ``PGPASSWORD``, ``DBPASSWORD``,
``githubtoken``). The short ones end words of prose (``OLDPWD`` is a directory, ``BYPASS``, ``COMPASS``, ``SURPASS``,
``OAUTH`` are no secrets): glued, they count only after an account's or a service's name (:data:`_ACCOUNT_WORDS`)."""
_GLUED_SHORT: Final = ("pass", "pwd")
_ACCOUNT_WORDS: Final = frozenset({
    "admin", "amqp", "api", "app", "auth", "bind", "db", "ftp", "git", "imap", "kafka", "key", "keystore", "ldap",
    "login", "mail", "mongo", "mq", "mssql", "my", "mysql", "pg", "pop", "postgres", "psql", "rabbit", "rdp",
    "redis", "root", "rpc", "sa", "sftp", "smb", "smtp", "sql", "ssh", "store", "svn", "sys", "truststore", "user",
    "vnc", "vpn", "wifi",
})
"""Names of an account or a service that ``pass`` or ``pwd`` glued after name a password (``DBPASS``, ``SSHPASS``,
sshpass's variable, ``SMTPPASS``, ``DBPWD``); the longer ones after more letters too (``MYSQLROOTPASS``)."""
_ACCOUNT_ENDINGS: Final = tuple(w for w in _ACCOUNT_WORDS if len(w) >= 4)
"""Those long enough that no word of prose ends with one before ``pass`` (``es`` would take ``TRESPASS``)."""


def _glued(word: str) -> bool:
    """Whether ``word`` (lower case, no separator in it) ends with a long secret word after two letters or more,
    none of them a word that counts tokens (``maxtoken``), or with a short one after an account's name."""
    for secret in _GLUED_SHORT:
        if word.endswith(secret):
            head = word[:-len(secret)]
            return head in _ACCOUNT_WORDS or head.endswith(_ACCOUNT_ENDINGS)
    if len(word) < 7:
        return False
    for secret in _GLUED_WORDS:
        if word.endswith(secret):
            head = word[:-len(secret)]
            return len(head) >= 2 and head not in _COUNT_WORDS
    return False


def is_secret_key(key: str) -> bool:
    """Whether a value stored under ``key`` is masked whole (the rule: :mod:`._redact`'s docstring)."""
    if len(key) > _KEY_TAIL:  # only the last two words count: a huge key costs no more than a short one
        key = key[-_KEY_TAIL:]
    known = secret_key_memo.get(key)
    if known is not None:
        return known
    words = _words(key)
    secret = bool(words) and (words[-1] in SECRET_WORDS
                              or (len(words) >= 2 and (words[-2], words[-1]) in SECRET_WORD_PAIRS)
                              or (len(words) >= 3 and (words[-3], words[-2], words[-1]) in SECRET_WORD_TRIPLES)
                              or _glued(words[-1]))
    if len(secret_key_memo) < _KEY_CACHE_MAX:
        secret_key_memo[key] = secret
    return secret


def secret_endings() -> list[str]:
    """The last words a secret's name can end with, none a suffix of another (``key`` covers ``apikey``); a three-word
    ending's last two, each way they are joined (``key-data``: ``data`` alone would stop at every JSON ``"data":``)."""
    words = set(SECRET_WORDS) | {last for _, last in SECRET_WORD_PAIRS}
    words |= TRIPLE_ENDINGS
    return sorted(w for w in words if not any(o != w and w.endswith(o) for o in words))


_Trie = dict[str, "_Trie"]


def either_case(words: list[str]) -> list[str]:
    """Regex branches that together match any of ``words`` in any case: a trie of ``[xX]`` classes, one branch
    per first letter. Each branch starts with a class, which the engine tests before entering the branch
    (``(?i)`` would enter every branch)."""
    trie: _Trie = {}
    for word in words:
        node = trie
        for c in word:
            node = node.setdefault(c, {})
        node[""] = {}

    def emit(node: _Trie) -> str:
        alts = branches(node)
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 and "" not in node else "(?:" + "|".join(alts) + ")"
        return body + "?" if "" in node else body

    def branches(node: _Trie) -> list[str]:
        return [f"[{c}{c.upper()}]" + emit(sub) for c, sub in sorted(node.items()) if c]

    return branches(trie)
