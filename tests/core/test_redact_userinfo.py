"""``user:password@host`` written without a scheme, masked only where what holds it says it is credentials: a proxy
setting's value (``HTTPS_PROXY=bob:X@proxy:3128``) and a Go MySQL DSN (``root:X@tcp(db:3306)/app``). The same shape
elsewhere (a mail search's ``from:alice2@gmail.com``, an Erlang node, a matrix product) is kept."""

from __future__ import annotations

import json

import pytest
from _recorded import recorded_argument
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import agentops_otel as agentops
from agentops_otel import semconv


@pytest.mark.parametrize(("text", "masked"), [
    ("HTTPS_PROXY=bob:Xk9mQ2vLr8@proxy:3128", "HTTPS_PROXY=bob:[REDACTED]@proxy:3128"),
    ("export https_proxy=bob:Xk9mQ2vLr8@proxy:3128 && curl x",
     "export https_proxy=bob:[REDACTED]@proxy:3128 && curl x"),
    ('{"ALL_PROXY": "bob:a-Str0ng-P@ss@proxy.corp:1080"}', '{"ALL_PROXY":"bob:[REDACTED]@proxy.corp:1080"}'),
    ('"ALL_PROXY": "bob:a-Str0ng-P@ss@proxy.corp:1080",', '"ALL_PROXY": "bob:[REDACTED]@proxy.corp:1080",'),
    ("proxy: bob:Xk9mQ2vLr8@proxy.corp.local:8080", "proxy: bob:[REDACTED]@proxy.corp.local:8080"),
    ("pip install --proxy bob:Xk9mQ2vLr8@proxy:3128 x", "pip install --proxy bob:[REDACTED]@proxy:3128 x"),
    ("git config --global http.proxy bob:Xk9mQ2vLr8@proxy:8080",
     "git config --global http.proxy bob:[REDACTED]@proxy:8080"),
    ("export http_proxy=http://bob:Xk9mQ2vLr8@proxy:3128", "export http_proxy=http://[REDACTED]@proxy:3128"),
    ("export https_proxy=bob:Xk9mQ2vLr8@proxy:3128&&curl x", "export https_proxy=bob:[REDACTED]@proxy:3128&&curl x"),
    ("HTTPS_PROXY=bob:Xk9mQ2vLr8@proxy:3128;NO_PROXY=localhost",
     "HTTPS_PROXY=bob:[REDACTED]@proxy:3128;NO_PROXY=localhost"),
])
def test_a_proxy_settings_password_is_masked(span_exporter: InMemorySpanExporter, text: str, masked: str) -> None:
    """The password of a proxy variable's, key's or flag's ``user:password@host`` value is masked, scheme or not."""
    assert recorded_argument(span_exporter, text) == masked


@pytest.mark.parametrize(("text", "masked"), [
    ('dsn := "root:Xk9mQ2vLr8@tcp(db:3306)/app"', 'dsn := "root:[REDACTED]@tcp(db:3306)/app"'),
    ("root:Xk9mQ2vLr8@unix(/tmp/mysql.sock)/app", "root:[REDACTED]@unix(/tmp/mysql.sock)/app"),
    ("dsn=root:p@ssW0rd2024@tcp(127.0.0.1:3306)/shop", "dsn=root:[REDACTED]@tcp(127.0.0.1:3306)/shop"),
    ('sql.Open("mysql", "app:Tr0ub4dor&3@tcp(db)/app?parseTime=true")',
     'sql.Open("mysql", "app:[REDACTED]@tcp(db)/app?parseTime=true")'),
    ("root:ab/c,d@tcp(db)/app", "root:[REDACTED]@tcp(db)/app"),
    ("root:a,b:c9X@tcp(db)/app", "root:[REDACTED]@tcp(db)/app"),
])
def test_a_go_mysql_dsns_credentials_are_masked(span_exporter: InMemorySpanExporter, text: str, masked: str) -> None:
    """A Go MySQL DSN's ``user:password`` before ``@tcp(`` or ``@unix(`` is masked (the user kept, as after ``-u``)."""
    assert recorded_argument(span_exporter, text) == masked


@pytest.mark.parametrize(("text", "masked"), [
    ("dsn=root:S3cr3t@tcp(db:3306)/app,dsn2=root:Other@tcp(db:3306)/app",
     "dsn=root:[REDACTED]@tcp(db:3306)/app,dsn2=root:[REDACTED]@tcp(db:3306)/app"),
    ("root:S3cr3t@tcp(db:3306)/app,root:Other@tcp(db:3306)/app",
     "root:[REDACTED]@tcp(db:3306)/app,root:[REDACTED]@tcp(db:3306)/app"),
    ("root:S3cr3t@tcp(db:3306)/app,app@tcp(db:3306)/app", "root:[REDACTED]@tcp(db:3306)/app,app@tcp(db:3306)/app"),
])
def test_each_of_two_dsns_in_one_text_keeps_its_own_address(span_exporter: InMemorySpanExporter, text: str,
                                                            masked: str) -> None:
    """A second DSN's password is read after the first DSN's address and path, which are kept."""
    assert recorded_argument(span_exporter, text) == masked


@pytest.mark.parametrize(("text", "masked"), [
    ("url=http://x:8080/a,dsn=root:B3xK9mQ2@tcp(db)/app", "url=http://x:8080/a,dsn=root:[REDACTED]@tcp(db)/app"),
    ("url=http://x/a;dsn=root:B3xK9mQ2@tcp(db)/app", "url=http://x/a;dsn=root:[REDACTED]@tcp(db)/app"),
    ("?next=http://x/a&dsn=root:B3xK9mQ2@tcp(db)/app", "?next=http://x/a&dsn=root:[REDACTED]@tcp(db)/app"),
    ("url=http://x:8080/a,dsn=root:a,b@tcp(db)/app", "url=http://x:8080/a,dsn=root:[REDACTED]@tcp(db)/app"),
])
def test_a_dsn_after_a_field_holding_a_url_is_masked(span_exporter: InMemorySpanExporter, text: str,
                                                     masked: str) -> None:
    """A DSN given as a field after one holding a URL (``url=http://…,dsn=root:X@tcp(…``) has its password masked, the
    URL kept."""
    assert recorded_argument(span_exporter, text) == masked


@pytest.mark.parametrize("text", [
    "reverse proxy: nginx:1.25@sha256:01234", "--proxy nginx:1.25@sha256:0123", "HTTPS_PROXY=nginx:1.25@sha512:9876",
    "reverse proxy: nginx:1.25@sha256:0123abcd",
])
def test_an_image_digest_after_a_proxys_name_is_kept(span_exporter: InMemorySpanExporter, text: str) -> None:
    """A container image pinned by its digest (``nginx:1.25@sha256:…``) after a proxy's name is no user and password."""
    assert recorded_argument(span_exporter, text) == text


def test_an_image_digest_under_a_proxy_key_is_kept(span_exporter: InMemorySpanExporter) -> None:
    """A ``proxy`` argument holding an image pinned by a short digest is recorded as it is."""
    @agentops.tool
    def deploy(proxy: str) -> str:
        return "ok"

    deploy("nginx:1.25@sha256:0123")
    (span,) = [s for s in span_exporter.get_finished_spans() if s.name == "execute_tool deploy"]
    assert json.loads(str((span.attributes or {})[semconv.GEN_AI_TOOL_CALL_ARGUMENTS])) == {
        "proxy": "nginx:1.25@sha256:0123"}


@pytest.mark.parametrize("text", [
    "HTTPS_PROXY=http://proxy.corp:3128", "NO_PROXY=localhost,.corp.local", "HTTPS_PROXY=proxy.corp:3128",
    "https_proxy=bob@proxy:3128", "proxy: $HTTPS_PROXY", "HTTP_PROXY=${USER}:${PASS}@proxy:3128",
    "the proxy from:alice2@gmail.com", "noproxy=a:b@c",
    'fmt.Sprintf("%s:%s@tcp(%s)/%s", user, pass, host, db)', "root@tcp(db:3306)/app", "app:@tcp(db)/app",
    "mysql://[REDACTED]@tcp(db)/app", "from:alice2@gmail.com", "node:rabbit@localhost", "y = W[:, 0:H]@x",
])
def test_the_same_shapes_holding_no_password_are_kept(span_exporter: InMemorySpanExporter, text: str) -> None:
    """A proxy with no password or a variable for it, a DSN template or one with no password, and ``a:b@c`` anywhere
    else are kept."""
    assert recorded_argument(span_exporter, text) == text


def test_a_dsn_in_a_tools_result_is_masked(span_exporter: InMemorySpanExporter) -> None:
    """A tool returning its connection string records it with the credentials masked."""
    @agentops.tool
    def config() -> dict[str, str]:
        return {"dsn": "app:Xk9mQ2vLr8@tcp(db:3306)/app"}

    config()
    (span,) = [s for s in span_exporter.get_finished_spans() if s.name == "execute_tool config"]
    assert json.loads(str((span.attributes or {})[semconv.GEN_AI_TOOL_CALL_RESULT])) == {
        "dsn": "app:[REDACTED]@tcp(db:3306)/app"}


def test_a_proxy_variables_password_in_a_mapping_or_an_argument_is_masked(span_exporter: InMemorySpanExporter) -> None:
    """A value under a proxy-named key (an ``env`` mapping's ``HTTPS_PROXY``) or a ``proxy`` argument has its password
    masked, the user and the host kept; other keys' values are kept."""
    @agentops.tool
    def fetch(url: str, proxy: str, env: dict[str, str]) -> str:
        return "ok"

    fetch("https://x.example", "bob:Xk9mQ2vLr8@proxy:3128",
          {"HTTPS_PROXY": "bob:Xk9mQ2vLr8@proxy:3128", "NO_PROXY": "localhost", "SEARCH": "from:alice2@gmail.com"})
    (span,) = [s for s in span_exporter.get_finished_spans() if s.name == "execute_tool fetch"]
    assert json.loads(str((span.attributes or {})[semconv.GEN_AI_TOOL_CALL_ARGUMENTS])) == {
        "url": "https://x.example", "proxy": "bob:[REDACTED]@proxy:3128",
        "env": {"HTTPS_PROXY": "bob:[REDACTED]@proxy:3128", "NO_PROXY": "localhost", "SEARCH": "from:alice2@gmail.com"}}


@pytest.mark.parametrize(("argv", "masked"), [
    (["pip", "install", "--proxy", "bob:Xk9mQ2vLr8@proxy:3128", "x"],
     ["pip", "install", "--proxy", "bob:[REDACTED]@proxy:3128", "x"]),
    (["git", "config", "--global", "http.proxy", "bob:Xk9mQ2vLr8@proxy:8080"],
     ["git", "config", "--global", "http.proxy", "bob:[REDACTED]@proxy:8080"]),
    (["curl", "-x", "proxy:3128", "--proxy-user", "bob", "https://x"],
     ["curl", "-x", "proxy:3128", "--proxy-user", "bob", "https://x"]),
])
def test_a_proxy_flags_password_in_an_argument_list_is_masked(span_exporter: InMemorySpanExporter, argv: list[str],
                                                              masked: list[str]) -> None:
    """A command given as a list masks the password of the ``user:password@host`` after ``--proxy`` as its text does."""
    @agentops.tool
    def run(command: list[str]) -> str:
        return "ok"

    run(argv)
    (span,) = [s for s in span_exporter.get_finished_spans() if s.name == "execute_tool run"]
    assert json.loads(str((span.attributes or {})[semconv.GEN_AI_TOOL_CALL_ARGUMENTS]))["command"] == masked
