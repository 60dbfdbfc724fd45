"""No secret reaches a span: secret-named keys and key-shaped values are masked; the user's hook sees every value."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

import agentops_otel as agentops
from agentops_otel import ActionEvent, LLMEvent, ToolEvent, semconv

OPENAI_KEY = "sk-proj-Abcdefghijklmnop0123456789XYZ"
ANTHROPIC_KEY = "sk-ant-api03-Zyxwvutsrqponm9876543210abc"
BEARER = "Bearer eyJhbGciOiJIUzI1NiJ9abcdefgh"


def _span(exporter: InMemorySpanExporter, prefix: str) -> ReadableSpan:
    spans = [s for s in exporter.get_finished_spans() if s.name.startswith(prefix)]
    assert len(spans) == 1, [s.name for s in exporter.get_finished_spans()]
    return spans[0]


def _everything(span: ReadableSpan) -> str:
    """Every attribute, event attribute and status text of the span, as one string."""
    texts = [str(dict(span.attributes or {})), str(span.status.description)]
    texts.extend(str(dict(e.attributes or {})) for e in span.events)
    return "\n".join(texts)


@pytest.fixture
def hook_reset() -> Iterator[None]:
    """The redaction hook installed by a test is removed after it."""
    yield
    from agentops_otel import _redact

    _redact.set_hook(None)


def test_secret_named_arguments_are_masked_nested_and_any_case(span_exporter: InMemorySpanExporter) -> None:
    """api_key, Password, a nested Authorization header and a cookie are masked; their siblings are kept."""

    @agentops.tool
    def call_api(url: str, api_key: str, options: dict[str, Any]) -> str:
        return "ok"

    call_api("https://api.example.com", "plain-looking-value",
             {"headers": {"Authorization": "Basic Zm9vOmJhcg", "Accept": "json"},
              "auth": {"Password": "hunter2", "user": "ann"}, "Cookie": "session=abc123"})
    span = _span(span_exporter, "execute_tool call_api")
    args = json.loads(span.attributes[semconv.GEN_AI_TOOL_CALL_ARGUMENTS])  # type: ignore[index,arg-type]
    assert args["api_key"] == "[REDACTED]"
    assert args["options"]["headers"] == {"Authorization": "[REDACTED]", "Accept": "json"}
    assert args["options"]["auth"] == "[REDACTED]"
    assert args["options"]["Cookie"] == "[REDACTED]"
    assert args["url"] == "https://api.example.com"
    for secret in ("plain-looking-value", "Zm9vOmJhcg", "hunter2", "abc123"):
        assert secret not in _everything(span)


def test_words_that_only_describe_secrets_are_kept(span_exporter: InMemorySpanExporter) -> None:
    """token_count, max_tokens, secret_name and sort_key are data, not secrets: recorded as given."""

    @agentops.tool
    def budget(token_count: int, max_tokens: int, secret_name: str, sort_key: str) -> dict[str, int]:
        return {"tokens_used": 12, "prompt_tokens": 3}

    budget(10, 20, "prod-db", "date")
    span = _span(span_exporter, "execute_tool budget")
    assert json.loads(span.attributes[semconv.GEN_AI_TOOL_CALL_ARGUMENTS]) == {  # type: ignore[arg-type]
        "token_count": 10, "max_tokens": 20, "secret_name": "prod-db", "sort_key": "date"}
    assert json.loads(span.attributes[semconv.GEN_AI_TOOL_CALL_RESULT]) == {  # type: ignore[arg-type]
        "tokens_used": 12, "prompt_tokens": 3}


def test_numbered_secret_names_are_masked(span_exporter: InMemorySpanExporter) -> None:
    """password1/password2 (Django's sign-up form), new_password1, api_key_v2 and token_2 are masked;
    a number after a word that only describes a secret (token_count_2, max_tokens_v2) is still kept."""

    @agentops.tool
    def register_user(username: str, password1: str, password2: str, options: dict[str, Any]) -> str:
        return "ok"

    register_user("bob", "Hunter2-secret", "Hunter2-secret",
                  {"new_password1": "S3cret-new", "api_key_v2": "live-key-123", "token_2": "tok-456",
                   "clientSecret2": "cs-789", "token_count_2": 7, "max_tokens_v2": 9})
    span = _span(span_exporter, "execute_tool register_user")
    args = json.loads(span.attributes[semconv.GEN_AI_TOOL_CALL_ARGUMENTS])  # type: ignore[index,arg-type]
    assert args["password1"] == args["password2"] == "[REDACTED]"
    assert {k: v for k, v in args["options"].items()} == {
        "new_password1": "[REDACTED]", "api_key_v2": "[REDACTED]", "token_2": "[REDACTED]",
        "clientSecret2": "[REDACTED]", "token_count_2": 7, "max_tokens_v2": 9}
    for secret in ("Hunter2-secret", "S3cret-new", "live-key-123", "tok-456", "cs-789"):
        assert secret not in _everything(span)


def test_key_shaped_values_are_masked_in_arguments_and_results(span_exporter: InMemorySpanExporter) -> None:
    """sk-… / sk-ant-… keys, Bearer tokens and URL passwords are masked wherever they appear in text."""

    @agentops.record_action("configure")
    def configure(note: str, lines: list[str]) -> dict[str, str]:
        return {"echo": f"configured with {ANTHROPIC_KEY}"}

    configure(f"use {OPENAI_KEY} today", [f"Authorization: {BEARER}", "postgres://ann:s3cr3t@db/x"])
    span = _span(span_exporter, "action configure")
    params = json.loads(span.attributes[semconv.ACTION_PARAMS])  # type: ignore[arg-type]
    assert params["note"] == "use [REDACTED] today"
    assert params["lines"] == ["Authorization: [REDACTED]", "postgres://[REDACTED]@db/x"]
    assert json.loads(span.attributes[semconv.ACTION_RETURNS]) == {  # type: ignore[arg-type]
        "echo": "configured with [REDACTED]"}
    for secret in (OPENAI_KEY, ANTHROPIC_KEY, "eyJhbGciOiJIUzI1NiJ9", "s3cr3t"):
        assert secret not in _everything(span)


def test_tool_error_echoing_a_key_is_masked_on_the_span_not_in_the_exception(
        span_exporter: InMemorySpanExporter) -> None:
    """The span's exception event and status hide the key; the caller's exception object is untouched."""
    err = PermissionError(f"Incorrect API key provided: {OPENAI_KEY}")

    @agentops.tool
    def fetch() -> None:
        raise err

    with pytest.raises(PermissionError) as caught:
        fetch()
    assert caught.value is err and str(err) == f"Incorrect API key provided: {OPENAI_KEY}"
    span = _span(span_exporter, "execute_tool fetch")
    assert span.status.status_code is StatusCode.ERROR
    assert OPENAI_KEY not in _everything(span)
    assert span.events[0].attributes["exception.message"] == (  # type: ignore[index]
        "Incorrect API key provided: [REDACTED]")


def test_record_masks_event_payloads(span_exporter: InMemorySpanExporter) -> None:
    """record(ActionEvent / ToolEvent / LLMEvent) payloads get the same masking as decorated functions."""
    with agentops.session("record"):
        agentops.record(ActionEvent(action_type="login", params={"user": "ann", "password": "pw1"}))
        agentops.record(ToolEvent(name="http", params={"token": "t0k"}, returns={"body": OPENAI_KEY}))
        agentops.record(LLMEvent(model="gpt-4o", prompt=f"my key is {OPENAI_KEY}", completion="noted"))
    text = "\n".join(_everything(s) for s in span_exporter.get_finished_spans())
    for secret in ("pw1", "t0k", OPENAI_KEY):
        assert secret not in text
    assert '"user":"ann"' in text


def test_hook_sees_every_value_and_what_it_returns_is_recorded(
        span_exporter: InMemorySpanExporter, tracer_provider: Any, hook_reset: None) -> None:
    """init(redact=fn) is called per recorded value with the attribute name; its return value is recorded."""
    seen: list[tuple[str, Any]] = []

    def scrub(attribute: str, value: Any) -> Any:
        seen.append((attribute, value))
        return json.loads(json.dumps(value).replace("ann@example.com", "<email>"))

    agentops.init(tracer_provider=tracer_provider, instrument_llm_calls=False, redact=scrub)

    @agentops.tool
    def notify(to: str) -> str:
        return "sent to ann@example.com"

    with agentops.session("hook"):
        notify("ann@example.com")
        agentops.record(LLMEvent(model="gpt-4o", prompt="mail ann@example.com", completion="ok"))
    assert (semconv.GEN_AI_TOOL_CALL_ARGUMENTS, {"to": "ann@example.com"}) in seen
    assert (semconv.GEN_AI_TOOL_CALL_RESULT, "sent to ann@example.com") in seen
    assert (semconv.GEN_AI_INPUT_MESSAGES, "mail ann@example.com") in seen
    text = "\n".join(_everything(s) for s in span_exporter.get_finished_spans())
    assert "ann@example.com" not in text and "<email>" in text


def test_a_failing_hook_records_a_marker_and_the_call_goes_on(
        span_exporter: InMemorySpanExporter, tracer_provider: Any, hook_reset: None) -> None:
    """A hook that raises fails closed: the value is replaced by a marker, the user's function still returns."""

    def broken(attribute: str, value: Any) -> Any:
        raise RuntimeError("hook bug")

    agentops.init(tracer_provider=tracer_provider, instrument_llm_calls=False, redact=broken)

    @agentops.tool
    def lookup(customer_id: str) -> str:
        return "found"

    assert lookup("4417") == "found"
    span = _span(span_exporter, "execute_tool lookup")
    assert "4417" not in _everything(span)
    assert "REDACTION HOOK FAILED" in span.attributes[semconv.GEN_AI_TOOL_CALL_ARGUMENTS]  # type: ignore[operator]


def test_a_hook_raising_an_exception_whose_str_raises_keyboardinterrupt_fails_closed(
        span_exporter: InMemorySpanExporter, tracer_provider: Any, hook_reset: None) -> None:
    """Logging the hook's failure never renders its text unsafely: the marker is recorded, the tool returns."""

    class StrInterrupts(Exception):
        def __str__(self) -> str:
            raise KeyboardInterrupt("raised inside __str__")

        __repr__ = __str__

    def broken(attribute: str, value: Any) -> Any:
        raise StrInterrupts

    agentops.init(tracer_provider=tracer_provider, instrument_llm_calls=False, redact=broken)

    @agentops.tool
    def lookup(customer_id: str) -> str:
        return "found"

    try:
        result: object = lookup("4417")
    except BaseException as exc:  # pytest.raises would let a KeyboardInterrupt stop the run
        result = type(exc).__name__
    assert result == "found"
    assert "REDACTION HOOK FAILED" in _span(span_exporter, "execute_tool lookup").attributes[
        semconv.GEN_AI_TOOL_CALL_ARGUMENTS]  # type: ignore[operator]


@pytest.mark.parametrize("secret", [
    "AKIAIOSFODNN7EXAMPLE",  # AWS access key id
    "ghp_" + "a1B2c3D4e5" * 4,  # GitHub token
    "github_pat_" + "11ABCDEFG0" * 4,
    "xoxb-1234567890-abcdefghijkl",  # Slack
    "AIza" + "Sy" + "A1b2C3d4E5" * 3 + "xyz",  # Google API key (35 characters after AIza)
    "hf_" + "AbCdEfGhIj" * 4,  # Hugging Face
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpM",  # JWT
    "Basic dXNlcjpwYXNzd29yZA==",
    "BEARER abcdefgh12345678",
])
def test_every_credential_shape_is_masked_inside_prose(span_exporter: InMemorySpanExporter, secret: str) -> None:
    @agentops.record_action("note")
    def note(text: str) -> None:
        return None

    note(f"Here it is: {secret} -- keep it safe.")
    params = json.loads(_span(span_exporter, "action note").attributes[semconv.ACTION_PARAMS])  # type: ignore[arg-type]
    assert params["text"] == "Here it is: [REDACTED] -- keep it safe.", params


def test_hook_sees_error_texts_before_they_reach_a_status_or_an_end_reason(
        span_exporter: InMemorySpanExporter, tracer_provider: Any, hook_reset: None) -> None:
    """An exception message copied into a span status or the session's end reason goes through the hook too."""
    agentops.init(tracer_provider=tracer_provider, instrument_llm_calls=False,
                  redact=lambda attribute, value: json.loads(json.dumps(value).replace("ada@example.com", "<email>")))

    @agentops.tool
    def lookup(email: str) -> str:
        raise ValueError(f"no customer with email {email}")

    with pytest.raises(ValueError, match=r"ada@example\.com"), agentops.session("s"):
        lookup("ada@example.com")
    text = "\n".join(_everything(s) for s in span_exporter.get_finished_spans())
    assert "ada@example.com" not in text and "<email>" in text


def test_hook_sees_a_provider_error_before_it_reaches_the_llm_span_status(
        span_exporter: InMemorySpanExporter, tracer_provider: Any, hook_reset: None) -> None:
    """An API error's message (it may echo the request) reaches the model call's span status hooked."""
    import openai

    from agentops_otel.testing import OpenAIServer, Reply

    agentops.init(tracer_provider=tracer_provider,
                  redact=lambda attribute, value: json.loads(json.dumps(value).replace("ada@example.com", "<email>")))
    with OpenAIServer() as server:
        server.queue(Reply.error(400, "unknown field in message for ada@example.com"))
        client = openai.OpenAI(base_url=server.base_url, api_key="test", max_retries=0)
        with pytest.raises(openai.BadRequestError, match=r"ada@example\.com"):
            client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    text = "\n".join(_everything(s) for s in span_exporter.get_finished_spans())
    assert "ada@example.com" not in text and "<email>" in text


def _arguments_text(exporter: InMemorySpanExporter, **arguments: Any) -> str:
    """What a tool called with ``arguments`` recorded for them, as the span holds it."""

    @agentops.tool
    def send(**kwargs: Any) -> str:
        return "ok"

    send(**arguments)
    return str(_span(exporter, "execute_tool send").attributes[semconv.GEN_AI_TOOL_CALL_ARGUMENTS])  # type: ignore[index]


def test_a_key_in_bytes_is_masked(span_exporter: InMemorySpanExporter) -> None:
    """A request body passed as bytes is summarised with its key masked, as the same text would be."""
    text = _arguments_text(span_exporter, body=OPENAI_KEY.encode() + b" rest",
                           header=bytearray(b"Authorization: Bearer abcdefgh12345678"))
    assert OPENAI_KEY[:12] not in text and "abcdefgh" not in text
    assert "bytes: 'Authorization: [REDACTED]" in text


def test_a_key_in_bytes_that_are_not_utf8_is_masked(span_exporter: InMemorySpanExporter) -> None:
    """Binary bytes holding a key are shown masked, never as hex that spells the key out."""
    text = _arguments_text(span_exporter, body=b"\xff\xfe" + OPENAI_KEY.encode())
    assert OPENAI_KEY.encode().hex()[:16] not in text and OPENAI_KEY[:12] not in text
    assert "\ufffd\ufffd[REDACTED]" in text


def test_a_secret_named_key_is_masked_when_the_budget_has_run_low(span_exporter: InMemorySpanExporter) -> None:
    """A long secret-named key after a long sibling value is judged by its whole name, not its cut one."""
    text = _arguments_text(span_exporter, config={"notes": "x" * 4058, "customer_database_password": "hunter2"})
    assert "hunter2" not in text


def test_a_url_password_with_no_user_is_masked(span_exporter: InMemorySpanExporter) -> None:
    """redis://:password@host (a password without a user name) hides the password."""
    text = _arguments_text(span_exporter, dsn="redis://:hunter2-redis@cache.internal:6379/0")
    assert json.loads(text)["dsn"] == "redis://[REDACTED]@cache.internal:6379/0"


def test_a_url_password_holding_an_at_sign_is_masked_whole(span_exporter: InMemorySpanExporter) -> None:
    """The credentials of a URL run to its last @ before the host, so a password with an @ is hidden whole."""
    text = _arguments_text(span_exporter, dsn="postgres://admin:p@ssw0rd@db.internal:5432/x and a@b.c")
    assert json.loads(text)["dsn"] == "postgres://[REDACTED]@db.internal:5432/x and a@b.c"


@pytest.mark.parametrize("secret", [
    "Basic\tdXNlcjpwYXNzd29yZA==",
    "OPENAI_KEY_" + OPENAI_KEY,
    "TOKEN_ghp_" + "a1B2c3D4e5" * 4,
])
def test_credentials_written_with_a_tab_or_glued_to_a_name_are_masked(
        span_exporter: InMemorySpanExporter, secret: str) -> None:
    """Basic<tab>credential and a key glued after an underscore (ENV_NAME_sk-…) are still credentials."""
    text = _arguments_text(span_exporter, note=f"here: {secret} ok")
    assert "dXNlcjpw" not in text and "Abcdefghij" not in text and "a1B2c3D4e5" not in text, text


def test_prose_after_the_words_basic_and_bearer_is_kept(span_exporter: InMemorySpanExporter) -> None:
    """Ordinary words after 'basic' or 'bearer' are text, not credentials: a prompt reads as written."""
    prompt = "Explain the basic principles of Basic Authentication, then bearer instruments."
    assert json.loads(_arguments_text(span_exporter, prompt=prompt))["prompt"] == prompt


_JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpM"


@pytest.mark.parametrize(("text", "masked"), [
    (f"AUTH_{_JWT} ok", "AUTH_[REDACTED] ok"),
    (f"{_JWT} and {_JWT}", "[REDACTED] and [REDACTED]"),
    (f"x.eyJAAAAAAAA.{_JWT}", "x.[REDACTED].SflKxwRJSMeKKF2QT4fwpM"),
    (f"v1.{_JWT}.tail", "v1.[REDACTED].tail"),
    ("eyJ_eyJ_eyJ.not.jwt", "eyJ_eyJ_eyJ.not.jwt"),
])
def test_tokens_shaped_like_jwts_are_masked_wherever_they_start(text: str, masked: str) -> None:
    from agentops_otel._redact import mask_text

    assert mask_text(text) == masked


def test_a_long_exception_message_reaches_the_caller_without_a_stall(span_exporter: InMemorySpanExporter) -> None:
    """Masking is linear in the text: a 100 kB message made of JWT-like starts (quadratic before: ~10 s)
    is recorded and re-raised at once; the bound is far above any machine's noise."""
    import time

    @agentops.tool
    def parse(blob: str) -> None:
        raise ValueError(blob)

    blob = "_eyJ" * 25_000
    started = time.perf_counter()
    with pytest.raises(ValueError):
        parse(blob)
    assert time.perf_counter() - started < 3.0


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(["eyJ", "_", "-", ".", "a", "B", "1", " ", "AAAAAAAA", "xyz12345"]),
                max_size=30).map("".join))
def test_the_jwt_matcher_masks_exactly_what_the_jwt_regex_masks(pieces: str) -> None:
    """The one-pass JWT matcher agrees with the regex it stands for, on texts built of JWT-ish pieces."""
    import re

    from agentops_otel._matchers import JwtMatcher
    from agentops_otel._redact import _JWT_PATTERN, REDACTED

    assert JwtMatcher().sub(REDACTED, pieces) == re.sub(_JWT_PATTERN, REDACTED, pieces)


def test_a_short_key_shaped_value_is_masked_on_every_call(span_exporter: InMemorySpanExporter) -> None:
    """Short texts are masked once and remembered: a key is still masked the second and third time."""
    key = "sk-" + "a1B2c3D4e5F6g7H8i9"

    @agentops.record_action("login")
    def login(token_hint: str) -> str:
        return "ok"

    for _ in range(3):
        login(key)
    spans = [s for s in span_exporter.get_finished_spans() if s.name == "action login"]
    assert len(spans) == 3
    for span in spans:
        assert key not in _everything(span)
        assert json.loads(span.attributes[semconv.ACTION_PARAMS])["token_hint"] == "[REDACTED]"  # type: ignore[arg-type]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["sk-", "Bearer ", "AKIA", "://", "u:p@", "a1B2c3D4", "_", " ", "x"]),
                max_size=12).map("".join))
def test_masking_a_text_twice_gives_what_the_first_time_gave(text: str) -> None:
    """The memo of short texts never changes what is masked."""
    from agentops_otel._redact import SHORTEST_SECRET, _scan, mask_text

    expected = text if len(text) < SHORTEST_SECRET else _scan(text)
    assert mask_text(text) == expected
    assert mask_text(text) == expected


def test_masking_keeps_no_credential_in_memory() -> None:
    """What mask_text remembers of short texts holds no text it masked (a key stays out of the process's
    caches once recorded)."""
    from agentops_otel import _redact

    key = "sk-proj-" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4"
    assert _redact.mask_text(key) == "[REDACTED]"
    assert _redact.mask_text("customer_id") == "customer_id"
    assert key not in _redact._short_clean
    assert "customer_id" in _redact._short_clean


@pytest.mark.parametrize(("url", "masked"), [
    ("https://b.s3.amazonaws.com/cat.png?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Security-Token=IQoJb3JpZ2luX2Vj"
     "&X-Amz-Signature=0f1e2d3c4b5a6978&X-Amz-Expires=300",
     "https://b.s3.amazonaws.com/cat.png?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Security-Token=[REDACTED]"
     "&X-Amz-Signature=[REDACTED]&X-Amz-Expires=300"),
    ("https://api.example.com/v1/data?access_token=abc123def456&page=2",
     "https://api.example.com/v1/data?access_token=[REDACTED]&page=2"),
    ("https://acct.blob.core.windows.net/c/cat.png?sv=2022-11-02&sig=abcDEF123%3D",
     "https://acct.blob.core.windows.net/c/cat.png?sv=2022-11-02&sig=[REDACTED]"),
    ("see https://x.example/cb?code=1&client_secret=s3cr3tvalue#frag now",
     "see https://x.example/cb?code=1&client_secret=[REDACTED]#frag now"),
])
def test_secret_named_query_parameters_of_a_url_are_masked(span_exporter: InMemorySpanExporter, url: str,
                                                           masked: str) -> None:
    """A presigned or token-carrying URL (its signature, session token, access_token) is a credential too:
    the values of its secret-named query parameters are masked, the rest of the URL kept."""
    text = _arguments_text(span_exporter, image=url)
    assert json.loads(text)["image"] == masked


@pytest.mark.parametrize(("text", "masked"), [
    ("![chart](https://cdn.example/c.png?sig=abcDEF123) and more",
     "![chart](https://cdn.example/c.png?sig=[REDACTED]) and more"),
    ("open `https://x.example/f?access_token=abc123def` in a browser",
     "open `https://x.example/f?access_token=[REDACTED]` in a browser"),
    ("[the file](https://x.example/f?X-Amz-Signature=0f1e2d3c).",
     "[the file](https://x.example/f?X-Amz-Signature=[REDACTED])."),
    ("fetched https://x.example/f?access_token=abc123def, then parsed it",
     "fetched https://x.example/f?access_token=[REDACTED], then parsed it"),
    ("a=1&password=hunter(2)",  # a closer the value opened is the value's own
     "a=1&password=[REDACTED]"),
])
def test_a_masked_query_value_stops_before_the_text_around_the_url(span_exporter: InMemorySpanExporter, text: str,
                                                                    masked: str) -> None:
    """A signed URL in a model's markdown answer keeps the link's closing bracket, backtick or comma:
    only the parameter's value is masked, so the recorded text still reads (and renders) as written."""
    assert json.loads(_arguments_text(span_exporter, text=text))["text"] == masked


@pytest.mark.parametrize(("text", "masked"), [
    ("my .env:\nDB_PASSWORD=hunter2\nDEBUG=1\nexport GITHUB_TOKEN=abc123\n  API_KEY='k-123'\n",
     "my .env:\nDB_PASSWORD=[REDACTED]\nDEBUG=1\nexport GITHUB_TOKEN=[REDACTED]\n  API_KEY='[REDACTED]'\n"),
    ("MAX_TOKENS=100\nSORT_KEY=name\nDEBUG=true", "MAX_TOKENS=100\nSORT_KEY=name\nDEBUG=true"),
])
def test_secret_named_lines_of_an_env_file_in_text_are_masked(span_exporter: InMemorySpanExporter, text: str,
                                                              masked: str) -> None:
    """An .env file pasted into a prompt or read by a tool holds its secrets under their names, not in a
    known shape: the values of its secret-named lines are masked, the rest kept."""
    assert json.loads(_arguments_text(span_exporter, pasted=text))["pasted"] == masked


@pytest.mark.parametrize(("text", "masked"), [
    ("client_secret=s3cr3tvalue&grant_type=client_credentials",
     "client_secret=[REDACTED]&grant_type=client_credentials"),
    ("password=hunter2&username=ann", "password=[REDACTED]&username=ann"),
    ("access_token=abc123def", "access_token=[REDACTED]"),
    ("max_tokens=100&token_count=3", "max_tokens=100&token_count=3"),
])
def test_the_first_field_of_a_form_body_is_masked_like_the_others(span_exporter: InMemorySpanExporter, text: str,
                                                                   masked: str) -> None:
    """A form-encoded body (an OAuth token request) starts with a field no ``&`` precedes: a secret-named
    first field is masked as a later one is."""
    assert json.loads(_arguments_text(span_exporter, body=text))["body"] == masked
