"""Secrets a command takes as plain arguments, where only the program run says which argument is one: htpasswd's
password after ``-b`` (``htpasswd -b FILE USER PASSWORD``, ``-nb USER PASSWORD``), the value a config tool sets under
a secret-named key (``aws configure set aws_secret_access_key X``, ``git config --global github.token X``, ``npm``,
``pnpm``, ``yarn``, ``pip`` and ``poetry config``, ``kubectl config set users.dev.token X``, ``dotnet user-secrets
set``: :data:`_SETTERS`) or under a key of Poetry's naming a repository's credentials (``http-basic.REPO USER
PASSWORD``, ``pypi-token.REPO TOKEN``: :data:`_POETRY_SLOTS`), the password of the ``user:password@host`` it sets under
a proxy-named key (``npm config set proxy bob:X@proxy:3128``, ``httpsProxy``: the key is a word of its own, not
``proxy=``, so :mod:`._userinfo_values` cannot see it in text) or that curl takes as its proxy (``-x bob:X@proxy:3128``,
no scheme: ``-x`` names no proxy elsewhere, ``tar -x``), the token a login takes as its argument (``cargo login X``,
``wandb login X``: :data:`_LOGINS`), the value of a GitHub secret (``gh secret set NAME --body X``, ``-b X``: the body
of ``gh pr create`` is none), the value csh's ``setenv NAME X`` gives a secret-named variable (digits under ``TOKEN``
too: a program's environment is no config, :mod:`._shell_assignments`) and the password of an scp or rsync remote
written ``user:password@host:path``.

No flag or name stands before these values in the text, so :mod:`._command_line_values` and :mod:`._named_values`
cannot see them; the same words after another program are no secret (``echo bob:x@host:/tmp``, a mail search's
``from:alice2@gmail.com``), so each rule reads only the command of its program (:mod:`._command_position`). A value is
judged as a pair's is (:func:`._code_values.stands_for_value`): a variable, a template or the marker is kept; in quotes
it is masked inside them, bare to its end (an ``&`` glued inside it is its own: :data:`._matchers.GLUED_AMPERSAND`).
A config key is judged by :func:`._secret_names.is_secret_key` (``user.name``, ``region`` are kept), and a command
reading or removing a key (``git config --get``, ``--unset``) sets none.

Linear: a command is read once, word by word, from its program to its end; a later program inside it is not read
again, and a remote is matched within its own word.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final

from ._code_values import stands_for_value, variable_at
from ._command_position import COMMAND_REST, GAP, command_starts, program_at
from ._matchers import ampersand_end, value_end
from ._secret_names import is_secret_key
from ._userinfo_values import proxy_password

__all__ = ["PROGRAMS", "argument_secrets", "holds_argument_secrets", "runs_argument_program"]

_SETTERS: Final[dict[str, tuple[tuple[str, ...], ...]]] = {
    "aws": (("configure", "set"),),
    "git": (("config",), ("config", "set")),
    **dict.fromkeys(("npm", "pnpm", "yarn"), (("config", "set"),)),
    **dict.fromkeys(("pip", "pip3"), (("config", "set"),)),
    "poetry": (("config",),),
    **dict.fromkeys(("kubectl", "oc"), (("config", "set"),)),
    "dotnet": (("user-secrets", "set"),),
}
"""Config tools by program, with the words that make a command of theirs set a key (``KEY VALUE`` follow them)."""
_VALUE_OPTIONS: Final = frozenset({
    "-f", "--file", "--blob", "--type", "--profile", "--region", "--output", "--endpoint-url", "-L", "--location",
    "--userconfig", "--editor", "-p", "--project", "--id", "-c", "--configuration", "-w", "--workspace",
    "-C", "--git-dir", "--work-tree", "--directory", "--kubeconfig", "--context", "--cluster",
})
"""Options of those tools taking the next word as their value (``git config --file F``, ``--profile prod``, git's own
``-C DIR`` before ``config``, ``kubectl --kubeconfig F``)."""
_POETRY_SLOTS: Final = (("http-basic.", 1), ("pypi-token.", 0))
"""Poetry's keys naming a repository's credentials, by how they start, with which of the words after the key is the
secret: ``http-basic.REPO USER PASSWORD`` (with the user alone Poetry prompts), ``pypi-token.REPO TOKEN``."""
_LOGINS: Final = {"cargo": frozenset({"--registry", "--config", "--color", "-Z", "-C"}), "wandb": frozenset({"--host"})}
"""Programs whose ``login`` takes the token as its first argument (``cargo login TOKEN``, ``wandb login KEY``; without
it they read it from stdin or a prompt), with their options (their own before ``login`` too) taking the next word as
their value."""
_PLAIN_WORD: Final = re.compile(r"(?:[A-Za-z][a-z]*|[0-9]{1,6})[.,:;!?)]*\Z")
"""A word of prose after ``login`` (``cargo login failed: …``) or a small number (``wandb login 401 Unauthorized``, ``3
times``), which no token these tools issue is (``cio`` and 32 letters and digits, 40 hex digits)."""
_GH_BODY: Final = ("-b", "--body", "--body=")
"""The flags of ``gh secret set`` giving the secret's value as the next word (or glued: ``-bX``, ``--body=X``)."""
_CURL_PROXY: Final = ("-x", "--preproxy", "--preproxy=")
"""curl's proxy flags that name no proxy in text (``--proxy`` does: :mod:`._userinfo_values` reads it everywhere)."""
_CURL_GROUPED_X: Final = re.compile(r"-[A-Za-z0-9#:]+?x")
"""``-x`` grouped after other short options (``-sx``, ``-sSLx``), its value the next word or glued on (``-sxVALUE``),
as curl reads a group."""
_NOT_SETTING: Final = ("--get", "--unset", "--remove", "--rename", "--list", "-l", "--edit", "-e")
"""Options that make a config command read or remove a key instead (``git config --get-all``, ``--unset``)."""
_REMOTE_TOOLS: Final = frozenset({"scp", "rsync"})
_REMOTE: Final = re.compile(r"[^\s:@/\"'`]{1,64}:(?P<password>[^\s/\"'`]+)@(?:[A-Za-z0-9_.\-]+|\[[0-9A-Fa-f:.]+\]):")
"""An scp or rsync remote with a password: ``user:password@host:path``. The password runs to the last ``@`` before
the host (it may hold one: ``bob:P@ss@host:/tmp``)."""
PROGRAMS: Final = frozenset({"htpasswd", "gh", "curl", "setenv", *_SETTERS, *_LOGINS, *_REMOTE_TOOLS})
"""The programs these rules read: an argument list starting with one is read as a command line."""

_ARGUMENT: Final = re.compile(GAP + r"(?:\"(?P<dq>[^\"\r\n]*)\"|'(?P<sq>[^'\r\n]*)'|(?P<bare>[^\s\"'`;|&<>()]+))")
"""A command's next argument: in double or single quotes, or bare (a redirection, ``>``, ends the reading)."""
_Word = tuple[int, int, str]
"""An argument: where its text starts and ends (inside its quotes), and the quote around it ("" for none)."""


def runs_argument_program(item: str) -> bool:
    """Whether ``item``, an argument list's first, names one of the programs these rules read (``["scp", …]``), so
    that the list is read as a command line although no item is a flag."""
    return item.rpartition("/")[2].rpartition("\\")[2].removesuffix(".exe") in PROGRAMS


def holds_argument_secrets(text: str) -> bool:
    """Whether ``text`` may hold a secret these rules read: a config command (``config`` is in ``configure``), a
    login, a ``setenv``, a remote's or a proxy's ``@``, htpasswd's ``-b``, ``user-secrets`` or ``gh secret``'s
    ``-b``. A text holding none of ``-``, ``config``, ``login``, ``setenv`` and ``@`` is not asked
    (:func:`._redact.mask_text` tests those inline)."""
    return ("config" in text or "login" in text or "setenv" in text
            or ("@" in text and ("scp" in text or "rsync" in text or "curl" in text))
            or ("-" in text and ("htpasswd" in text or "secret" in text)))


def argument_secrets(text: str) -> list[tuple[int, int]]:
    """Where each secret these rules find in ``text`` lies (see the module docstring)."""
    found: list[tuple[int, int]] = []
    reach = 0  # a program's command is read once, a later program inside it not read again
    for at in command_starts(text):
        program = None if at < reach else program_at(text, at)
        if program is None:
            continue
        start, name = program[0], program[1].removesuffix(".exe")
        if start < reach or name not in PROGRAMS:
            continue
        command = COMMAND_REST.match(text, start)
        assert command is not None  # the pattern matches the empty string
        reach = command.end()
        words = _words(text, start, reach)
        next(words, None)  # the program itself
        if name in _REMOTE_TOOLS:
            found.extend(_remote_passwords(text, words))
            continue
        if name == "curl":
            found.extend(_curl_proxy_passwords(text, words))
            continue
        span = _set_secret(text, words, name) if name in _SETTERS else _argument(text, words, name)
        if span is not None:
            found.append(span)
    return found


def _argument(text: str, words: Iterator[_Word], name: str) -> tuple[int, int] | None:
    """Where the secret that htpasswd, ``gh secret set``, ``setenv`` or a login (``name``) takes as an argument lies."""
    if name == "setenv":
        return _setenv_value(text, words)
    if name == "htpasswd":
        value = _htpasswd_password(text, words)
    elif name == "gh":
        value = _flag_value(text, words, ("secret", "set"), _GH_BODY)
    else:
        value = _login_token(text, words, _LOGINS[name])
    return None if value is None else _value(text, value[0], value[1], bare=not value[2])


def _words(text: str, start: int, end: int) -> Iterator[_Word]:
    """The arguments of the command from ``start`` to ``end``, up to a redirection; a bare one read on past an ``&``
    that is its own."""
    at = start
    while (word := _ARGUMENT.match(text, at, end)) is not None:
        group = word.lastgroup or "bare"
        if group == "bare":
            at = ampersand_end(text, word.end())
            yield word.start(group), at, ""
        else:
            at = word.end()
            yield word.start(group), word.end(group), '"' if group == "dq" else "'"


def _setenv_value(text: str, words: Iterator[_Word]) -> tuple[int, int] | None:
    """Where the value csh's ``setenv NAME VALUE`` gives a secret-named variable lies; a count only under a name saying
    what it counts (``MAX_TOKENS``, not ``TOKEN``: :func:`._secret_names.counts_tokens`)."""
    variable, value = next(words, None), next(words, None)
    if variable is None or value is None or variable[2] or not is_secret_key(name := text[variable[0]:variable[1]]):
        return None
    return _value(text, value[0], value[1], bare=not value[2], name=name)


def _htpasswd_password(text: str, words: Iterator[_Word]) -> _Word | None:
    """htpasswd's password argument: with ``-b``, the third (with ``-n``, no file: the second) after its options."""
    batch = no_file = takes_value = False
    positional: list[_Word] = []
    for word in words:
        arg = text[word[0]:word[1]]
        if takes_value:  # -C's cost, -r's rounds
            takes_value = False
        elif not positional and not word[2] and arg.startswith("-") and len(arg) > 1:
            letters = arg[1:]
            batch, no_file = batch or "b" in letters, no_file or "n" in letters
            takes_value = letters[-1] in "Cr"
        else:
            positional.append(word)
            if len(positional) == 3:
                break
    at = 1 if no_file else 2
    return positional[at] if batch and len(positional) > at else None


def _set_secret(text: str, words: Iterator[_Word], name: str) -> tuple[int, int] | None:
    """Where the secret a config command of ``name`` sets lies: the value under a secret-named key, the word after a
    Poetry key naming credentials that is the secret (:data:`_POETRY_SLOTS`), the password of the
    ``user:password@host`` under a proxy-named key (``npm config set proxy …``, ``httpsProxy``: as a mapping's key's,
    :func:`._userinfo_values.masked_under`)."""
    found = _set_value(text, words, _SETTERS[name])
    if found is None:
        return None
    key, values = found
    if name == "poetry":
        slot = next((at for prefix, at in _POETRY_SLOTS if key.startswith(prefix)), None)
        if slot is not None:
            return None if len(values) <= slot else _value(text, values[slot][0], values[slot][1], not values[slot][2])
    start, end, quote = values[0]
    if is_secret_key(key):
        return _value(text, start, end, bare=not quote)
    password = proxy_password(key, text[start:end])
    return None if password is None else (start + password[0], start + password[1])


def _set_value(text: str, words: Iterator[_Word],
               paths: tuple[tuple[str, ...], ...]) -> tuple[str, list[_Word]] | None:
    """The key a config command sets, with the words after it (two at most; ``None`` when it reads or removes a key,
    or sets none)."""
    positional: list[str] = []
    words_at: list[_Word] = []
    longest = max(len(path) for path in paths) + 3
    takes_value = False
    for word in words:
        arg = text[word[0]:word[1]]
        if takes_value:
            takes_value = False
        elif not word[2] and arg.startswith("-"):
            if arg.startswith(_NOT_SETTING):
                return None
            takes_value = arg in _VALUE_OPTIONS
        else:
            positional.append(arg)
            words_at.append(word)
            if len(positional) == longest:
                break
    for path in paths:
        at = len(path)
        key = positional[at] if tuple(positional[:at]) == path and len(positional) > at + 1 else "="
        if "=" not in key:
            return key, words_at[at + 1:at + 3]
    return None


def _login_token(text: str, words: Iterator[_Word], options: frozenset[str]) -> _Word | None:
    """The token a ``login`` takes as its first argument (past the options, ``options`` taking a value, the program's
    own before ``login`` too: ``cargo --locked login``, ``cargo -Z registry-auth login``), if given."""
    first = next(words, None)
    if first is not None and text[first[0]:first[1]].startswith("+"):  # cargo's toolchain: cargo +nightly login
        first = next(words, None)
    takes_value = False
    while first is not None and (takes_value or (not first[2] and text[first[0]:first[1]].startswith("-"))):
        takes_value = not takes_value and text[first[0]:first[1]] in options
        first = next(words, None)
    if first is None or text[first[0]:first[1]] != "login":
        return None
    for word in words:
        arg = text[word[0]:word[1]]
        if takes_value:
            takes_value = False
        elif not word[2] and arg.startswith("-"):
            takes_value = arg in options
        else:
            return None if _PLAIN_WORD.match(arg) else word
    return None


def _flag_value(text: str, words: Iterator[_Word], path: tuple[str, ...], flags: tuple[str, ...]) -> _Word | None:
    """The value of the first of ``flags`` (given as the next word, or glued: ``-bX``, ``--body=X``) in a command whose
    words start with ``path`` (``gh secret set``)."""
    for expected in path:
        word = next(words, None)
        if word is None or text[word[0]:word[1]] != expected:
            return None
    for start, end, quote in words:
        arg = text[start:end]
        if quote or not arg.startswith("-"):
            continue
        if arg in flags:
            return next(words, None)
        glued = _glued(arg, flags)
        if glued:
            return start + glued, end, ""
    return None


def _glued(arg: str, flags: tuple[str, ...]) -> int:
    """How long the flag of ``flags`` is that ``arg`` starts with, its value glued on (``-bX``, ``--body=X``; a long
    flag only with its ``=``): 0 for none."""
    return next((len(flag) for flag in flags
                 if arg.startswith(flag) and (flag.endswith("=") or not flag.startswith("--"))), 0)


def _curl_proxy_passwords(text: str, words: Iterator[_Word]) -> Iterator[tuple[int, int]]:
    """The password of each ``user:password@host`` curl takes as a proxy after a flag of :data:`_CURL_PROXY` (or ``-x``
    grouped after other short options: :data:`_CURL_GROUPED_X`)."""
    for start, end, quote in words:
        arg = text[start:end]
        if quote or not arg.startswith("-"):
            continue
        glued = _glued(arg, _CURL_PROXY) or _grouped_x(arg)
        value = (next(words, None) if arg in _CURL_PROXY or glued == len(arg)
                 else (start + glued, end, "") if glued else None)
        if value is not None:
            password = proxy_password("proxy", text[value[0]:value[1]])
            if password is not None:
                yield value[0] + password[0], value[0] + password[1]


def _grouped_x(arg: str) -> int:
    """How long the group of short options ending in curl's ``-x`` is that ``arg`` starts with (``-sx``, ``-sSxVALUE``:
    3, 4): 0 for none."""
    group = _CURL_GROUPED_X.match(arg)
    return 0 if group is None else group.end()


def _value(text: str, start: int, end: int, bare: bool, name: str = "") -> tuple[int, int] | None:
    """Where the secret from ``start`` to ``end`` lies (a ``bare`` argument cut before the text it sits in: a
    sentence's full stop), or ``None`` when it stands for one (a variable, a template, the marker; a count under a
    ``name`` saying what it counts)."""
    value = text[start:end]
    if bare:
        value = value[:value_end(value)]
    if not value.strip() or variable_at(text, start) or stands_for_value(value, name, alone=False):
        return None
    return start, start + len(value)


def _remote_passwords(text: str, words: Iterator[_Word]) -> Iterator[tuple[int, int]]:
    """The password of each scp or rsync remote among ``words`` (a variable or a template kept)."""
    for start, end, _ in words:
        remote = _REMOTE.match(text, start, end)
        if remote is not None:
            span = _value(text, remote.start("password"), remote.end("password"), bare=False)
            if span is not None:
                yield span
