"""The product story's ``scripts/check_session_metrics.py``: fail the build when too many sessions failed.

The story's script asked the AgentOps API for recent session stats. Here the sessions are in your
trace backend, so this is a thin wrapper around ``agentops-otel gate``: the same figures, the same
exit codes (0 within bounds, 1 a bound broken, 2 the backend could not be read, 3 too little data to
decide). Any other gate option is passed through::

    python examples/ci/check_session_metrics.py --max-failure-rate 0.05
    python examples/ci/check_session_metrics.py --max-failure-rate 0.05 --this-run
    python examples/ci/check_session_metrics.py --source jaeger://jaeger:16686 --since 30m --service my-agent
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from agentops_otel.cli import main as agentops_otel_cli

DEFAULT_SOURCE = "jaeger://localhost:16686"
SOURCE_ENV = "AGENTOPS_OTEL_SOURCE"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-failure-rate", required=True, help="e.g. 0.05 (5%% of sessions may fail)")
    parser.add_argument("--source", default=os.environ.get(SOURCE_ENV, DEFAULT_SOURCE),
                        help=f"where the sessions are (default ${SOURCE_ENV} or {DEFAULT_SOURCE})")
    parser.add_argument("--since", help="how far back to look (default the gate's: 1h, or 24h with --run / "
                        "--this-run, so a long CI run is judged whole)")
    parser.add_argument("--service", default=os.environ.get("OTEL_SERVICE_NAME"),
                        help="only this service's sessions (default $OTEL_SERVICE_NAME)")
    parser.add_argument("--tag", action="append", default=[], help="only sessions with this tag")
    args, passed_through = parser.parse_known_args(argv)

    gate = ["gate", "--source", args.source, "--max-failure-rate", args.max_failure_rate]
    if args.since:
        gate += ["--since", args.since]
    if args.service:
        gate += ["--service", args.service]
    for tag in args.tag:
        gate += ["--tag", tag]
    return agentops_otel_cli(gate + passed_through)


if __name__ == "__main__":
    sys.exit(main())
