"""``python -m agentops_otel``: the same CLI as the ``agentops-otel`` script, for environments
where console scripts are not on PATH (CI containers, ``pipx run`` without install)."""

from __future__ import annotations

import sys

from agentops_otel.cli import main

if __name__ == "__main__":
    sys.exit(main())
