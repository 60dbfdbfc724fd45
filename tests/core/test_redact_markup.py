"""A secret-named element of XML or HTML (``<password>…</password>``, a SOAP header, a model told to answer in
tags) has its content masked, the tags kept; an element that only counts or names one is kept."""

from __future__ import annotations

import json
import re

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import agentops_otel as agentops
from agentops_otel import config, semconv
from agentops_otel._redact import mask_text


def _recorded_result(exporter: InMemorySpanExporter, text: str) -> str:
    """What a tool returning ``text`` recorded for its result."""
    @agentops.tool
    def read_config() -> str:
        return text

    read_config()
    (span,) = [s for s in exporter.get_finished_spans() if s.name == "execute_tool read_config"]
    return str(json.loads(str((span.attributes or {})[semconv.GEN_AI_TOOL_CALL_RESULT])))


@pytest.mark.parametrize(("text", "masked"), [
    ("<db><user>bob</user><password>hunter2x</password></db>",
     "<db><user>bob</user><password>[REDACTED]</password></db>"),
    ("<api_key>Zq8xW2vLp9</api_key>", "<api_key>[REDACTED]</api_key>"),
    ("<Token>abc</Token> then", "<Token>[REDACTED]</Token> then"),
    ('<wsse:Password Type="PasswordText">correct horse</wsse:Password>',
     '<wsse:Password Type="PasswordText">[REDACTED]</wsse:Password>'),
    ("<secret>\n  s3cr3t\n</secret>", "<secret>\n  [REDACTED]\n</secret>"),
])
def test_a_secret_named_elements_content_is_masked(span_exporter: InMemorySpanExporter, text: str,
                                                   masked: str) -> None:
    """The text inside ``<password>``, ``<api_key>``, ``<Token>`` (attributes, namespaces, any case) is masked."""
    assert _recorded_result(span_exporter, text) == masked


@pytest.mark.parametrize(("text", "masked"), [
    ("<password><![CDATA[hunter2]]></password>", "<password><![CDATA[[REDACTED]]]></password>"),
    ("<db><api_key>\n  <![CDATA[Zq8x<W2]vL]]>\n</api_key></db>",
     "<db><api_key>\n  <![CDATA[[REDACTED]]]>\n</api_key></db>"),
    ("<token><![CDATA[abc123x", "<token><![CDATA[[REDACTED]"),
])
def test_a_secret_named_elements_cdata_is_masked(span_exporter: InMemorySpanExporter, text: str, masked: str) -> None:
    """A secret-named element's text given as a CDATA section (``<![CDATA[…]]>``, cut short too) is masked."""
    assert _recorded_result(span_exporter, text) == masked


@pytest.mark.parametrize("text", [
    "<token_count>42</token_count><sort_key>name</sort_key>",
    "<password></password><token>   </token>",
    "<password>${DB_PASSWORD}</password><token>{{ token }}</token>",
    "<token>512</token>",
    "enter your <password> and press <b>Go</b>",
    "<p>Reset your <strong>password</strong> here.</p>",
    "<password><![CDATA[${DB_PASSWORD}]]></password><note><![CDATA[hunter2]]></note>",
])
def test_markup_without_a_secret_is_kept(span_exporter: InMemorySpanExporter, text: str) -> None:
    """Elements named like no secret, empty ones, placeholders, a count and a lone ``<password>`` are kept."""
    assert _recorded_result(span_exporter, text) == text


@pytest.mark.parametrize("text", [
    "<password>hunter2x</password>", "<password><![CDATA[hunter2]]></password>", 'Cookie: //<password>"x"</password>',
    "<token>token: abc123</token>",
])
def test_masked_markup_masked_again_is_unchanged(span_exporter: InMemorySpanExporter, text: str) -> None:
    """What a first masking made of an element (its text quoted, after a header, holding a pair) stays as it is."""
    once = _recorded_result(span_exporter, text)
    span_exporter.clear()
    assert once != text and _recorded_result(span_exporter, once) == once


@pytest.mark.parametrize("opening", ["<password>", "<db:Password>\n    ", "<api_key>'"])
def test_an_element_cut_by_the_value_limit_leaves_none_of_its_text(span_exporter: InMemorySpanExporter,
                                                                   monkeypatch: pytest.MonkeyPatch,
                                                                   opening: str) -> None:
    """A long result cut inside a secret-named element (no closing tag left to read) records none of its text."""
    head = "<config><host>db</host>" + opening
    text = head + "hunter2xyz</password></config>"
    for limit in range(len(head) + 1, len(head) + 10):
        monkeypatch.setattr(config.state, "max_value_chars", limit)
        span_exporter.clear()
        recorded = _recorded_result(span_exporter, text)
        assert re.fullmatch(r"<config><host>db</host><[\w:]+>\s*\[REDACTED\]…\[truncated \d+ chars\]", recorded), (
            limit, recorded)


def test_a_placeholder_element_ending_a_sentence_is_kept(span_exporter: InMemorySpanExporter) -> None:
    """``Replace <api_key> with yours`` at the end of a text (no closing tag after it) is prose, kept."""
    text = "Replace <api_key> with yours, or <token>."
    assert _recorded_result(span_exporter, text) == text


@pytest.mark.parametrize(("text", "masked"), [
    ("<password>x<![CDATA[\n<token>Zq8xW2vLp9</token>", "<password>x<![CDATA[\n<token>[REDACTED]</token>"),
    ("<bypass><![CDATA[ <apiKey>Zq8xW2vLp9</apiKey>", "<bypass><![CDATA[ <apiKey>[REDACTED]</apiKey>"),
])
def test_a_cdata_section_never_closed_hides_no_element_after_it(text: str, masked: str) -> None:
    """An unclosed ``<![CDATA[`` (a stray start, a text cut short) does not keep later secret elements in clear."""
    assert mask_text(text) == masked


@pytest.mark.parametrize(("text", "masked"), [
    ('<appSettings>\n  <add key="ApiKey" value="Xk9mQ2vLr8"/>\n</appSettings>',
     '<appSettings>\n  <add key="ApiKey" value="[REDACTED]"/>\n</appSettings>'),
    ('<add name="x" key="DbPassword" value="Xk9mQ2vLr8" />', '<add name="x" key="DbPassword" value="[REDACTED]" />'),
    ("<property name='db.password' value='Xk9mQ2vLr8'/>", "<property name='db.password' value='[REDACTED]'/>"),
])
def test_a_value_attribute_under_a_secret_named_key_attribute_is_masked(span_exporter: InMemorySpanExporter,
                                                                       text: str, masked: str) -> None:
    """A config's ``<add key="ApiKey" value="…"/>`` (or ``name="db.password"``) masks the ``value`` attribute."""
    assert _recorded_result(span_exporter, text) == masked


@pytest.mark.parametrize("text", [
    '<add key="Region" value="eu-west-1"/><add key="MaxTokens" value="4096"/>',
    '<add key="ApiKey" value=""/><add key="DbPassword" value="$(DbPassword)"/>',
    '<input type="password" name="password" value="">',
    '<add key="Token" value="512"/>',
    '<option value="token">Token</option>',
])
def test_value_attributes_holding_no_secret_are_kept(span_exporter: InMemorySpanExporter, text: str) -> None:
    """Keys naming no secret, empty values, variables, counts and a lone ``value`` are kept."""
    assert _recorded_result(span_exporter, text) == text
