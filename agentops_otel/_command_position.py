"""Which program a command line runs: the word in command position, so that a rule meant for one program's flags
(MySQL's ``-p``, a password) is not applied to another's (``mkdir -p``, ``docker run -p``) because the program's
name appears as an argument (``--name mysql``, ``/var/lib/mysql``, ``sudo -u mysql mkdir -p x``).

A command starts at the start of the text or of a line, after ``;``, ``|``, ``&`` (so ``&&`` and ``||``), a backtick,
``(`` (``$(…)``, a subshell), ``{``, ``[`` (a list written as text: ``["mysql", "-p", …]``), a colon (``failed: mysql
…``) and a quote opening a command's text (``sh -c "mysql …"``). Its program is its first word (past a prompt, ``$``,
or a bullet, ``1.``), past ``NAME=value`` assignments and past wrappers that run the word after their own options
(``sudo -u bob``, ``env X=1``, ``time``, ``exec``, ``nohup``, ``xargs -n 1``, ``timeout 30``, ``docker exec -it db``,
``docker-compose exec db``, ``kubectl exec pod --``, ``ssh -p 22 host``, ``then``): a wrapper's option that takes a
value (``-u`` of ``sudo``) takes the next word with it. A program given by its path (``/usr/bin/mysql``, ``./mysql``,
``C:\\bin\\mysql.exe``) is its last part. A module a Python interpreter runs is the program (``python -m wandb
login``, ``python3.11 -u -X dev -m pip``: the module's own command follows), as it is when run by its own name. A
container tool's ``login`` (``docker login``, ``oc login``) and the Azure CLI's (``az login``) are programs of their
own, named with their tool: their ``-p`` is a password, unlike ``docker run``'s; under any other subcommand the
program is the tool itself (``kubectl config set …``, ``docker run …``). A backslash before a line's end continues
the command on the next line.

Linear: each place a command may start is read word by word up to its program, at most :data:`_MAX_WORDS`
words, and a word stops at the next such place.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final

__all__ = ["COMMAND_REST", "COMMAND_WORD", "GAP", "command_starts", "commands_of", "program_at"]

_START: Final = re.compile(r"(?<!\\)(?<!\\\r)[\r\n]|[;|&`(\[{]|:(?=[ \t])|[\"'](?=[^\s\"']+[ \t])")
"""Where a command may start: after a line's end (not one a backslash continues: the same command goes on, and a
run of them read from each would be read again and again), ``;``, ``|``, ``&``, a backtick, ``(``, ``[``, ``{``, a colon
ending a sentence's words (``command failed: mysqldump …``) or a quote opening a command's text (``sh -c "mysql
-p…"``, ``ssh db 'mysql …'``; not an item of a list: ``"mysql",``)."""
GAP: Final = r"(?:[ \t]|\\\r?\n)*"
"""What separates two words of a command: spaces, and a backslash before a line's end (the command goes on on the
next line: ``mysql -h db \\`` then ``-pX``)."""
COMMAND_WORD: Final = re.compile(GAP + r"(?:\"(?P<dq>[^\"\s]*)\"|'(?P<sq>[^'\s]*)'|(?P<bare>[^\s\"'`;|&()\[\]{},]+)),?")
"""The next word of a command: bare, or in quotes as a list's item written as text (``"mysql",``)."""
COMMAND_REST: Final = re.compile(r"(?:[^\r\n;|&`]|(?<=\\)\r?\n|&(?=[^\s;|&<>`]))*")
"""A command from where it starts to its end: a line's end not continued by a backslash, ``;``, ``|``, an ``&`` that
runs it in the background or joins another (``&&``, ``& ``; one glued to more, ``-pTr0ub4dor&3``, ``2>&1``, is
inside the command), a backtick."""
_PROMPT: Final = re.compile(r"[$#>%*-]|[0-9]{1,3}[.)]")
"""A shell's prompt or a list's bullet before a command's first word (``$ mysql …``, ``1. mysql …``)."""
_ASSIGNMENT: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")
_DIRECTORY: Final = re.compile(r"[\\/]")
"""What ends a directory in a program's path (``/usr/bin/mysql``, ``C:\\bin\\mysql.exe``)."""

_WRAPPERS: Final[dict[str, tuple[frozenset[str], int]]] = {
    "sudo": (frozenset({"-u", "-g", "-h", "-p", "-C", "-D", "-r", "-t", "-T", "-U", "--user", "--group", "--host",
                        "--prompt", "--close-from", "--chdir", "--role", "--type", "--command-timeout",
                        "--other-user"}), 0),
    "doas": (frozenset({"-u", "-C"}), 0),
    "env": (frozenset({"-u", "-C", "-S", "--unset", "--chdir", "--split-string"}), 0),
    "time": (frozenset({"-f", "-o", "--format", "--output"}), 0),
    "exec": (frozenset({"-a"}), 0),
    "nohup": (frozenset(), 0),
    "command": (frozenset(), 0),
    "nice": (frozenset({"-n", "--adjustment"}), 0),
    "xargs": (frozenset({"-a", "-d", "-E", "-I", "-L", "-n", "-P", "-s", "--arg-file", "--delimiter", "--eof",
                         "--max-lines", "--max-args", "--max-procs", "--max-chars", "--process-slot-var"}), 0),
    "timeout": (frozenset({"-s", "-k", "--signal", "--kill-after"}), 1),
    "ssh": (frozenset({"-B", "-b", "-c", "-D", "-E", "-e", "-F", "-I", "-i", "-J", "-L", "-l", "-m", "-O", "-o", "-p",
                       "-Q", "-R", "-S", "-W", "-w"}), 1),
    **{keyword: (frozenset(), 0) for keyword in ("if", "then", "else", "elif", "while", "until", "do", "!")},
    "RUN": (frozenset({"--mount", "--network", "--security"}), 0),
}
"""A wrapper: its options that take the next word as their value, and how many words it reads before the program
(``timeout``'s duration, ``ssh``'s host); a shell's keyword runs the next word too (``then mysql …``), and so does a
Dockerfile's ``RUN`` (its own options written ``--mount=…``, or ``--mount …``)."""
_EXEC_OPTIONS: Final = frozenset({"-e", "-u", "-w", "--env", "--env-file", "--user", "--workdir", "--detach-keys",
                                  "--index", "-c", "--container", "-n", "--namespace"})
"""Options of ``docker exec``, ``podman exec``, ``docker compose exec``, ``kubectl exec`` taking the next word."""
_CONTAINER_TOOLS: Final = frozenset({"docker", "podman", "nerdctl", "kubectl", "oc"})
_COMPOSE_TOOLS: Final = {"docker-compose": "docker", "podman-compose": "podman"}
"""The standalone compose tools, by the tool whose ``compose`` they are: ``docker-compose exec db mysql`` runs the
client as ``docker compose exec db mysql`` does."""
_LOGIN_TOOLS: Final = _CONTAINER_TOOLS | {"az"}
"""Tools whose ``login`` is named as a program of its own: the container tools', and the Azure CLI's."""
_KUBECTL: Final = frozenset({"kubectl", "oc"})
"""Container tools whose ``exec`` runs the program given after ``--``."""
_SUBCOMMANDS: Final = frozenset({"login"})
"""A container tool's subcommands named as programs of their own (``docker login``)."""
_MAX_WORDS: Final = 64
"""How many words before its program a command is read: no real wrapper chain is longer."""
_PYTHON: Final = re.compile(r"(?:python|pypy)(?:[0-9]+(?:\.[0-9]+)*)?(?:\.exe)?|py(?:\.exe)?")
"""A Python interpreter (``python3.11``, ``pypy3``, Windows' ``py`` launcher): run with ``-m``, the program is the
module (``python -m wandb login``)."""
_PYTHON_VALUES: Final = "XW"
"""The interpreter's short options taking a value (``-X dev``, ``-W ignore``), glued or as the next word."""


def command_starts(text: str) -> Iterator[int]:
    """Where each command in ``text`` may start (see :data:`_START`), in order. A reader that has read a command to
    its end passes over the starts inside it (a quote, a ``(``, an ``&`` glued to a word), each of which would cost a
    reading of its own."""
    yield 0
    for start in _START.finditer(text):
        yield start.end()


def program_at(text: str, at: int) -> tuple[int, str] | None:
    """Where the program of the command starting at ``at`` starts, past assignments and wrappers, with its name (a
    path's last part, no quotes; a container tool's subcommand of :data:`_SUBCOMMANDS` with its tool: ``docker
    login``), or ``None`` (a separator, no word)."""
    takes: frozenset[str] = frozenset()  # the current wrapper's options taking a value
    skip = 0  # words the current wrapper reads before the program (and an option's value)
    options = False  # whether words starting with "-" are the current wrapper's options
    container = ""  # a container tool seen ("docker"), waiting for its "exec"
    tool = 0  # where that tool's name starts
    for count in range(_MAX_WORDS):
        word = COMMAND_WORD.match(text, at)
        if word is None:
            return None
        start, at = word.start(word.lastgroup or "bare"), word.end()
        name = word.group(word.lastgroup or "bare")
        if not count and _PROMPT.fullmatch(name):
            continue
        if options and name == "--":
            options, skip = False, 0
            continue
        if options and name.startswith("-"):
            if name in takes:
                value = COMMAND_WORD.match(text, at)
                at = at if value is None else value.end()
            continue
        if skip:
            skip -= 1
            continue
        if _ASSIGNMENT.match(name) and (options or not container):
            continue
        base = _DIRECTORY.split(name)[-1]
        if container:
            if base in ("compose", "container") and container in _CONTAINER_TOOLS:
                continue
            if base in _SUBCOMMANDS:
                return start, f"{container} {base}"
            if base != "exec" or container not in _CONTAINER_TOOLS:
                return tool, container  # the tool's own subcommand (``kubectl config``, ``docker run``)
            takes, options = _EXEC_OPTIONS, True
            skip = _MAX_WORDS if container in _KUBECTL else 1  # the container; kubectl's program follows "--"
            container = ""
            continue
        if base in _LOGIN_TOOLS or base in _COMPOSE_TOOLS:
            container, tool = _COMPOSE_TOOLS.get(base, base), start
            continue
        if base in _WRAPPERS:
            takes, skip = _WRAPPERS[base]
            options = True
            continue
        if base[:2] == "py" and _PYTHON.fullmatch(base) is not None:  # the prefix first: every program comes here
            return _module_at(text, at) or (start, base)
        return start, base
    return None


def _module_at(text: str, at: int) -> tuple[int, str] | None:
    """Where the module a Python interpreter runs with ``-m`` starts, with its name, past the interpreter's options
    from ``at`` (grouped, ``-um``, or glued, ``-mwandb``, as the interpreter reads them); ``None`` when a script or
    ``-c`` code runs instead."""
    for _ in range(_MAX_WORDS):
        word = COMMAND_WORD.match(text, at)
        if word is None:
            return None
        group = word.lastgroup or "bare"
        name, at = word.group(group), word.end()
        if name.startswith("--") or not name.startswith("-") or len(name) < 2:
            if name != "--check-hash-based-pycs":  # its one long option taking a value; any other word ends them
                return None
            value = COMMAND_WORD.match(text, at)
            at = at if value is None else value.end()
            continue
        for index, letter in enumerate(name[1:], 2):
            if letter == "c":
                return None
            if letter == "m":
                if index < len(name):
                    return word.start(group) + index, name[index:]
                module = COMMAND_WORD.match(text, at)
                return None if module is None else (module.start(module.lastgroup or "bare"),
                                                    module.group(module.lastgroup or "bare"))
            if letter in _PYTHON_VALUES:
                if index == len(name):
                    value = COMMAND_WORD.match(text, at)
                    at = at if value is None else value.end()
                break
    return None


def commands_of(text: str, programs: frozenset[str]) -> list[tuple[int, int]]:
    """Where each command of one of ``programs`` lies in ``text``, from its program to its end, in order."""
    found: list[tuple[int, int]] = []
    reach = 0  # a command is read once, a later program in it not read again
    for at in command_starts(text):
        program = None if at < reach else program_at(text, at)
        if program is None or program[0] < reach or program[1].removesuffix(".exe") not in programs:
            continue
        command = COMMAND_REST.match(text, program[0])
        assert command is not None  # the pattern matches the empty string
        reach = command.end()
        found.append((program[0], reach))
    return found
