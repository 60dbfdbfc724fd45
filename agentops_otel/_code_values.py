"""What stands where a secret-named pair's value would be without being one: code, templates, placeholders.

The text a trace records is often code (a model's answer, a tool's source file) or a template (a config, a
command line): ``def f(token: str)``, ``login(password=password)``, ``f"Bearer {token}"``, ``$OPENAI_API_KEY``.
Masked, such text stops reading as what it was (and, in a replay, as code at all), and nothing was hidden: the
secret is elsewhere. So a value is no value when it is

* where a value comes from: a call or an index (``getpass()``, ``os.environ["…"]``, ``await getToken()``), a
  variable (``$TOKEN``, ``${{ secrets.X }}``), a command's output (``$(cat token.txt)``), structured data (read
  by its keys elsewhere), the marker;
* a literal saying there is none (``null``, ``None``, ``true``), or a table's ``|``, a rule, ``********``;
* a template: placeholders (``{token}``, ``${X}``, ``$X``, ``%s``, ``%(pw)s``, ``<your-password>``) with at most
  an auth scheme and separators around them (``Bearer {token}``, ``{user}:{password}``);
* a count: an integer after a name that counts a model's tokens (``token: 512``, ``max_token=4096``; see
  :func:`._secret_names.counts_tokens`), up to nine digits: a longer run of digits may be a credential;
* code: an attribute path (``request.cookies``, ``self.token``), the name itself (``password=password``), a
  type annotation after ``:`` (``token: str``; a default after it, ``api_key: str = "…"``, is the value), or a
  lower-case word passed on inside a call's or a literal's brackets (``f(password=pw)``, ``{token: t}``).

A value is judged by what it starts with, never read to its end: :mod:`._named_values` refuses most values this
way, and must stay linear on any text. What is left (digits, capitals, text around a placeholder, a value at the
end of an ``.env`` line, a word before a comma in a sentence) is masked: ``password=hunter2)``,
``f(password=Hunter)``, ``DB_PASSWORD=swordfish`` and ``password=hunter, retrying`` are; ``f(password=hunter)``
is not (no rule tells it from ``f(password=pw)``).
"""

from __future__ import annotations

import re
from typing import Final

from ._secret_names import counts_tokens

__all__ = ["annotated_default", "is_template", "no_value_at", "stands_for_value", "variable_at"]

NOT_A_VALUE: Final = re.compile(r"(?:(?:await|new|yield)[ \t]+)?[A-Za-z_][A-Za-z0-9_.]*[(\[]"
                                r"|\$[{(]|\$[A-Z_][A-Z0-9_]*\b|[{\[]|\[REDACTED")
"""Where a value comes from, not the value: a call or an index, a variable or a command's output (``$(cat f)``),
structured data, the marker."""
_VARIABLE: Final = re.compile(r"\$[{(]|\$[A-Z_][A-Z0-9_]*\b|\{|\[REDACTED")
_LITERAL: Final = r"(?i:null|none|nil|undefined|true|false)[).,:\]}]*"
_ENDS: Final = (r"(?:[\s\"'`<>&;]|\Z)", r"[ \t]*(?:[\r\n\"'`<>]|\Z)")
"""Where a bare value ends, and where a header's (the rest of its line) does."""
_LITERALS: Final = tuple(re.compile(_LITERAL + end) for end in _ENDS)
_PUNCTUATION: Final = tuple(re.compile(r"[|*\-_.~#]+" + end) for end in _ENDS)
"""A table's ``|``, a rule, stars shown in place of a value: no value (other symbols may be a password's)."""
_COUNT: Final = tuple(re.compile(r"(?:[0-9]{1,3}(?:,[0-9]{3}){1,2}|[0-9]{1,9})[).,:;\]}]*" + end) for end in _ENDS)
"""An integer (``512``, ``1,200``) that is the whole value: a count after a name that counts tokens."""
_PLACEHOLDER: Final = (r"\{\{?[^{}\r\n\"'`]{1,100}\}\}?|\$\{\{?[^{}\r\n\"'`]{1,100}\}\}?|\$[A-Za-z_]\w{0,100}"
                       r"|%\(\w{1,100}\)[sdr]|%[sdr]|<[A-Za-z][\w\- ]{0,100}>")
_AROUND: Final = r"[:/@.,\-]"
_TEMPLATE: Final = re.compile(rf"(?:(?:[Bb]earer|[Bb]asic|[Tt]oken|Bot)[ \t]+)?{_AROUND}*(?:{_PLACEHOLDER})"
                              rf"(?:{_PLACEHOLDER}|{_AROUND})*")
"""Placeholders, maybe after an auth scheme, with separators around them: the template of a value."""
_TEMPLATE_ENDS: Final = (re.compile(r"[).,\]}:]*" + _ENDS[0]), re.compile(_ENDS[1]))
_IDENTIFIER: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
_IDENTIFIER_ENDS: Final = tuple(re.compile(r"[).,:;\]}]*" + end) for end in _ENDS)
"""After an identifier that is the whole value (of a header: the rest of its line)."""
_PATH: Final = re.compile(r"[a-z_][A-Za-z0-9_]*(?:\.[a-z_][A-Za-z0-9_]*)+")
"""An attribute path (``request.cookies``, ``this.authToken``): code; a token's dotted parts are not all
lower-case at their start (``hvs.CAESI…``)."""
_WORD: Final = re.compile(r"[a-z_][A-Za-z_]*")
_PASSED_ON: Final = frozenset(",)}]")
_TYPES: Final = frozenset({
    "str", "int", "float", "bool", "bytes", "dict", "list", "tuple", "set", "frozenset", "object", "Any", "None",
    "string", "number", "boolean", "any", "unknown", "SecretStr", "SecretBytes", "Secret",
})
"""Type names after ``name:`` (Python, TypeScript, pydantic): an annotation, not a value."""
_DEFAULT: Final = re.compile(r"[ \t]*=(?![=>])")


def no_value_at(text: str, at: int, start: int, name: str, header: bool, alone: bool = True) -> bool:
    """Whether what starts at ``start`` (after ``name`` and its separator at ``at``, not a quote) stands for a
    value rather than holding one (see the module docstring); ``header``: it would run to the end of the line;
    ``alone``: whether ``token`` alone may count (:func:`._secret_names.counts_tokens`)."""
    if (NOT_A_VALUE.match(text, start) is not None or _LITERALS[header].match(text, start) is not None
            or _PUNCTUATION[header].match(text, start) is not None or is_template(text, start, "", header)
            or (_COUNT[header].match(text, start) is not None and counts_tokens(name, alone))):
        return True
    identifier = _IDENTIFIER.match(text, start)
    if identifier is None or _IDENTIFIER_ENDS[header].match(text, identifier.end()) is None:
        return False
    word, after = identifier.group(), text[identifier.end():identifier.end() + 1]
    return (_PATH.fullmatch(word) is not None or _same_name(word, name) or (text[at] == ":" and word in _TYPES)
            or (after in _PASSED_ON and _WORD.fullmatch(word) is not None and _in_brackets(text, at)))


_BACK: Final = 256


def _in_brackets(text: str, at: int) -> bool:
    """Whether ``at`` is inside a bracket opened earlier on its line (a call's arguments, an object literal):
    code, where ``password=pw,`` passes a variable on; in a sentence (``password=hunter, retrying``) it is not."""
    before = text[max(0, at - _BACK):at]
    return max(before.rfind(c) for c in "({[") > max(before.rfind(c) for c in ")}]\n")


def annotated_default(text: str, start: int, separator: str) -> int | None:
    """Where the ``=`` of a default after a type annotation is (``api_key: str = "…"``: the value is after it)."""
    if separator != ":":
        return None
    identifier = _IDENTIFIER.match(text, start)
    if identifier is None or identifier.group() not in _TYPES:
        return None
    default = _DEFAULT.match(text, identifier.end())
    return None if default is None else default.end() - 1


def is_template(text: str, start: int, closing: str, header: bool = False) -> bool:
    """Whether the value starting at ``start`` is a template to its end: the ``closing`` quote (or the end of the
    line, for a quote never closed), else the end of a bare value or of a header's line."""
    template = _TEMPLATE.match(text, start)
    if template is None:
        return False
    end = template.end()
    if closing:
        return text.startswith(closing, end) or end == len(text) or text[end] in "\r\n"
    return _TEMPLATE_ENDS[header].match(text, end) is not None


def variable_at(text: str, start: int) -> bool:
    """Whether what starts at ``start`` is where a value comes from (``${X}``, ``$(cmd)``, ``$TOKEN``, ``{``,
    the marker), said by its start alone: for a value too long to be read whole before it is judged."""
    return _VARIABLE.match(text, start) is not None


def stands_for_value(value: str, name: str, alone: bool = True) -> bool:
    """Whether a whole value (a query parameter's or a form field's) is a placeholder, a variable, a literal or
    the name itself (``?token={token}``, ``password=password``, ``auth=True``), or a count under a name counting tokens
    (``alone``: :func:`._secret_names.counts_tokens`)."""
    return (_VARIABLE.match(value) is not None or _LITERALS[0].fullmatch(value) is not None
            or _TEMPLATE.fullmatch(value) is not None or _same_name(value, name)
            or (_COUNT[0].fullmatch(value) is not None and counts_tokens(name, alone)))


def _same_name(word: str, name: str) -> bool:
    """``password=password``, ``self.token=token``, ``token=self.token``: the value is the name's variable."""
    return word.rpartition(".")[2].lower() == name.rpartition(".")[2].lstrip("-").lower()
