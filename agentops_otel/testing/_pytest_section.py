"""The replay section the pytest plugin adds under a failed test (``Captured agentops session replay``).

What a developer reads first when a test of an agent fails: the test's session as a replay (or only its
headline, when the assertion message already carries the replay), the sessions started inside it with
where to open each, and where the spans went. Imported only when a test with a session fails.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agentops_otel._guard import guard

if TYPE_CHECKING:
    from agentops_otel.sessions import Session

__all__ = ["section"]


def section(session: Session, replay_in_message: bool) -> str:
    """The test's replay (agent sessions nested in it included), then where each session can be opened."""
    from agentops_otel.export import flush_ours, sink_description

    parts: list[str] = []
    try:
        from agentops_otel.testing._assertions import replay_text, session_url
        from agentops_otel.testing._nested import nested_sessions

        if replay_in_message:
            reason = f" ({session.end_state_reason})" if session.end_state_reason else ""
            parts.append(f"Session {session.id} ({session.name}): {session.end_state}{reason}\n"
                         f"Session URL: {session.url}")
        else:
            parts.append(replay_text(session))
        nested = nested_sessions(session)  # what was recorded: the replay says what was not
        if nested:
            parts.append("Sessions started inside this test:")
            for tl in nested:
                s = tl.summary
                reason = f" ({s.end_reason})" if s.end_reason else ""
                parts.append(f"  - {s.name or 'session'} {s.session_id}: {s.end_state or 'Unknown'}{reason}"
                             f"  {session_url(tl)}")
        if replay_in_message:
            parts.append("The replay is in the assertion message above.")
    except Exception as exc:  # the report must survive a replay bug; the URL still helps
        parts.append(f"(replay unavailable: {type(exc).__name__}: {exc})\nSession URL: {session.url}")
    with guard("pytest_plugin.flush"):
        flush_ours(5_000)  # so the URL opens on something when the developer clicks it right away
    sink = sink_description()
    if sink:
        parts.append(f"Spans exported to {sink}")
    return "\n".join(parts) + "\n"
