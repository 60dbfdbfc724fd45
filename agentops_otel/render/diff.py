"""A :class:`~agentops_otel.diff.SessionDiff` as text: the shared prefix in brief, both sides of the
step where the runs part, what differed, and what the comparison rests on when the data contradicts
itself. Kept with the other renderings; :mod:`agentops_otel.diff` re-exports it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text

from agentops_otel.render import _format as fmt
from agentops_otel.render.text import step_line, to_string

if TYPE_CHECKING:
    from agentops_otel.diff import SessionDiff
    from agentops_otel.timeline import Timeline

__all__ = ["render_diff"]

_PREFIX_SHOWN = 5
"""How many of the shared steps before the split are listed: the ones that lead up to it."""


def _who(t: Timeline) -> str:
    s = t.summary
    return f"{fmt.escape(s.session_id)} ({fmt.status_of(s)}, {len(t.steps)} steps, {fmt.duration(s.duration_s)})"


def render_diff(diff: SessionDiff, *, color: bool | None = None, max_field: int = 60) -> str:
    """The diff as text: the shared prefix in brief, then both sides of the diverging step."""
    lines: list[Text] = [Text(f"a: {_who(diff.a)}"), Text(f"b: {_who(diff.b)}")]
    common = diff.diverged_at if diff.diverged_at is not None else min(len(diff.a.steps), len(diff.b.steps))
    if common:
        lines.append(Text(f"Same first {common} step(s):", "dim"))
        first = max(0, common - _PREFIX_SHOWN)
        if first:
            lines.append(Text(f"  … {first} earlier step(s)", "dim"))
        for i in range(first, common):
            step = diff.a.steps[i]
            lines.append(Text(f"  #{i} {fmt.offset(step.offset_s)} {step.kind} {fmt.clean(step.name)}", "dim"))
    if diff.diverged_at is None:
        head = Text("No divergence: ", "bold")
        head.append(diff.reason, "bold green" if diff.reason == "identical" else "bold yellow")
        lines.append(head)
    else:
        head = Text(f"Diverged at step #{diff.diverged_at}: ", "bold")
        head.append(diff.reason, "bold red")
        lines.append(head)
        for label, side in (("a", diff.a_step), ("b", diff.b_step)):
            row = Text(f"  {label}  ")
            if side is None:
                row.append("(no more steps)", "dim")
            else:
                row.append_text(step_line(side, max_field=max_field, indent=False))
            lines.append(row)
    for detail in diff.details:
        lines.append(Text(f"  {fmt.escape(detail)}", "yellow"))  # spacing kept: it may be the difference
    if diff.hint:
        lines.append(Text(f"Hint: {diff.hint}", "dim"))
    if diff.contradictions:
        lines.append(Text("The data contradicts itself (the comparison rests on the copy or value kept):", "bold red"))
        lines.extend(Text(f"  {fmt.escape(what)}", "red") for what in diff.contradictions)
    use_color = fmt.want_color() if color is None else color
    return to_string(lines, color=use_color, width=None)
