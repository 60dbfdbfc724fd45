"""Secret-named elements of XML or HTML: ``<password>…</password>``, ``<api_key>…</api_key>``, a SOAP header's
``<wsse:Password Type="…">…</wsse:Password>``, a model told to answer in tags.

An element's name says that its text is a secret as a key's does (:func:`._secret_names.is_secret_key`, on the
name with its namespace: ``wsse:Password``, ``Token``), and its text, between the opening and the closing tag,
is the whole value: masked whole, the tags and the white space around it kept. Only an element closed by its
own name right after its text counts: ``enter your <password> and press <b>Go</b>`` holds a placeholder, not an
element, and an element holding other elements (``<token><value>…</value></token>``) is read by those. Text that
stands for a value (a variable, a template, a literal, the name itself, a count of tokens) is kept, as in a pair
(:func:`._code_values.stands_for_value`).

Linear: the regex starts with a literal ``<`` and reads a bounded name and attributes, then the text to the next
``<``, which no other element's start reads.
"""

from __future__ import annotations

import re
from typing import Final

from ._code_values import stands_for_value
from ._secret_names import either_case, is_secret_key, secret_endings

__all__ = ["mask_elements"]

_ELEMENT: Final = re.compile(r"<(?P<name>(?=[A-Za-z_])[\w.:\-]{0,63}?(?:" + "|".join(either_case(secret_endings()))
                             + r")[0-9_.vV\-]{0,8})(?:[ \t\r\n][^<>]{0,256})?>(?P<text>[^<]*+)</(?P=name)[ \t\r\n]*>")
"""An element with text only, closed by its own name, the name ending in a secret word (maybe numbered:
``token_2``; :func:`._secret_names.is_secret_key` has the last say), so that the elements of an HTML page
cost no step in Python (about 35 ms for a megabyte of tags); attributes up to 256 characters."""
_MARKER: Final = "[REDACTED"


def mask_elements(text: str, marker: str) -> str:
    """``text`` with the text of each secret-named element replaced by ``marker`` (see the module docstring)."""
    out: list[str] = []
    done = 0
    for element in _ELEMENT.finditer(text):
        value = element.group("text")
        stripped = value.strip()
        name = element.group("name")
        if (not stripped or stripped.startswith(_MARKER) or not is_secret_key(name)
                or stands_for_value(stripped, name)):
            continue
        start = element.start("text") + len(value) - len(value.lstrip())
        out.append(text[done:start])
        out.append(marker)
        done = start + len(stripped)
    if not out:
        return text
    out.append(text[done:])
    return "".join(out)
