"""Whether a ``NAME=value`` pair is a shell putting a variable in a program's environment: ``export TOKEN=…``,
``declare -x`` / ``typeset -x``, ``env TOKEN=… cmd``, PowerShell's ``$env:TOKEN = …``, and an upper-case ``TOKEN=…``
before the command it is given to (``TOKEN=… ./deploy.sh``, after ``&&`` or a prompt's ``$`` too).

A name holding the word ``token`` alone may count a model's tokens where a config or a sentence writes it (``token:
512``, ``token=5 means five``), so digits under it are kept there (:func:`._secret_names.counts_tokens`). A program's
environment is read by a program: a variable there that counts tokens says what it counts or bounds (``MAX_TOKENS``,
``TOKEN_LIMIT``, ``NUM_TOKENS``), and ``TOKEN`` alone is given a token, of digits as any other, as a command line's
``--token`` is. A variable set without being exported (``local``, ``declare -r``, a lower-case ``token=5`` at a line's
start) is left to the config's reading: nothing says a program reads it.

Cheap: asked only for a pair whose name ends with ``token`` and whose value starts with a digit; it reads back at
most :data:`_BACK` characters to where the command starts.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["sets_environment"]

_BACK: Final = 160
"""How far back the command's start is looked for: a prompt, the word exporting the name and a few assignments before
it fit; past it the name is read as a config's (kept)."""
_PREFIX_REVERSED: Final = re.compile(
    r"(?>[ \t]+[^\s;|&]*=[A-Za-z0-9_]*[A-Za-z_](?![A-Za-z0-9_])){0,8}+"
    r"(?:[ \t]+(?P<options>(?:[A-Za-z]+-[ \t]+)*)(?P<keyword>tropxe|vne|eralced|tesepyt))?"
    r"(?:[ \t]+[$#%>])?[ \t]*(?:[\r\n;|&`(]|(?<=[ \t]):)")
"""Read over the text before the name, reversed, from the name back: a few other assignments (``export A=1 TOKEN=…``,
``A=1 TOKEN=… cmd``), the word exporting it with its options (``declare -rx``), a prompt, and where the command starts
(as :mod:`._command_position` reads it: a line's end, a separator, a subshell, a colon ending a label: ``run: export
TOKEN=…``). Reversed, the match starts at the name and stops where the command starts or at the first word that is
none of these, an assignment matched never read again (atomic, possessive), so a long run of pairs costs each of its
names a few dozen characters."""
_COMMAND_AFTER: Final = re.compile(r"[^\s;|&\"'`]+[ \t]+[^\s;|&#]")
"""After an assignment's ``=``: a bare value, then the command it is given to (not a comment, not a separator)."""
_KEYWORDS: Final = {"export": True, "env": True, "declare": False, "typeset": False}
"""The words exporting a name, with whether they do so without an ``x`` among their options."""
_POWERSHELL: Final = "$env:"


def sets_environment(text: str, name_start: int, at: int) -> bool:
    """Whether the name starting at ``name_start``, its ``=`` at ``at``, is a variable a shell puts in a program's
    environment (see the module docstring)."""
    if text[max(0, name_start - len(_POWERSHELL)):name_start].lower() == _POWERSHELL:
        return True
    name = text[name_start:at]
    given = name.isupper() and _COMMAND_AFTER.match(text, at + 1) is not None  # ``TOKEN=… cmd``
    low = max(0, name_start - _BACK)
    before = text[low:name_start]
    if not (given or "export" in before or "env" in before or "declare" in before or "typeset" in before):
        return False  # most pairs: no word exports them (the words of :data:`_KEYWORDS`)
    prefix = _PREFIX_REVERSED.match(before[::-1] + ("" if low else "\n"))  # the text's start is a command's
    if prefix is None:
        return False
    keyword = prefix.group("keyword")
    if keyword is None:
        return given and not name[-1:].isspace()
    return _KEYWORDS[keyword[::-1]] or "x" in prefix.group("options")
