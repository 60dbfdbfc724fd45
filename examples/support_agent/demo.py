"""``make demo``: run the support agent over a handful of messages and show what each session did.

By default the agent talks to the local OpenAI-compatible server shipped in ``agentops_otel.testing``
(no network, deterministic: one message lacks a customer id and its session fails).
``--provider anthropic`` runs the same agent on Claude against the local Anthropic-compatible server.
With ``--real`` it talks to the provider's real API (``OPENAI_API_KEY`` / ``ANTHROPIC_API_KEY``).
Spans go to ``OTEL_EXPORTER_OTLP_ENDPOINT`` when set, else to the embedded default: OTLP JSON lines
in ``.agentops-otel/traces.jsonl``.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import agentops_otel as agentops
from agentops_otel import export
from agentops_otel._private import private_folder
from agentops_otel.testing import AnthropicServer, OpenAIServer

from .agent import PROVIDER_ENV, PROVIDERS, run_support_agent
from .fake_llm import support_llm_responder

DEFAULT_HTML = ".agentops-otel/replay.html"

MESSAGES = [
    "I was charged twice for my subscription, account 4417",
    "There's a duplicate charge on account 2093",
    "I was charged twice for my subscription",
    "How do I reset my password? The login page keeps saying error.",
    "Double billing issue on customer 7781",
]


def _order(session: agentops.Session) -> str:
    steps = [(e.init_timestamp, e.action_type or "?") for e in session.action_events]
    steps += [(t.init_timestamp, t.name or "?") for t in session.tool_events]
    steps.sort(key=lambda s: s[0] or 0)  # type: ignore[arg-type,return-value]
    return " → ".join(name for _, name in steps) or "(none)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make demo", description=__doc__)
    parser.add_argument("--real", action="store_true",
                        help="use the provider's real API (needs OPENAI_API_KEY / ANTHROPIC_API_KEY)")
    parser.add_argument("--provider", choices=PROVIDERS, default=os.environ.get(PROVIDER_ENV) or "openai",
                        help="which LLM client the agent uses (default: $SUPPORT_AGENT_PROVIDER, else openai)")
    parser.add_argument("--html", default=DEFAULT_HTML, help="where to write the HTML replay")
    args = parser.parse_args(argv)

    os.environ[PROVIDER_ENV] = args.provider
    on_claude = args.provider == "anthropic"
    api = "the Anthropic API" if on_claude else "the OpenAI API"
    server: OpenAIServer | AnthropicServer | None = None
    if args.real:
        key = "ANTHROPIC_API_KEY" if on_claude else "OPENAI_API_KEY"
        if not os.environ.get(key):
            print(f"--real needs {key} in the environment", file=sys.stderr)
            return 2
    else:
        server = (AnthropicServer() if on_claude else OpenAIServer()).start()
        server.set_responder(support_llm_responder)
        prefix = "ANTHROPIC" if on_claude else "OPENAI"
        os.environ[f"{prefix}_BASE_URL"] = server.base_url
        os.environ[f"{prefix}_API_KEY"] = "sk-local-demo"

    agentops.init(service_name="support-agent")
    print(f"support agent on {args.provider}: {len(MESSAGES)} messages, LLM at "
          f"{server.base_url if server else api}")
    print()
    sessions: list[agentops.Session] = []
    for message in MESSAGES:
        try:
            run_support_agent(message)
        except Exception:
            pass  # the session recorded the failure; the demo goes on with the next message
        session = agentops.get_session()
        assert session is not None
        sessions.append(session)
        mark = "✔" if session.end_state == "Success" else "✘"
        print(f"{mark} {session.end_state:<7} ${session.cost:.6f}  {message!r}")
        print(f"    steps: {_order(session)}")
        if session.end_state_reason:
            print(f"    reason: {session.end_state_reason}")
        print(f"    view:  {session.url}")
    agentops.flush()
    print()
    print(f"spans exported to {export.sink_description() or 'your tracer provider'}")

    from agentops_otel.render.html import render_html
    from agentops_otel.render.text import render_text

    timelines = [s.timeline() for s in sessions]
    failed = [t for t, s in zip(timelines, sessions, strict=True) if s.end_state == "Fail"]
    for timeline in failed:
        print()
        print(render_text(timeline, color=None))
    html = Path(args.html)
    # The page holds the customers' messages: a folder of ours (the default) is made 0700 and
    # git-ignored even when no trace file went there first (a collector, or no export); the page is 0600.
    private_folder(str(html.parent), ours=str(html.parent) if args.html == DEFAULT_HTML else None)
    fd = os.open(html, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # an older page keeps its mode through O_TRUNC
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(render_html(timelines))
    print()
    print(f"HTML replay of all {len(timelines)} sessions: {html}")
    if not os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        print(f"replay later from the file: .venv/bin/agentops-otel sessions --source {export.sink_description()[5:]}"
              if (export.sink_description() or "").startswith("file ") else "")
    if server is not None:
        server.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
