"""Secrets on a command line: a secret-named flag's value given as the next word (``mysql --password X``,
``--token X``, ``["--api-key", "X"]``), basic-auth credentials (``curl -u user:X``, ``--user user:X``, ``-uuser:X``)
and the short password flag of MySQL's and MariaDB's clients (``mysql -pX``, ``mysqldump -p X``) and of a few others
(``redis-cli -a X``, ``sshpass -p X``, ``sqlcmd -P X``, ``mongosh -p X``, ``ldapsearch -w X``, ``docker login -p X``,
``az login -p X``: :data:`_CLIENT_FLAGS`), and the password a client's own flag gives with the user (httpie's ``-a
user:X``, Samba's ``-U user%X``: :data:`_USER_FLAGS`). Secrets a command takes as plain arguments (htpasswd's, a config
tool's, an scp remote's) are found by :mod:`._command_arguments`, on the same text.

A tool that runs a command records it as an argument, reports it in its result, and quotes it in the error it raises;
``--password=X`` is a ``name=value`` pair (:mod:`._named_values`), but a command line as often gives the value as the
next word, or as ``user:password`` after ``-u``. The flag's name is judged by :func:`._secret_names.is_secret_key`
(``--password-file``, ``--token-count`` name no secret; ``--no-password`` is a switch), and its value as a pair's is
(:func:`._named_values.value_after`: a variable, a placeholder, a count are none; digits after ``--token`` alone are a
token: :func:`._secret_names.counts_tokens`), and further it is no value when it is another flag, a file's path
(``--private-key ~/.ssh/id``) or a word of a sentence about the flag (``the --token flag``, ``--password and --user``,
``set --password when prompted``: :data:`_FLAG_PROSE`, alone, not glued to more like ``the_Best_pw1``). Unlike a pair's,
a flag's plain word followed by another is the value: a command's arguments go on after it (``mysql --password swordfish
mydb``). After ``-u`` (or ``-u`` glued to the user: ``-uuser:X``), the part after the first ``:`` is masked, the user
kept, unless it is digits or the user again (``docker run -u 1000:1000``, ``--user app:app``: a user and a group; not so
after ``-U``, ``--proxy-user``) or a path (``-u http://…``: a URL), or the ``-u`` is rsync's, cp's or mv's ``--update``
(``rsync -u remote:backup/ .``) or a container tool's own, naming the user and the group a container runs as (``docker
run -u bob:staff``: :mod:`._container_options`). A bare value runs to a space, a quote or a separator, and over an ``&``
glued inside it (``-pTr0ub4dor&3``, ``-u bob:Tr0ub4dor&3``: :data:`._matchers.GLUED_AMPERSAND`), judged before that is
read.

``-p`` is a password only where the command says so: most tools read it as a port (``ssh -p 22``, ``psql -p
5432``), a publish (``docker run -p 8080:80``), a plugin (``pytest -p no:cacheprovider``) or a switch (``mkdir
-p``). In the command of a client of MySQL or MariaDB (:data:`_MYSQL`: the program it runs, not an argument,
:mod:`._command_position`; ``--name mysql``, ``find /var/lib/mysql -perm``, ``sudo -u mysql mkdir -p``), up to its
end (a newline not continued by a backslash, ``;``, ``|``, an ``&`` not glued inside a word:
:data:`._command_position.COMMAND_REST`), ``-pX`` and ``-p"X"`` mask X, and so does ``-p X``: the client itself reads
that as a prompt and a database named X, but a command written so most often means X as the password, and a
database's name lost from a trace costs less than a password kept in it. PostgreSQL's tools are not among them:
their ``-p`` is the port (a password comes from ``PGPASSWORD`` or a prompt, ``-W``). So with ``-a`` and ``-U``:
``user:X`` after httpie's ``-a``, ``user%X`` after Samba's ``-U`` mask X (digits too: no group id there), while ``ls
-a``, ``wget -a log``, ``date -u +%Y`` and a user alone (a prompt) keep theirs.

Linear: each regex starts with a literal ``-`` and reads a bounded flag name; a value is refused by what it
starts with, and an accepted one is masked, the flags inside it not read again. A password not in quotes is
judged on its first :data:`_AHEAD` characters: a word glued to the next ``-u=…:`` (``-u=a:/-u=a:/…``) would
otherwise be read to its end once per ``-u`` in it (16 s for 200 kB). One longer than that is masked whole
unless its start says it is none (a path, a flag, a variable). A MySQL command is read once to its end, and each
``-p`` in it is judged by its value's start before the value is read.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator
from typing import Final

from ._code_values import stands_for_value, variable_at
from ._command_arguments import argument_secrets, holds_argument_secrets
from ._command_position import COMMAND_REST, command_starts, commands_of, program_at
from ._container_options import container_options, holds_container_command
from ._matchers import ampersand_end, masked_spans, value_end
from ._named_values import value_after
from ._secret_names import WORDS_RE, is_secret_key

__all__ = ["command_line_secrets", "mask_command_lines"]

_FLAG: Final = re.compile(r"--(?<![\w-]--)(?P<name>[A-Za-z][A-Za-z0-9_.\-]{0,63})(?:[ \t]+|[\"'],[ \t]*)")
"""A long flag not glued to a word (``x--token``), followed by a space, or closing its string in an argv list
(``"--password", "…"``)."""
_PATH: Final = re.compile(r"~?\.{0,2}/")
"""A file's path (``/etc/creds``, ``~/.ssh/id``, ``./key``): where the secret is kept, not the secret."""
_FLAG_PROSE: Final = frozenset({
    "flag", "flags", "option", "options", "argument", "arguments", "parameter", "parameters", "switch", "value",
    "and", "or", "to", "is", "instead", "too", "also", "when", "if", "with", "without", "for", "in", "on", "of", "as",
    "the", "a", "an", "must", "should", "can", "will", "was", "are", "be", "not", "before", "after", "then", "so",
})
"""Words that follow a flag's name in a sentence about it, alone or before a sentence's punctuation (``the --token
flag.``, ``set --password when prompted``): a function word or one naming the flag, no one's password."""
_WORD: Final = re.compile(r"[a-z]+")
_ITEM_ENDS: Final = (",", "]", ")")
"""What follows a list's item written as text after its closing quote."""
_PROSE_END: Final = re.compile(r"[.,;:!?)]{0,3}(?:\s|\Z)")
"""What ends a word of prose: a space or the end, maybe after a sentence's punctuation (``the --api-key option.``).
A word glued to more (``a-Str0ng-P@ss``, ``on#Fire99``, ``the_Best_pw1``) is a password starting like one."""

_BASIC: Final = re.compile(r"-(?<![\w-]-)(?:(?:-(?:proxy-)?user|[uU])(?:[ \t]+|=)|[uU](?=[^\s=\-]))"
                           r"(?P<quote>[\"']?)(?P<user>(?!-)[^\s:\"'`@/]{0,64}):")
"""``-u`` / ``-U`` / ``--user`` / ``--proxy-user`` (curl's, httpie's, many clients'), then ``user:`` (after
``-u`` maybe glued: ``-uuser:…``), the two quoted together (``-u "bob:…"``) or the password on its own (``-u
bob:'…'``)."""
_AHEAD: Final = 256
"""How much of a password not in quotes is read before it is judged (see the module docstring)."""
_BARE_CHARS: Final = r"[^\s\"'`<>;&|]"
_QUOTED: Final = {'"': re.compile(r'[^"\r\n]*'), "'": re.compile(r"[^'\r\n]*"),
                  "": re.compile(_BARE_CHARS + f"{{0,{_AHEAD}}}")}
"""The password after ``user:``: to the closing quote (or the end of the line), else to a space."""
_QUOTES: Final = ("'", '"')
_BARE_REST: Final = re.compile(_BARE_CHARS + "+")
_NOT_PASSWORD: Final = re.compile(r"[0-9]*\Z|/|-|\[REDACTED")
"""A group id (``1000:1000``), a URL's ``//`` (``-u http://…``), a flag, the marker: no password."""
_NOT_PASSWORD_START: Final = re.compile(r"/|-|\[REDACTED")
"""What says a password too long to read first is none, by its start: a path or URL, a flag, the marker."""
_NO_GROUP: Final = ("-U", "--proxy-user")
"""Flags after which no group follows the user (curl's proxy user): digits there are a password."""


def mask_command_lines(text: str, marker: str) -> str:
    """``text`` with the value of each secret-named flag and the password of each ``-u user:password`` replaced
    by ``marker`` (see the module docstring)."""
    return masked_spans(text, command_line_secrets(text), marker)


def command_line_secrets(text: str) -> list[tuple[int, int]]:
    """Where each secret of :func:`mask_command_lines` lies, in order of start."""
    found: list[tuple[int, int]] = []
    if "--" in text:
        found.extend(_flag_values(text))
    if "-u" in text or "-U" in text:
        found.extend(_passwords(text))
    if _CLIENT_GATE.search(text) is not None and _CLIENT_HINT.search(text) is not None:
        found.extend(_client_passwords(text))
    if holds_argument_secrets(text):
        found.extend(argument_secrets(text))
    found.sort()
    return found


def _flag_values(text: str) -> list[tuple[int, int]]:
    """Where each secret-named flag's value lies."""
    found: list[tuple[int, int]] = []
    done = 0
    for flag in _FLAG.finditer(text):
        start, name = flag.end(), flag.group("name")
        if start <= done or not is_secret_key(name):
            continue
        words = WORDS_RE.findall(name)
        if words[0].lower() == "no" or _no_value(text, start):
            continue
        flag_name = text[flag.start():flag.end("name")]  # with its dashes: ``--token`` is given no count
        value = value_after(text, start - 1, start, flag_name, quoted_name=False, spaced=False)
        if value is not None:
            found.append(value[:2])
            done = value[1]
    return found


def _no_value(text: str, start: int) -> bool:
    """Whether what starts at ``start`` (maybe in quotes) is no flag's value: nothing, another flag, a path, a
    word of a sentence about the flag."""
    lead = start + 1 if text[start:start + 1] in ("'", '"') else start
    if text[lead:lead + 1] in ("", "-") or _PATH.match(text, lead) is not None:
        return True
    word = _WORD.match(text, lead)
    if word is None or word.group() not in _FLAG_PROSE:
        return False
    if lead > start:  # quoted: a word of a sentence only as an item of a list written as text (``"to",``)
        return text.startswith(text[start], word.end()) and text[word.end() + 1:word.end() + 2] in _ITEM_ENDS
    return _PROSE_END.match(text, word.end()) is not None


def _passwords(text: str) -> list[tuple[int, int]]:
    """Where each ``-u user:password``'s password lies (none after the ``-u`` of :data:`_UPDATE_TOOLS`, nor after a
    container tool's own ``-u`` / ``--user``: :mod:`._container_options`)."""
    flags: Iterator[re.Match[str]] = _BASIC.finditer(text)
    if _UPDATE_HINT.search(text) is not None:
        flags = _users(text, flags)
    if holds_container_command(text):
        flags = _outside_container_options(text, flags)
    return _user_passwords(text, flags, group_ids=True)


_UPDATE_TOOLS: Final = frozenset({"rsync", "cp", "mv"})
"""Programs whose ``-u`` is ``--update`` (rsync's ``-U`` is ``--atimes``): ``rsync -u remote:backup/ .`` names a
remote's path, no user and password."""
_UPDATE_HINT: Final = re.compile(r"(?<![\w.-])(?:rsync|cp|mv)(?![\w-])")
"""Text naming none of :data:`_UPDATE_TOOLS` runs none: its commands are not looked for."""


def _users(text: str, flags: Iterator[re.Match[str]]) -> Iterator[re.Match[str]]:
    """``flags`` without the short ones (``-u``, ``-U``) in the command of one of :data:`_UPDATE_TOOLS`."""
    updates: list[tuple[int, int]] | None = None  # those commands' spans, found at the first short flag
    for flag in flags:
        if flag.group().startswith("--"):
            yield flag
            continue
        if updates is None:
            updates = commands_of(text, _UPDATE_TOOLS)
        at = bisect_right(updates, (flag.start(), len(text))) - 1
        if at < 0 or updates[at][1] <= flag.start():
            yield flag


def _outside_container_options(text: str, flags: Iterator[re.Match[str]]) -> Iterator[re.Match[str]]:
    """``flags`` without ``-u`` and ``--user`` among a container tool's own options (``docker run -u bob:staff``: a
    user and a group)."""
    options: list[tuple[int, int]] | None = None  # found at the first such flag
    for flag in flags:
        if flag.group().startswith(_NO_GROUP):
            yield flag
            continue
        if options is None:
            options = container_options(text)
        at = bisect_right(options, (flag.start(), len(text))) - 1
        if at < 0 or options[at][1] <= flag.start():
            yield flag


def _user_passwords(text: str, flags: Iterator[re.Match[str]], group_ids: bool) -> list[tuple[int, int]]:
    """Where the password lies after each of ``flags`` (ending at the password, with the ``quote`` opened before the
    user and the ``user``); ``group_ids``: digits after ``-u`` are a group, not a password (``-u 1000:1000``)."""
    found: list[tuple[int, int]] = []
    done = 0
    for basic in flags:
        start = basic.end()
        if start < done:  # inside a password found already: masked with it
            continue
        quote = basic.group("quote")
        if not quote and text[start:start + 1] in _QUOTES:  # the password quoted on its own: -u bob:'…'
            if text[basic.start() - 1:basic.start()] == text[start]:  # no: the quote closes the flag's item, "-Ux:"
                continue
            quote = text[start]
            start += 1
        run = _QUOTED[quote].match(text, start)
        if run is None:
            continue
        password = run.group()
        if not quote and len(password) == _AHEAD and _BARE_REST.match(text, run.end(), run.end() + 1):
            if _NOT_PASSWORD_START.match(text, start) is not None or variable_at(text, start):
                continue
            whole = _long_password(text, start)  # read once: the -u's inside it are not read again
            done = start + len(whole)
            found.append((start, done))
            continue
        if not quote:
            password = password[:value_end(password)]
        groups = group_ids and not basic.group().startswith(_NO_GROUP)
        if (not password or (_NOT_PASSWORD if groups else _NOT_PASSWORD_START).match(password) is not None
                or password == basic.group("user") or stands_for_value(password, "")):
            continue
        done = start + len(password)
        if not quote and done == run.end():  # judged on its start, then read on past an & that is its own
            done = start + len(_glued_on(text, start, done))
        found.append((start, done))
    return found


def _glued_on(text: str, start: int, end: int) -> str:
    """A bare password from ``start`` read to ``end``, an ``&`` there read as its own (``-pTr0ub4dor&3``: see
    :data:`._matchers.GLUED_AMPERSAND`), then cut before the text it sits in."""
    whole = text[start:ampersand_end(text, end)]
    return whole[:value_end(whole)]


def _long_password(text: str, start: int) -> str:
    """A password not in quotes longer than :data:`_AHEAD` (not a group id, the user, a literal or a template:
    none is that long), to its end."""
    run = _BARE_REST.match(text, start)
    return _glued_on(text, start, start) if run is None else _glued_on(text, start, run.end())


_MYSQL: Final = re.compile(r"(?:mysql(?:admin|binlog|check|dump|import|pump|show|slap)?|mariadb"
                           r"(?:-(?:admin|binlog|check|dump|import|show|slap))?)(?:\.exe)?")
"""A client of MySQL or MariaDB whose ``-p`` is the password, by the name of the program a command runs."""
_SHORT_P: Final = re.compile(r"(?<![^ \t\"'])-p")
_CLIENT_FLAGS: Final = {
    "redis-cli": re.compile(r"(?<![^ \t\"'])-a"), "sshpass": _SHORT_P, "sqlcmd": re.compile(r"(?<![^ \t\"'])-P"),
    **dict.fromkeys(("mongo", "mongosh", "mongodump", "mongorestore", "mongoexport", "mongoimport", "mongostat",
                     "mongotop"), _SHORT_P),
    **dict.fromkeys(("ldapsearch", "ldapmodify", "ldapadd", "ldapdelete", "ldapwhoami", "ldappasswd", "ldapcompare",
                     "ldapmodrdn", "ldapexop"), re.compile(r"(?<![^ \t\"'])-w")),
    **dict.fromkeys(("docker login", "podman login", "nerdctl login", "oc login", "az login"), _SHORT_P),
}
"""Other clients whose short flag is a password, by the program a command runs: ``redis-cli -a``, ``sshpass -p``,
``sqlcmd -P``, MongoDB's tools' ``-p``, OpenLDAP's tools' ``-w`` (their ``-W`` prompts), a container registry's
``login -p`` and ``az login -p`` (a password or a service principal's secret; its certificate's path is kept):
:mod:`._command_position` names these with their tool."""
_USER_FLAGS: Final = {
    **dict.fromkeys(("http", "https", "xh", "xhs", "httpie"), re.compile(
        r"(?<![^ \t\"'])-a(?:[ \t]+|(?=[^\s\-]))(?P<quote>[\"']?)(?P<user>(?!-)[^\s:\"'`@/]{0,64}):")),
    **dict.fromkeys(("smbclient", "rpcclient", "smbcacls", "smbcquotas", "smbget", "smbtree", "net"), re.compile(
        r"(?<![^ \t\"'])(?:-U[ \t]*|--user(?:=|[ \t]+))(?P<quote>[\"']?)(?P<user>(?!-)[^\s%\"'`/]{1,64})%")),
}
"""Clients whose flag gives the user and the password together, by the program a command runs: httpie's (and
xh's; ``python -m httpie``'s) ``-a user:password``, Samba's tools' ``-U user%password`` (``--user=``,
``DOMAIN\\user``)."""
_CLIENT_GATE: Final = re.compile(r"-(?<![^ \t\"']-)(?:[paPwU]|-user)")
"""A client's flag (:data:`_CLIENT_FLAGS`, :data:`_USER_FLAGS`), not glued to a word as prose's hyphens are
(``co-pilot``, ``two-way``): text with none holds no client's password (a literal ``-`` first, searched in C)."""
_CLIENT_HINT: Final = re.compile(r"mysql|mariadb|redis-cli|sshpass|sqlcmd|mongo|ldap|login|smb|rpcclient"
                                 r"|https?[ \t\"']|httpie|xhs?[ \t\"']|net[ \t\"']")
"""Text naming none of the clients holds none of their passwords: the commands are not looked for."""


def _client_flag(name: str) -> re.Pattern[str] | None:
    """The short password flag of the client ``name`` (a program's name, ``.exe`` dropped), or None."""
    if _MYSQL.fullmatch(name) is not None:
        return _SHORT_P
    return _CLIENT_FLAGS.get(name.removesuffix(".exe"))


def _user_flag(name: str) -> re.Pattern[str] | None:
    """The flag of the client ``name`` giving a user and a password together, or None."""
    return _USER_FLAGS.get(name.removesuffix(".exe"))


def _client_passwords(text: str) -> list[tuple[int, int]]:
    """Where the value of each short password flag in the command of a client that has one lies (see the module
    docstring)."""
    found: list[tuple[int, int]] = []
    done = 0  # a quoted password may run past its command's end (``-p'a;b'``): masked, it is not read again
    reach = 0  # a client's command is read once, a later client in it not read again
    for at in command_starts(text):
        found_program = None if at < reach else program_at(text, at)
        if found_program is None:
            continue
        start, name = found_program
        if start < reach:
            continue
        flags, users = _client_flag(name), _user_flag(name)
        if flags is None and users is None:
            continue
        command = COMMAND_REST.match(text, start)
        assert command is not None  # the pattern matches the empty string
        reach = command.end()
        if users is not None:
            found.extend(_user_passwords(text, users.finditer(text, command.start(), command.end()), group_ids=False))
        for flag in () if flags is None else flags.finditer(text, command.start(), command.end()):
            at = flag.end()
            if at < done:
                continue
            value = _short_password(text, at, flag.start(), command.end())
            if value is not None:
                found.append(value)
                done = value[1]
    return found


def _short_password(text: str, at: int, flag: int, end: int) -> tuple[int, int] | None:
    """Where the password after the ``-p`` ending at ``at`` lies: glued (``-pX``, ``-p'X'``), the next word (``-p
    X``) or the next item of a list (``"-p", "X"``); ``None`` when there is none (a flag, a path, a variable, a
    word of a sentence, nothing)."""
    after = text[at:at + 1]
    if after in _QUOTES and text[flag - 1:flag] == after:  # the flag a list's item: "-p", "X"
        if not text.startswith(",", at + 1):  # the last item ("-p"]): no value, the client prompts
            return None
        start = at + 2
        while text[start:start + 1] in (" ", "\t"):
            start += 1
    elif after in (" ", "\t"):
        start = at + 1
        while text[start:start + 1] in (" ", "\t"):
            start += 1
        if _no_value(text, start):
            return None
    elif after and not after.isspace():
        start = at
    else:
        return None
    quote = text[start:start + 1]
    if quote in _QUOTES:
        start += 1
    if start >= end or variable_at(text, start) or text[start:start + 1] in ("", "-"):
        return None
    run = _QUOTED[quote].match(text, start) if quote in _QUOTES else _BARE_REST.match(text, start, end)
    if run is None:
        return None
    if quote in _QUOTES:
        value = run.group()
    else:
        value = run.group()[:value_end(run.group())]
        if len(value) == len(run.group()) and value:
            value = _glued_on(text, start, run.end())
    return (start, start + len(value)) if value.strip() else None
