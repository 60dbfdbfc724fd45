"""Where a replay stops matching its recording, said so a developer can see the cause at a glance.

The unit is the agent's step (an LLM call or a tool call), not the HTTP request: the first step the
agent takes that the recording does not have at that point — another tool, other arguments, other
messages, a call too many or too few — ends the replay with both stories side by side up to there
and a unified diff of the two requests. Matching is strict by default; ``ignore`` names fields that
may differ (``temperature``, ``params.seed``, ``messages.*.parts.*.id``).
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from .._json_equal import same_json
from ._cassette import LLMStep, ToolStep, step_label
from ._providers import CONTENT_DIGEST

__all__ = ["ActualStep", "DivergenceError", "compare", "describe_recorded", "differing_fields", "strip_ignored",
           "with_extra"]

_SHOWN = 90


@dataclass(frozen=True)
class ActualStep:
    """What the agent did at one step of the replay."""

    label: str
    detail: str
    view: Any = None
    """The request view (LLM) or arguments (tool) that was compared."""


def strip_ignored(value: Any, patterns: Sequence[str], path: tuple[str, ...] = ()) -> Any:
    """``value`` without the fields ``patterns`` name: a bare name anywhere, or a dotted path with ``*``."""
    if not patterns:
        return value
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            here = (*path, str(key))
            if any(_matches(p, here) for p in patterns):
                continue
            out[key] = strip_ignored(item, patterns, here)
        return out
    if isinstance(value, list):
        return [strip_ignored(item, patterns, (*path, str(i))) for i, item in enumerate(value)]
    return value


def _matches(pattern: str, path: tuple[str, ...]) -> bool:
    if "." not in pattern:
        return fnmatchcase(path[-1], pattern)
    parts = pattern.split(".")
    return len(parts) == len(path) and all(fnmatchcase(seg, pat) for seg, pat in zip(path, parts, strict=True))


def with_extra(recorded: dict[str, Any], recorded_extra: dict[str, Any], actual: dict[str, Any],
               actual_extra: dict[str, Any], ignore: Sequence[str],
               actual_content: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Both request views with their fields outside the view (``extra``), as compared.

    A content field's digest is compared only where the recording has one (a cassette recorded before they
    were kept has none) and no ``ignore`` pattern reaches inside that field (as the view shows it, or as
    ``actual_content`` holds it, sent): a digest of the whole field would fail on the part the user said
    may vary.
    """
    actual_extra = dict(actual_extra)
    digests = actual_extra.pop(CONTENT_DIGEST, None)
    kept = recorded_extra.get(CONTENT_DIGEST)
    if isinstance(digests, dict) and isinstance(kept, dict):
        reached = {name for name in set(digests) | set(kept)
                   if any(_reaches(ignore, name, view) for view in (recorded.get(name), actual.get(name),
                                                                    actual_content.get(name)))}
        if reached:
            recorded_extra = {**recorded_extra, CONTENT_DIGEST: {k: v for k, v in kept.items() if k not in reached}}
            digests = {k: v for k, v in digests.items() if k not in reached}
        actual_extra[CONTENT_DIGEST] = digests
    return {**recorded, "extra": recorded_extra}, {**actual, "extra": actual_extra}


def _reaches(patterns: Sequence[str], name: str, view: Any) -> bool:
    """Whether a pattern names ``name`` itself or something inside its view."""
    for pattern in patterns:
        if "." in pattern:
            if fnmatchcase(name, pattern.split(".", 1)[0]):
                return True
        elif fnmatchcase(name, pattern) or any(fnmatchcase(key, pattern) for key in _keys(view)):
            return True
    return False


def _keys(value: Any, depth: int = 0) -> Iterable[str]:
    if depth > 64:
        return
    if isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _keys(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            yield from _keys(item, depth + 1)


def _pretty(value: Any) -> list[str]:
    return json.dumps(value, sort_keys=True, indent=2, ensure_ascii=False, default=repr).splitlines()


def compare(recorded: Any, actual: Any, ignore: Sequence[str]) -> str | None:
    """A unified diff of the two (after ``ignore``), or None when they agree."""
    a = strip_ignored(recorded, ignore)
    b = strip_ignored(actual, ignore)
    if same_json(a, b):
        return None
    a, b = _without_shown_digests(a, b)
    lines = difflib.unified_diff(_pretty(a), _pretty(b), "recorded", "actual", n=2, lineterm="")
    return "\n".join(lines)


def _without_shown_digests(a: Any, b: Any) -> tuple[Any, Any]:
    """Both views without the digests of the content fields whose own views differ: the diff of the field
    says what changed, and two hashes above it would only be noise. A digest stays where the views agree
    (a change in a part the view does not show)."""
    if not (isinstance(a, dict) and isinstance(b, dict)):
        return a, b
    x, y = a.get("extra"), b.get("extra")
    if not (isinstance(x, dict) and isinstance(y, dict)):
        return a, b
    dx, dy = x.get(CONTENT_DIGEST), y.get(CONTENT_DIGEST)
    if not (isinstance(dx, dict) and isinstance(dy, dict)):
        return a, b
    shown = {name for name in set(dx) | set(dy) if not same_json(a.get(name), b.get(name))}
    if not shown:
        return a, b
    def trimmed(view: dict[str, Any], extra: dict[str, Any], digests: dict[str, Any]) -> dict[str, Any]:
        kept = {k: v for k, v in digests.items() if k not in shown}
        return {**view, "extra": {**{k: v for k, v in extra.items() if k != CONTENT_DIGEST},
                                  **({CONTENT_DIGEST: kept} if kept else {})}}
    return trimmed(a, x, dx), trimmed(b, y, dy)


def differing_fields(recorded: Any, actual: Any, ignore: Sequence[str]) -> list[str]:
    """``params.max_tokens``, ``extra.tool_choice``: where two requests differ, named in the headline,
    as a diff's context lines may not reach the field's name (a deep JSON schema)."""
    a, b = strip_ignored(recorded, ignore), strip_ignored(actual, ignore)
    if not isinstance(a, dict) or not isinstance(b, dict):
        return []
    out: list[str] = []
    for key in sorted(set(a) | set(b), key=str):
        x, y = a.get(key), b.get(key)
        if same_json(x, y):
            continue
        if key in ("params", "extra", "headers") and isinstance(x, dict) and isinstance(y, dict):
            for k in sorted(set(x) | set(y), key=str):
                if same_json(x.get(k), y.get(k)):
                    continue
                if k == CONTENT_DIGEST and isinstance(x.get(k), dict) and isinstance(y.get(k), dict):
                    inner, other = x[k], y[k]
                    out += [f"{name} (in a part the trace does not show)"
                            for name in sorted(set(inner) | set(other)) if inner.get(name) != other.get(name)
                            and a.get(name) == b.get(name)]
                else:
                    out.append(f"{key}.{k}")
        else:
            out.append(str(key))
    return out


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True, default=repr)
    text = " ".join(text.split())
    return text if len(text) <= _SHOWN else text[:_SHOWN - 1] + "…"


def _last_text(view: dict[str, Any]) -> str:
    messages = view.get("messages")
    if isinstance(messages, list) and messages:
        last = messages[-1]
        parts = last.get("parts") if isinstance(last, dict) else None
        if isinstance(parts, list):
            for part in parts:
                if isinstance(part, dict):
                    for key in ("content", "response", "arguments"):
                        if key in part:
                            return _short(part[key])
    return _short(view.get("input", ""))


def _answer_text(step: LLMStep) -> str:
    body = step.body
    if step.events is not None:
        texts: list[str] = []
        for ev in step.events:
            data = ev.get("data")
            if isinstance(data, dict):
                for choice in data.get("choices") or ():
                    delta = choice.get("delta") or {}
                    if isinstance(delta.get("content"), str):
                        texts.append(delta["content"])
                if data.get("type") == "response.output_text.delta":
                    texts.append(str(data.get("delta", "")))
        return _short("".join(texts))
    if isinstance(body, dict):
        for choice in body.get("choices") or ():
            msg = choice.get("message") or {}
            if msg.get("tool_calls"):
                calls = msg["tool_calls"]
                return _short(", ".join(f"{c['function']['name']}({c['function'].get('arguments', '')})"
                                        for c in calls if isinstance(c, dict) and "function" in c))
            if isinstance(msg.get("content"), str):
                return _short(msg["content"])
        if isinstance(body.get("output_text"), str):
            return _short(body["output_text"])
        if "error" in body:
            return _short(body["error"])
    return ""


def describe_recorded(step: LLMStep | ToolStep) -> str:
    """One line of a recorded step: its input and what it gave back."""
    if isinstance(step, ToolStep):
        out = f"raised {step.error['type']}: {step.error['message']}" if step.error else _short(step.result)
        return f"{_short(step.arguments)} -> {out}"
    return f"{_last_text(step.request)!s} -> {_answer_text(step)}"


def describe_args(arguments: Any) -> str:
    return _short(arguments)


def describe_actual_llm(view: dict[str, Any]) -> str:
    return _last_text(view)


@dataclass(eq=False)
class DivergenceError(AssertionError):
    """The agent under replay took a step the recording does not have at that point."""

    index: int
    reason: str
    recorded: list[LLMStep | ToolStep]
    actual: list[ActualStep]
    diff: str | None = None
    where: str = ""
    hint: str = field(default="")

    def __post_init__(self) -> None:
        super().__init__(self.headline())
        self.add_note(self.details())  # shown by pytest and tracebacks; str() stays one line for end reasons

    def __str__(self) -> str:
        return self.headline()

    def headline(self) -> str:
        where = f"replay of {self.where}" if self.where else "replay"
        return f"{where} diverged at step {self.index}: {self.reason}"

    def render(self) -> str:
        """The headline and the details: what the test report shows."""
        return f"{self.headline()}\n{self.details()}"

    def details(self) -> str:
        lines: list[str] = []
        if self.diff:
            lines += ["", "Recorded vs actual:", self.diff]
        lines += ["", f"Recorded, steps 0-{self.index}:"]
        lines += _column(f"{i:>3}  {step_label(s)}  {describe_recorded(s)}"
                         for i, s in enumerate(self.recorded[: self.index + 1]))
        lines += ["", f"Actual, steps 0-{self.index}:"]
        lines += _column(f"{i:>3}  {a.label}  {a.detail}" for i, a in enumerate(self.actual[: self.index + 1]))
        if self.hint:
            lines += ["", self.hint]
        return "\n".join(lines)


def _column(items: Iterable[str]) -> list[str]:
    out = list(items)
    return out or ["  (none)"]

DivergenceError.__module__ = "agentops_otel.testing"  # how tracebacks and replays name it
