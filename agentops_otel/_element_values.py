"""Secret-named elements of XML or HTML: ``<password>…</password>``, ``<api_key>…</api_key>``, a SOAP header's
``<wsse:Password Type="…">…</wsse:Password>``, a model told to answer in tags.

An element's name says that its text is a secret as a key's does (:func:`._secret_names.is_secret_key`, on the
name with its namespace: ``wsse:Password``, ``Token``), and its text, between the opening and the closing tag,
is the whole value: masked whole, the tags and the white space around it kept. Only an element closed by its
own name right after its text counts: ``enter your <password> and press <b>Go</b>`` holds a placeholder, not an
element, and an element holding other elements (``<token><value>…</value></token>``) is read by those. One cut
short by the text's end (a long result cut to the value bound, then masked) counts too, unless its text begins
with a space: ``Replace <api_key> with yours`` is a sentence. Text that
stands for a value (a variable, a template, a literal, the name itself, a count of tokens) is kept, as in a pair
(:func:`._code_values.stands_for_value`). Text given as a CDATA section (``<password><![CDATA[…]]></password>``,
white space around it) is the section's content, which may hold ``<``: masked inside the section, its delimiters
kept; one the text's end cuts short is masked to that end.

Linear: the regex starts with a literal ``<`` and reads a bounded name and attributes, then the text to the next
``<``, which no other element's start reads. A closed CDATA section is read once to its end, the elements that seem
to start inside it not read; after one never closed, the elements that follow are read (its end may be what a cut
took), and no section's end is looked for twice.

A config written as attributes names its secret in one attribute and holds it in another: .NET's ``<add
key="ApiKey" value="…"/>``, Spring's and Ant's ``<property name="db.password" value="…"/>``. A tag whose ``key`` or
``name`` attribute is secret-named has its ``value`` attribute masked, inside its quotes (:func:`mask_attributes`),
unless that stands for a value as an element's text would. The regex reads a tag only when one of its attributes
ends in a secret word, so the tags of a form (``<option value="1">``) cost no step in Python.
"""

from __future__ import annotations

import re
from typing import Final

from ._code_values import stands_for_value
from ._secret_names import either_case, is_secret_key, secret_endings

__all__ = ["mask_attributes", "mask_elements"]

_ELEMENT: Final = re.compile(r"<(?P<name>(?=[A-Za-z_])[\w.:\-]{0,63}?(?:" + "|".join(either_case(secret_endings()))
                             + r")[0-9_.vV\-]{0,8})(?:[ \t\r\n][^<>]{0,256})?>(?P<text>[^<]*+)"
                             r"(?:</(?P=name)[ \t\r\n]*>|\Z|(?P<cdata><!\[CDATA\[))")
"""An element with text only, closed by its own name (or cut short by the text's end), the name ending in a
secret word (maybe numbered: ``token_2``; :func:`._secret_names.is_secret_key` has the last say), so that the
elements of an HTML page cost no step in Python (about 35 ms for a megabyte of tags); attributes up to 256
characters. Or the start of a CDATA section after its text (``cdata``), whose end is found in Python."""
_CDATA_END: Final = "]]>"
_CUT: Final = re.compile(r"[\w\"']|[ \t]*\r?\n")
"""How the text of an element the text's end cuts short begins, to be its value: at once, or on the next line
(pretty-printed XML); after a space it is a sentence going on past a placeholder (``Replace <api_key> with
yours``). Holding the marker, it is what a masking left (a quoted value masked to the end of its line swallows
the ``<`` that ended the element): masked again, it would be recorded unlike the first time."""
_MARKER: Final = "[REDACTED"


def mask_elements(text: str, marker: str) -> str:
    """``text`` with the text of each secret-named element replaced by ``marker`` (see the module docstring)."""
    out: list[str] = []
    done = 0
    cdata_end = -1  # where the last closed CDATA section ends
    never_closed = len(text)  # from where on no CDATA section is closed
    for element in _ELEMENT.finditer(text):
        if element.start() < cdata_end or element.start() < done:  # inside a CDATA section, or masked already
            continue
        value = element.group("text")
        stripped = value.strip()
        name = element.group("name")
        if element.group("cdata") is not None:
            start = element.end()
            found = -1 if start >= never_closed else text.find(_CDATA_END, start)
            if found < 0:
                # Never closed (a text cut short, or a stray start): a secret element's section is masked to the
                # end; after any other, what follows is still read for elements (the cut may have taken its end).
                never_closed = min(never_closed, start)  # no later section is closed either: not looked for again
                if stripped or not is_secret_key(name) or text.startswith(_MARKER, start):
                    continue
                inside = text[start:]
                section = inside.strip()
                if not section or section.startswith(_MARKER):
                    continue
            else:
                cdata_end = found
                inside = text[start:found]
                section = inside.strip()
                if (stripped or not section or section.startswith(_MARKER) or not is_secret_key(name)
                        or stands_for_value(section, name)):
                    continue
            start += len(inside) - len(inside.lstrip())
            out.append(text[done:start])
            out.append(marker)
            done = start + len(section)
            continue
        if (not stripped or stripped.startswith(_MARKER) or not is_secret_key(name)
                or stands_for_value(stripped, name)
                or (element.end() == len(text) and not text.endswith(">")
                    and (_CUT.match(value) is None or _MARKER in value))):
            continue
        start = element.start("text") + len(value) - len(value.lstrip())
        out.append(text[done:start])
        out.append(marker)
        done = start + len(stripped)
    if not out:
        return text
    out.append(text[done:])
    return "".join(out)



_NAMING: Final = re.compile(r"[ \t\r\n](?:key|name)[ \t]*=[ \t]*[\"'](?P<name>[^\"'<>]{0,63}?(?:"
                            + "|".join(either_case(secret_endings())) + r")[0-9_.vV\-]{0,8})[\"']")
"""A ``key`` or ``name`` attribute whose value ends in a secret word (maybe numbered; the key rule has the last say).
Only these are read in Python: a form's tags (``<option value="1">``) are passed over in C."""
HOLDS_VALUE: Final = re.compile(r"value[ \t]*=")
"""Text holding none has no ``value`` attribute to mask: a literal first, searched for in C."""
_VALUE: Final = re.compile(r"[ \t\r\n]value[ \t\r\n]*=[ \t\r\n]*(?:\"(?P<dq>[^\"<>]*)\"|'(?P<sq>[^'<>]*)')")
_TAG_MAX: Final = 1024
"""How far from a naming attribute its tag's ``<`` and ``>`` are looked for."""


def mask_attributes(text: str, marker: str) -> str:
    """``text`` with the ``value`` attribute of each tag whose ``key`` or ``name`` is secret-named replaced by
    ``marker`` (see the module docstring)."""
    out: list[str] = []
    done = 0
    for naming in _NAMING.finditer(text):
        name = naming.group("name")
        if naming.start() < done or not is_secret_key(name):
            continue
        opened = text.rfind("<", max(0, naming.start() - _TAG_MAX), naming.start())
        closed = text.find(">", naming.end(), naming.end() + _TAG_MAX)
        if opened < 0 or closed < 0 or ">" in text[opened:naming.start()] or "<" in text[naming.end():closed]:
            continue  # not inside a tag
        held = _VALUE.search(text, max(opened, done), closed)
        if held is None:
            continue
        group = "dq" if held.group("dq") is not None else "sq"
        value = held.group(group).strip()
        if not value or value.startswith(_MARKER) or stands_for_value(value, name):
            continue
        out.append(text[done:held.start(group)])
        out.append(marker)
        done = held.end(group)
    if not out:
        return text
    out.append(text[done:])
    return "".join(out)
