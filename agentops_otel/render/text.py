"""The replay a developer reads in a terminal or a pytest failure report.

One line per step, in causal order, so the eye can run down the offsets and stop at the ``← ERROR``
marker: the point of a replay is finding *where* it went wrong in seconds, not reading every payload.
Payloads are therefore cut to ``max_field`` characters (the JSON and HTML renderings keep them
whole). The same lines are produced with and without colour; colour is only styling added by
``rich`` when a human is watching.
"""

from __future__ import annotations

import io

from rich.console import Console
from rich.text import Text

from agentops_otel._cost_gaps import unknown_counts
from agentops_otel.reassemble._summary import all_issues
from agentops_otel.render import _format as fmt
from agentops_otel.timeline import Evaluation, SessionSummary, Step, Timeline

KIND_WIDTH = 7
"""Wide enough for ``session`` so names line up under each other."""

KIND_STYLE: dict[str, str] = {
    "llm": "magenta",
    "tool": "cyan",
    "action": "blue",
    "error": "bold red",
    "session": "bold",
    "agent": "green",
    "other": "dim",
}

STATUS_STYLE: dict[str, str] = {
    "Success": "bold green",
    "Fail": "bold red",
    "Indeterminate": "bold yellow",
    "Unknown": "bold yellow",
    "Running": "bold cyan",
    "Partial": "bold yellow",
}


def header_lines(summary: SessionSummary, steps: int | None = None) -> list[Text]:
    """The product story's headline plus the facts a reader checks next (who, where, how much)."""
    status = fmt.status_of(summary)
    cost = fmt.money(summary.cost_usd)
    if not summary.cost_complete:
        cost += " (incomplete)"
    head = Text()
    head.append("Session: ", "bold")
    head.append(fmt.escape(summary.session_id), "bold")
    head.append(f" | Duration: {fmt.duration(summary.duration_s)} | Cost: {cost} | Status: ")
    head.append(status, STATUS_STYLE.get(status, "bold"))
    lines = [head]

    about: list[str] = []
    if summary.name:
        about.append(f"Name: {fmt.clean(summary.name)}")
    if summary.service_name:
        about.append(f"Service: {fmt.clean(summary.service_name)}")
    if summary.tags:
        about.append("Tags: " + ", ".join(fmt.clean(t) for t in summary.tags))
    about.append(f"Started: {fmt.start_time(summary.start_ns)}")
    lines.append(Text(" | ".join(about), "dim"))

    ids = ["Trace: " + (", ".join(summary.trace_ids) if summary.trace_ids else "unknown")]
    if summary.parent_session_id:
        ids.append(f"Parent session: {fmt.escape(summary.parent_session_id)}")
    if summary.foreign_session_id:
        ids.append("another instrumentation's session.id")
    elif summary.pseudo:
        ids.append("no session.id: grouped by trace")
    lines.append(Text(" | ".join(ids), "dim"))

    counts = [
        *([f"Steps: {steps}"] if steps is not None else []),
        f"LLM calls: {summary.llm_calls if summary.llm_calls_complete else f'≥ {summary.llm_calls}'}",
        f"Tool calls: {summary.tool_calls}",
        f"Actions: {summary.actions}",
        f"Errors: {summary.errors}",
        f"Tokens: {fmt.tokens(summary.input_tokens, summary.input_tokens_complete)} in / "
        f"{fmt.tokens(summary.output_tokens, summary.output_tokens_complete)} out",
    ]
    lines.append(Text(" | ".join(counts), "dim"))
    if summary.cost_gaps:
        gaps = Text("Cost incomplete: ", "bold yellow")
        gaps.append("; ".join(fmt.clean(g) for g in summary.cost_gaps), "yellow")
        lines.append(gaps)
    if summary.end_reason:
        reason = Text("Reason: ", "bold")
        reason.append(fmt.clean(summary.end_reason), "red" if status == "Fail" else "")
        lines.append(reason)
    failed = summary.failed_step
    if failed is not None:
        at = Text("Failed at: ", "bold red")
        at.append(f"{fmt.offset(failed.offset_s)} {failed.kind} {fmt.clean(failed.name)}")
        lines.append(at)
    return lines


def step_line(
    step: Step,
    *,
    max_field: int = 80,
    failed_span_id: str | None = None,
    indent: bool = True,
    passed_through: bool = False,
) -> Text:
    """One replay line: offset, kind, name, timing/cost, short input and output, then the verdict."""
    line = Text()
    line.append(fmt.offset(step.offset_s), "dim")
    line.append("  ")
    if indent:
        line.append("  " * max(step.depth, 0))
    line.append(step.kind.ljust(KIND_WIDTH), KIND_STYLE.get(step.kind, ""))
    line.append(" ")
    line.append(fmt.clean(step.name), "bold")

    meta = [fmt.duration(step.duration_s)]
    if step.cost_usd is not None:
        meta.append(fmt.money(step.cost_usd))
    no_in, no_out = unknown_counts(step)
    if step.input_tokens is not None or step.output_tokens is not None or no_in or no_out:
        meta.append(f"{fmt.tokens(step.input_tokens, not no_in)}→{fmt.tokens(step.output_tokens, not no_out)} tok")
    line.append(f" ({', '.join(meta)})", "dim")

    shown_in = fmt.short(step.input, max_field)
    if shown_in is not None:
        line.append("  in: ", "dim")
        line.append(shown_in)
    shown_out = fmt.short(step.output, max_field, output=True)
    if shown_out is not None:
        line.append("  out: ", "dim")
        line.append(shown_out)
    if step.flags:
        line.append("  [" + ", ".join(step.flags) + "]", "yellow")

    is_failed = failed_span_id is not None and step.span_id == failed_span_id
    if is_failed or (fmt.failed(step) and not passed_through):
        detail = fmt.error_text(step)
        marker = "  ← ERROR" + (f" {fmt.cut(detail, max(max_field, 40))}" if detail else "")
        line.append(marker, "bold red")
    elif fmt.failed(step):
        line.append("  (error passed through)", "red")
    return line


_VERDICT_STYLE: dict[str | None, tuple[str, str]] = {
    "pass": ("✓", "green"), "fail": ("✗", "bold red"), "skip": ("-", "yellow"),
}


def verdict_line(evaluation: Evaluation, session_id: str, max_field: int = 80) -> Text:
    """One verdict: mark, label, check name, the session it judged when nested, then why."""
    mark, style = _VERDICT_STYLE.get(evaluation.label, ("?", "bold"))
    line = Text(f"  {mark} ")
    line.append((evaluation.label or "?").ljust(4), style)
    line.append(" ")
    line.append(fmt.clean(evaluation.name), "bold")
    if evaluation.score is not None and evaluation.label not in _VERDICT_STYLE:
        line.append(f" (score {evaluation.score:g})")
    if evaluation.session_id and evaluation.session_id != session_id:
        line.append(f" [session {fmt.escape(evaluation.session_id)}]", "dim")
    if evaluation.explanation:
        line.append(": " + fmt.cut(fmt.clean(evaluation.explanation), max(max_field, 40) * 2))
    return line


def _footer(summary: SessionSummary) -> Text:
    status = fmt.status_of(summary)
    line = Text()
    line.append(fmt.offset(summary.duration_s), "dim")
    if status == "Running":
        line.append("  ■ Session still running", STATUS_STYLE["Running"])
        return line
    line.append("  ■ Session ended: ")
    line.append(status, STATUS_STYLE.get(status, "bold"))
    if summary.end_reason:
        line.append(f" ({fmt.cut(fmt.clean(summary.end_reason), 120)})")
    return line


def replay_lines(timeline: Timeline, *, max_field: int = 80) -> list[Text]:
    """Every line of the replay as styled text, for callers that compose their own output."""
    summary = timeline.summary
    failed = summary.failed_step.span_id if summary.failed_step is not None else None
    lines = header_lines(summary, steps=len(timeline.steps))
    lines.append(Text())
    if not timeline.steps:
        lines.append(Text("(no steps recorded)", "dim"))
    through = fmt.propagated(timeline.steps)
    lines.extend(
        step_line(s, max_field=max_field, failed_span_id=failed, passed_through=s.span_id in through)
        for s in timeline.steps
    )
    if summary.end_state is not None or summary.root_span_id is not None:
        lines.append(_footer(summary))
    if summary.evaluations:
        lines.append(Text())
        lines.append(Text("Verdicts:", "bold"))
        lines.extend(verdict_line(e, summary.session_id, max_field) for e in summary.evaluations)
    issues = all_issues(timeline)
    if not summary.complete and not issues:
        issues.append("session incomplete")
    if issues:
        lines.append(Text())
        lines.append(Text("Issues:", "bold yellow"))
        lines.extend(Text(f"  ! {fmt.clean(issue)}", "yellow") for issue in issues)
    return lines


def to_string(lines: list[Text], *, color: bool, width: int | None) -> str:
    """Join styled lines, cutting each at ``width``; ANSI styling only when ``color`` is set."""
    if width is not None and width > 0:
        for line in lines:
            if len(line.plain) > width:
                line.truncate(width - 1)
                line.append(fmt.ELLIPSIS)
    if not color:
        return "\n".join(line.plain.rstrip() for line in lines) + "\n"
    buf = io.StringIO()
    console = Console(
        file=buf,
        force_terminal=True,
        color_system="standard",
        width=max([len(line.plain) for line in lines] + [80]) + 1,
        soft_wrap=True,
        highlight=False,
        markup=False,
        emoji=False,
        legacy_windows=False,
    )
    for line in lines:
        line.rstrip()
        console.print(line)
    return buf.getvalue()


def render_text(
    timeline: Timeline, *, color: bool | None = None, width: int | None = None, max_field: int = 80
) -> str:
    """The replay as a string.

    ``color=None`` colours only for a terminal (NO_COLOR / TERM=dumb / a pipe / a pytest report give
    plain text); ``width`` cuts long lines for narrow terminals; ``max_field`` bounds each shown
    input, output and error message.
    """
    use_color = fmt.want_color() if color is None else color
    return to_string(replay_lines(timeline, max_field=max_field), color=use_color, width=width)


__all__ = ["render_text", "replay_lines", "step_line", "verdict_line"]
