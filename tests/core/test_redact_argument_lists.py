"""A command line given as a list literal inside a text (a tool's report ``command: ["htpasswd", …]``, a log's
``args=['mysql', '-pX']``) is masked as the same list given as a real list argument is."""

from __future__ import annotations

import pytest
from _recorded import recorded_argument
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter


@pytest.mark.parametrize(("text", "masked"), [
    ('command: ["htpasswd", "-b", "f", "bob", "Xk9mQ2vLr8"]', 'command: ["htpasswd", "-b", "f", "bob", "[REDACTED]"]'),
    ("ran ['htpasswd', '-nb', 'bob', 'Xk9mQ2vLr8'] ok", "ran ['htpasswd', '-nb', 'bob', '[REDACTED]'] ok"),
    ('cmd=["aws", "configure", "set", "aws_secret_access_key", "Xk9mQ2vLr8"]',
     'cmd=["aws", "configure", "set", "aws_secret_access_key", "[REDACTED]"]'),
    ('args: ["git", "config", "--global", "github.token", "Xk9mQ2vLr8"]',
     'args: ["git", "config", "--global", "github.token", "[REDACTED]"]'),
    ('run ["cargo", "login", "Xk9mQ2vLr8"]', 'run ["cargo", "login", "[REDACTED]"]'),
    ('run ["gh", "secret", "set", "N", "--body", "Xk9mQ2vLr8"]',
     'run ["gh", "secret", "set", "N", "--body", "[REDACTED]"]'),
    ('run ["scp", "f", "bob:Xk9mQ2vLr8@host:/tmp"]', 'run ["scp", "f", "bob:[REDACTED]@host:/tmp"]'),
    ('run ["curl", "-x", "bob:Xk9mQ2vLr8@proxy:3128", "https://a"]',
     'run ["curl", "-x", "bob:[REDACTED]@proxy:3128", "https://a"]'),
    ('run ["pip", "install", "--proxy", "bob:Xk9mQ2vLr8@proxy:3128", "x"]',
     'run ["pip", "install", "--proxy", "bob:[REDACTED]@proxy:3128", "x"]'),
    ('run ["http", "-a", "bob:Xk9mQ2vLr8", "x"]', 'run ["http", "-a", "bob:[REDACTED]", "x"]'),
    ("Command '['htpasswd', '-b', 'f', 'bob', 'Xk9mQ2vLr8']' returned non-zero exit status 1.",
     "Command '['htpasswd', '-b', 'f', 'bob', '[REDACTED]']' returned non-zero exit status 1."),
    ('command:\n[\n  "htpasswd",\n  "-b",\n  "f",\n  "bob",\n  "Xk9mQ2vLr8"\n]',
     'command:\n[\n  "htpasswd",\n  "-b",\n  "f",\n  "bob",\n  "[REDACTED]"\n]'),
    ('run ["htpasswd", "-b", "f", "bob", "Xk9\\"mQ2vLr8"]', 'run ["htpasswd", "-b", "f", "bob", "[REDACTED]"]'),
])
def test_a_command_written_as_a_list_literal_has_its_secret_masked(span_exporter: InMemorySpanExporter, text: str,
                                                                  masked: str) -> None:
    """The secret a program takes as an argument (htpasswd's, a config tool's, a login's, a remote's, a proxy's) is
    masked in a JSON or Python list written in text, the other items and the text around kept."""
    assert recorded_argument(span_exporter, text) == masked


@pytest.mark.parametrize("text", [
    'ran ["docker", "run", "-p", "8080:80", "nginx"]', 'args=["htpasswd", "-b", "f", "bob", "$PASSWORD"]',
    "cmd: ['git', 'config', '--global', 'user.name', 'bob']", 'run ["cargo", "login"] then wait',
    'run ["scp", "bob@host:/tmp/f", "."]', 'flags: ["-v", "--verbose", "-o", "out.txt"]',
    'tags = ["login", "config", "-", "proxy"]', 'print("htpasswd", "-b")', "sizes: [1, 2, 3]",
    'subprocess.run(["ls", "-la", "/tmp"], check=True)', "np.einsum('ij,jk->ik', a, b)",
])
def test_a_list_literal_holding_no_secret_is_kept(span_exporter: InMemorySpanExporter, text: str) -> None:
    """A list written in text with no secret among its items (a variable, a name, a port) is recorded as given."""
    assert recorded_argument(span_exporter, text) == text


@pytest.mark.parametrize("text", [
    'args=["Use", "--password", "to", "supply", "a", "password"]', "args=['set', '--password', 'when', 'prompted']",
    'run ["mysql", "-u", "root", "-p"]', 'run ("mysql", "-p") to be prompted', 'x ["-Usage:", "see", "README"]',
])
def test_a_list_literals_quotes_and_commas_are_no_value(span_exporter: InMemorySpanExporter, text: str) -> None:
    """A flag that is a list item of its own takes no value from the quote closing it or from the comma after it, and
    a word of a sentence as the next item is no value, as in the same list given as an argument."""
    assert recorded_argument(span_exporter, text) == text
