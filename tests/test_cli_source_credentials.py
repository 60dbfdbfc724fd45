"""A password in the source URL (``http://user:password@jaeger:16686``) is used, and never shown."""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
from test_cli import _Jaeger, run, session_line

PASSWORD = "s3cret-pw"


class _GuardedJaeger(_Jaeger):
    """The Jaeger look-alike behind basic auth, as a proxy in front of a shared Jaeger puts it."""

    def do_GET(self) -> None:
        wanted = "Basic " + base64.b64encode(f"ci:{PASSWORD}".encode()).decode()
        if self.headers.get("Authorization") != wanted:
            self._send(401, {"error": "unauthorized"})
            return
        super().do_GET()


@pytest.fixture
def guarded() -> Iterator[str]:
    """host:port of a Jaeger that wants user ``ci`` and :data:`PASSWORD`; ten sessions, two failed."""
    _Jaeger.lines = [session_line(n, fail=n in (3, 7)) for n in range(1, 11)]
    server = ThreadingHTTPServer(("127.0.0.1", 0), _GuardedJaeger)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_gate_report_and_links_leave_the_password_out(guarded: str) -> None:
    """The gate reads with the URL's credentials; its report, links and JSON never print the password."""
    source = f"jaeger://ci:{PASSWORD}@{guarded}"
    code, out, err = run("gate", "--source", source, "--since", "1h", "--max-failure-rate", "0.05")
    assert code == 1, err
    assert "Failed: 2/10" in out
    assert PASSWORD not in out + err
    assert f"  s_0003  http://{guarded}/trace/{3:032x}" in out  # a link for the browser, without credentials
    code, out, err = run("gate", "--source", source, "--since", "1h", "--max-failure-rate", "0.05", "--json")
    assert code == 1 and PASSWORD not in out + err


def test_a_refused_password_is_not_echoed(guarded: str) -> None:
    """HTTP 401 for a wrong password names the server, not the password that was tried."""
    code, out, err = run("sessions", "--source", f"http://ci:wrong-{PASSWORD}@{guarded}")
    assert code == 2
    assert "HTTP 401" in err and guarded in err
    assert PASSWORD not in out + err


def test_an_unreachable_backend_is_named_without_the_password() -> None:
    """A connection error names the host it tried, not the credentials in the URL."""
    code, out, err = run("replay", f"{1:032x}", "--source", f"tempo://ci:{PASSWORD}@127.0.0.1:1", "--timeout", "2")
    assert code == 2
    assert "cannot reach Tempo" in err and "127.0.0.1:1" in err
    assert PASSWORD not in out + err


def test_session_list_links_leave_the_password_out(guarded: str) -> None:
    """The sessions table links each session to the backend without the credentials used to read it."""
    code, out, err = run("sessions", "--source", f"jaeger://ci:{PASSWORD}@{guarded}")
    assert code == 0, err
    assert f"http://{guarded}/trace/{3:032x}" in out
    assert PASSWORD not in out + err


def test_an_exported_test_does_not_carry_the_password(guarded: str, tmp_path: Path) -> None:
    """export-test writes where it read the session from into the test and cassette, without the password."""
    target = tmp_path / "test_exported.py"
    code, out, err = run("export-test", "s_0001", "--source", f"jaeger://ci:{PASSWORD}@{guarded}",
                         "--call", "agents.support:run", "--args", '["hi"]', "--out", str(target))
    assert code == 0, err
    written = target.read_text(encoding="utf-8") + (tmp_path / "cassettes" / "test_exported.json").read_text()
    assert guarded in written
    assert PASSWORD not in written + out + err


@pytest.mark.parametrize("source", [f"http://127.0.0.1:1/?access_token={PASSWORD}",
                                    f"tempo://127.0.0.1:1/?sig={PASSWORD}&org=1",
                                    f"prometheus://127.0.0.1:1/?api_key={PASSWORD}"])
def test_a_token_in_the_source_urls_query_is_not_echoed(source: str) -> None:
    """A backend named with a secret-named query parameter (a proxy's ?access_token=) is named without its value."""
    command = ("gate", "--max-failure-rate", "0.1") if source.startswith("prometheus") else ("sessions",)
    code, out, err = run(*command, "--source", source, "--timeout", "2")
    assert code == 2
    assert "127.0.0.1:1" in err
    assert PASSWORD not in out + err
