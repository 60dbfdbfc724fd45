"""A secret-named key's value written as a YAML block scalar: an indicator ending the key's line (``|``, ``>``, maybe
with chomping and indentation indicators: ``|-``, ``>+``, ``|2``, and a comment) and the value on the more-indented
lines below it. A kubeconfig's ``client-key-data: |`` (a private key, base64, wrapped), a Kubernetes Secret's
``password: |``, a CI file's ``private_key: |`` holding a PEM body.

On its own line the indicator reads as a table's ``|`` or a rule (no value: :mod:`._code_values`), and the lines below
belong to no pair, so without this reading the whole value was recorded. The block is what YAML reads as one: its first
non-blank line sets its indentation, which must be deeper than the key's column; it runs over blank lines and ends
before the first line indented less. Only a key starting its line (past indentation and a list's ``-``) opens one:
``| token: |`` in a markdown table, an empty block (the next line no deeper) and a flow mapping's ``{password: |}``
open none. The block's text, from its first character to its last line's end, becomes one marker: the key keeps its
indicator and the marker its first line's indentation, so the YAML still reads as a mapping.

Linear: a block's lines are read once (and the pairs inside a masked one are not read again); a refused one costs the
blank lines after the key and one line more.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["block_after"]

_INDICATOR: Final = re.compile(r"[ \t]*(?:[!&][^\s|>]*[ \t]+){0,2}"
                               r"[|>](?:[1-9][+-]?|[+-][1-9]?)?(?:[ \t]+#[^\r\n]*)?[ \t]*(?=\r?\n)")
"""After the key's ``:``: the block indicator, with its chomping (``-``, ``+``) and indentation (``1``-``9``) indicators
in either order, and a comment, ending the line. A tag and an anchor may stand before it (``!!binary |``: base64 of
the secret itself, Ansible's ``!vault |``, ``&key |``): the block is the value all the same."""
_INDENT: Final = re.compile(r" *")
_BLANK: Final = re.compile(r"[ \t]*(?:\r?\n|\r?\Z)")


def block_after(text: str, at: int, key_start: int) -> tuple[int, int] | None:
    """Where the block scalar opened after the ``:`` at ``at`` lies (its first line's first character to its last
    non-blank line's end), for the key starting at ``key_start``; ``None`` when none is opened there."""
    indicator = _INDICATOR.match(text, at + 1)
    if indicator is None:
        return None
    line_start = text.rfind("\n", 0, key_start) + 1
    if text[line_start:key_start].strip(" -"):  # the key does not start its line: a table's cell, a flow mapping
        return None
    column = key_start - line_start
    size = len(text)
    pos = text.find("\n", indicator.end()) + 1
    first = end = indent = -1
    while 0 < pos < size:
        line_end = text.find("\n", pos)
        line_end = size if line_end < 0 else line_end
        if _BLANK.match(text, pos) is None:
            indentation = _INDENT.match(text, pos)
            assert indentation is not None  # the pattern matches the empty string
            spaces = indentation.end() - pos
            if spaces < indent or (first < 0 and spaces <= column):
                break
            if first < 0:
                first, indent = pos + spaces, spaces
            end = line_end - 1 if text[line_end - 1] == "\r" else line_end
        pos = line_end + 1
    return None if first < 0 else (first, end)
