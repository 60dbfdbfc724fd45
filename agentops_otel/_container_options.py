"""Where a container tool's own options lie in the command that runs or enters a container (``docker run``,
``create``, ``exec``; podman's, nerdctl's, ``docker compose run`` and the standalone ``docker-compose run``,
``podman-compose exec``), so that its ``-u USER:GROUP`` (``--user``) is read
as what it is, a user and a group, not as curl's ``-u user:password``: ``docker run -u bob:staff alpine id`` names
no password, while the command the container runs is a command like any other (``docker run alpine curl -u
bob:X``).

The options end at the first word that is neither an option nor an option's value: the image, the container or
the service. Which options take the next word as their value is known for these tools' common ones
(:data:`_TAKE_VALUE`); any other is read as a switch, so that a value not known as one ends the options early: a
``-u`` after it is then read as a password's flag (masked, as before), never the other way round, where a command
run in the container would have its password kept.

The tool's name and its subcommand are read wherever they stand, not only where a command starts: in ``echo docker
run -u bob:staff`` or a sentence the ``-u`` is docker's all the same, and the name of a program where it is an argument
is seldom followed by ``run`` and options (``grep docker run.log``). A command is read to its end (a line's end, ``;``,
``|``, ``&&``: :data:`._command_position.COMMAND_REST`), so another command's ``-u`` is never among these options.

Linear: each command holding a tool's name is read once, word by word, from the name to the end of its options; a
later name inside it is not read again. No other command is read: a log's every line would cost a reading.
"""

from __future__ import annotations

import re
from typing import Final

from ._command_position import COMMAND_REST, COMMAND_WORD

__all__ = ["container_options", "holds_container_command"]

_TOOL_NAMES: Final = tuple((tool, re.compile(tool + r"(?=[ \t\"',])"))
                           for tool in ("docker", "podman", "nerdctl", "docker-compose", "podman-compose"))
"""Each tool's name before a space, a quote or a comma: a command of theirs may follow. Searched for by its literal,
in C, one tool at a time (a regex of them all would read a text's every character), and taken where it is a word,
maybe a path's last part (``/usr/bin/docker``), not the end of a longer one (``my-docker``). The standalone compose
tools are tools of their own (``docker`` before a ``-`` is no tool's whole name), whose ``run`` and ``exec`` take the
options ``docker compose run`` takes; a text holding one holds ``docker`` or ``podman``
(:func:`holds_container_command`)."""
_GLUED: Final = frozenset("_.-")
_RUNS: Final = frozenset({"run", "create", "exec"})
"""The subcommands whose ``-u`` / ``--user`` names the user (and group) a container's process runs as."""
_GROUPS: Final = frozenset({"compose", "container"})
"""Words between the tool and its subcommand (``docker compose run``, ``docker container run``)."""
_TAKE_VALUE: Final = frozenset({
    # the tool's own, before its subcommand (docker, podman, nerdctl; docker compose)
    "-c", "--context", "-H", "--host", "--config", "-l", "--log-level", "--tlscacert", "--tlscert", "--tlskey",
    "--connection", "--url", "--identity", "--root", "--runroot", "-n", "--namespace", "--address",
    "-f", "--file", "-p", "--project-name", "--profile", "--env-file", "--project-directory", "--ansi", "--progress",
    # run, create, exec
    "-a", "--attach", "-e", "--env", "-h", "--hostname", "-m", "--memory", "--publish", "-u", "--user", "-v",
    "--volume", "-w", "--workdir", "--add-host", "--annotation", "--blkio-weight", "--cap-add", "--cap-drop",
    "--cgroup-parent", "--cgroupns", "--cidfile", "--cpu-period", "--cpu-quota", "--cpu-shares", "--cpus",
    "--cpuset-cpus", "--cpuset-mems", "--detach-keys", "--device", "--dns", "--dns-option", "--dns-search",
    "--domainname", "--entrypoint", "--expose", "--gpus", "--group-add", "--health-cmd", "--health-interval",
    "--health-retries", "--health-start-period", "--health-timeout", "--index", "--ip", "--ip6", "--ipc",
    "--isolation", "--label", "--label-file", "--link", "--log-driver", "--log-opt", "--mac-address",
    "--memory-reservation", "--memory-swap", "--mount", "--name", "--net", "--network", "--network-alias",
    "--oom-score-adj", "--pid", "--pids-limit", "--platform", "--pod", "--pull", "--restart", "--runtime",
    "--secret", "--security-opt", "--shm-size", "--stop-signal", "--stop-timeout", "--storage-opt", "--sysctl",
    "--tmpfs", "--ulimit", "--userns", "--uts", "--volume-driver", "--volumes-from",
})
"""Those tools' options taking the next word as their value (``--name app``, ``-e X=1``): the tool's own, compose's
and those of ``run``, ``create`` and ``exec``; a short one may end a group of switches (``-itu bob``)."""


def holds_container_command(text: str) -> bool:
    """Whether ``text`` may hold a command of these tools: one's name."""
    return "docker" in text or "podman" in text or "nerdctl" in text


def container_options(text: str) -> list[tuple[int, int]]:
    """Where the options of each ``run``, ``create`` or ``exec`` of a container tool lie in ``text`` (from its
    subcommand to the image, container or service), in order (see the module docstring)."""
    found: list[tuple[int, int]] = []
    for tool, names in _TOOL_NAMES:
        if tool not in text:
            continue
        reach = 0  # a command is read once, a later name inside it not read again
        for name in names.finditer(text):
            at = name.start()
            if at < reach or (at and (text[at - 1].isalnum() or text[at - 1] in _GLUED)):
                continue
            command = COMMAND_REST.match(text, at)
            assert command is not None  # the pattern matches the empty string
            reach = command.end()
            options = _options(text, at, reach)
            if options is not None:
                found.append(options)
    found.sort()
    return found


def _options(text: str, at: int, end: int) -> tuple[int, int] | None:
    """Where the options of the tool's command from ``at`` (its name) to ``end`` lie, when it runs, creates or enters
    a container; ``None`` for any other subcommand."""
    tool = COMMAND_WORD.match(text, at, end)
    assert tool is not None  # the program's name is a word
    at, start = tool.end(), -1
    value = False  # whether the next word is the value of the option before it
    while (word := COMMAND_WORD.match(text, at, end)) is not None:
        name = word.group(word.lastgroup or "bare")
        if value:
            value = False
        elif name == "--" or not name.startswith("-") or len(name) < 2:
            if start >= 0:  # the image, the container or the service (or ``--``): the options end
                return start, word.start()
            if name in _RUNS:
                start = word.end()
            elif name not in _GROUPS:
                return None
        else:
            value = _takes_value(name)
        at = word.end()
    return None if start < 0 else (start, at)


def _takes_value(option: str) -> bool:
    """Whether ``option`` takes the next word as its value: a long one known to, not given with ``=``; a short one, or
    a group of them, ending with one known to (``-u``, ``-itu``; ``-ubob`` has it glued on)."""
    if option.startswith("--"):
        return "=" not in option and option in _TAKE_VALUE
    for index, letter in enumerate(option[1:], 2):
        if f"-{letter}" in _TAKE_VALUE:
            return index == len(option)
    return False
