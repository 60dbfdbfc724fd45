"""Backends start on ports chosen free a moment before: another process may bind one in between (a second test
worker starting its own backend). Such a start is tried again on fresh ports, not failed."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

from _backends import LOOPBACK, BackendProcess, free_ports, start_with_fresh_ports

# A stand-in backend: binds its port and answers its health check, or says what a Go server says when the port is
# taken, and exits.
_SERVE = """
import http.server, sys
class Ok(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.end_headers()
    def log_message(self, *args):
        pass
try:
    server = http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Ok)
except OSError:
    print("listen tcp 127.0.0.1:" + sys.argv[1] + ": bind: address already in use", flush=True)
    raise SystemExit(1)
server.serve_forever()
"""


def test_a_backend_whose_port_was_taken_meanwhile_starts_on_fresh_ports(tmp_path: Path) -> None:
    """The first ports chosen are taken by the time the backend binds: it is started again on new ones."""
    (taken,) = free_ports(1)
    holder = socket.socket()
    holder.bind((LOOPBACK, taken))
    holder.listen()
    ports = iter([taken])

    def start() -> BackendProcess:
        port = next(ports, None) or free_ports(1)[0]
        process = BackendProcess("stand-in", [sys.executable, "-c", _SERVE, str(port)], {},
                                 tmp_path / "stand-in.log", f"http://{LOOPBACK}:{port}/")
        process.start(10)
        return process

    try:
        process = start_with_fresh_ports(start)
        assert process.running
        process.stop()
    finally:
        holder.close()
