"""Start Arize Phoenix (``phoenix serve``) with its OTLP/gRPC receiver on loopback only.

Run with the Python of Phoenix's own venv (scripts/phoenix.sh). Phoenix binds its HTTP server to
``PHOENIX_HOST``, but its gRPC receiver always to every interface (``[::]:PORT``); an e2e test must
not listen beyond the machine, so the gRPC bind address is rewritten to 127.0.0.1 before Phoenix
starts. Everything else is Phoenix's ``serve`` command as a user runs it.
"""

from __future__ import annotations

import sys
from typing import Any

import grpc.aio  # type: ignore[import-not-found,unused-ignore]


def _loopback_only(add_port: Any) -> Any:
    def bind(self: Any, address: str, *args: Any) -> Any:
        host, _, port = address.rpartition(":")
        return add_port(self, f"127.0.0.1:{port}" if host in ("[::]", "0.0.0.0", "") else address, *args)

    return bind


def main() -> None:
    server_cls = grpc.aio._server.Server
    server_cls.add_insecure_port = _loopback_only(server_cls.add_insecure_port)
    server_cls.add_secure_port = _loopback_only(server_cls.add_secure_port)
    from phoenix.server.main import main as phoenix_main  # type: ignore[import-not-found,unused-ignore]

    sys.argv = ["phoenix", "serve"]
    phoenix_main()


if __name__ == "__main__":
    main()
