"""JSON written inside a JSON string (its quotes escaped, ``\\"``) in a text that is not itself JSON: a command or a
proxy setting quoted there is read with its quotes unescaped, as the same text unquoted is."""

from __future__ import annotations

import pytest
from _recorded import recorded_argument
from hypothesis import given, settings
from hypothesis import strategies as st
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from agentops_otel._redact import mask_text


@pytest.mark.parametrize(("text", "masked"), [
    ('x {"cmd": "export HTTPS_PROXY=\\"bob:Xk9mQ2vLr8@proxy:3128\\""}',
     'x {"cmd": "export HTTPS_PROXY=\\"bob:[REDACTED]@proxy:3128\\""}'),
    ('got {\\"https_proxy\\": \\"bob:Xk9mQ2vLr8@proxy:3128\\"}',
     'got {\\"https_proxy\\": \\"bob:[REDACTED]@proxy:3128\\"}'),
    ('log: {"cmd": "htpasswd -b f bob \\"Xk9mQ2vLr8\\""}', 'log: {"cmd": "htpasswd -b f bob \\"[REDACTED]\\""}'),
    ('log: {"cmd": "mysql -p\\"Xk9mQ2vLr8\\" shop"}', 'log: {"cmd": "mysql -p\\"[REDACTED]\\" shop"}'),
    ('log: {"cmd": "curl -u \\"bob:Xk9mQ2vLr8\\" https://a"}', 'log: {"cmd": "curl -u \\"bob:[REDACTED]\\" https://a"}'),
    ('log: {"cmd": "sshpass -p \\"Xk9mQ2vLr8\\" ssh host"}', 'log: {"cmd": "sshpass -p \\"[REDACTED]\\" ssh host"}'),
    ('log: {"cmd": "aws configure set aws_secret_access_key \\"Xk9mQ2vLr8\\""}',
     'log: {"cmd": "aws configure set aws_secret_access_key \\"[REDACTED]\\""}'),
    ('log: {"argv": "[\\"htpasswd\\", \\"-b\\", \\"f\\", \\"bob\\", \\"Xk9mQ2vLr8\\"]"}',
     'log: {"argv": "[\\"htpasswd\\", \\"-b\\", \\"f\\", \\"bob\\", \\"[REDACTED]\\"]"}'),
    ('x "{\\"cmd\\": \\"export HTTPS_PROXY=\\\\\\"bob:Xk9mQ2vLr8@proxy:3128\\\\\\"\\"}"',
     'x "{\\"cmd\\": \\"export HTTPS_PROXY=\\\\\\"bob:[REDACTED]@proxy:3128\\\\\\"\\"}"'),
])
def test_a_secret_in_escaped_json_inside_text_is_masked(span_exporter: InMemorySpanExporter, text: str,
                                                        masked: str) -> None:
    """A proxy's password, a command's password (htpasswd's, MySQL's ``-p``, ``-u user:X``, sshpass's) and an argument
    list's, quoted with escaped quotes once or twice, are masked, the escapes and the rest kept."""
    assert recorded_argument(span_exporter, text) == masked


@pytest.mark.parametrize("text", [
    'x {\\"user\\": \\"bob\\", \\"port\\": 5432}', 'log: {"cmd": "docker run -p \\"8080:80\\" nginx"}',
    'log: {"cmd": "echo \\"login\\" && git config --get user.name"}', 'x {"note": "he said \\"use -p 22\\""}',
    'log: {"cmd": "htpasswd -b f bob \\"$PASSWORD\\""}', 'x {"proxy": "\\"proxy.corp:3128\\""}',
    'x {"msg": "search \\"from:alice2@gmail.com\\""}', 'path \\"C:\\\\Users\\\\bob\\" -v',
])
def test_escaped_json_holding_no_secret_is_kept(span_exporter: InMemorySpanExporter, text: str) -> None:
    """Escaped JSON holding no secret (a port, a variable, a host alone, a mail search) is recorded as given."""
    assert recorded_argument(span_exporter, text) == text


@settings(max_examples=400, deadline=None, derandomize=True)
@given(st.lists(st.sampled_from(["[", '["', '"', "'", ", ", ",", "]", "\\", '\\"', "\\\\", " ", "-p", "-b", "-u",
                                 "htpasswd", "mysql", "curl", "-x", "HTTPS_PROXY=", "bob:pw@h:1", "a:b@tcp(",
                                 "cargo login", "f", "$X", "[REDACTED]", "Xk9"]), max_size=14).map("".join))
def test_masking_escaped_quotes_and_list_literals_is_idempotent(text: str) -> None:
    """Whatever a first masking of escaped JSON and list literals made, masking it again leaves as it is."""
    once = mask_text(text)
    assert mask_text(once) == once
