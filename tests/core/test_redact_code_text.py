"""Code, templates and prose that name secrets without holding one are recorded as written: a type annotation,
an argument passed on by name, a placeholder or variable, a quoted search pattern, a mention of a private key's
armour line. Real secrets written the same ways stay masked."""

from __future__ import annotations

import pytest
from _recorded import recorded_argument
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from agentops_otel._redact import mask_text


@pytest.mark.parametrize("text", [
    "def f(token: str) -> str:",
    "def login(user, password=None):\n    return check(user, password)",
    "class Settings:\n    api_key: SecretStr = Field(...)\n    token: int",
    "interface User { password: string; token?: string }",
    "connect(host, password=password, token=token,\n        timeout=3)",
    "client = Client(api_key=api_key)",
    "self.token=token",
    "login(user=u, password=pw)",
    "const creds = {token: t, password: p};",
    "cookie = request.cookies",
    "tokenizer.pad_token = tokenizer.eos_token",
    "let password = req.body.password;",
    "const token = await getToken();",
])
def test_code_that_names_secrets_is_kept(span_exporter: InMemorySpanExporter, text: str) -> None:
    """Annotations, arguments passed on by name, attribute paths and calls are code, not secrets."""
    assert recorded_argument(span_exporter, text) == text


@pytest.mark.parametrize("text", [
    'headers = {"Authorization": f"Bearer {token}"}',
    'url = f"https://api.example.com/v1?token={token}"',
    "password: {password}",
    "token=$OPENAI_API_KEY and more",
    'curl -H "Authorization: Bearer $OPENAI_API_KEY" https://api.openai.com',
    "env:\n  GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}\n  NPM_TOKEN: ${{secrets.NPM}}",
    'cursor.execute("UPDATE users SET password=%s WHERE id=%s", (pw, uid))',
    "login with password: <your-password>",
    '"Authorization": "Basic {user}:{password}"',
    "PGPASSWORD=$(cat ~/.pgpass) psql",
])
def test_placeholders_and_variables_are_kept(span_exporter: InMemorySpanExporter, text: str) -> None:
    """A template's placeholders (f-strings, format fields, ``$VAR``, ``${{ … }}``, ``%s``, ``<…>``) stand for
    a value; the text holding them is recorded as written."""
    assert recorded_argument(span_exporter, text) == text


@pytest.mark.parametrize("text", [
    'grep -n "token:" config.yaml  # find it',
    "grep 'password=' .env | wc -l",
    "| field | note |\n|---|---|\n| token: | the session token |",
])
def test_a_name_inside_a_quoted_search_or_a_table_keeps_the_rest_of_the_line(
        span_exporter: InMemorySpanExporter, text: str) -> None:
    """A pair whose separator closes a quoted string, or whose value is punctuation only, holds no value."""
    assert recorded_argument(span_exporter, text) == text


def test_a_private_key_mentioned_in_prose_keeps_the_text_after_it(span_exporter: InMemorySpanExporter) -> None:
    """``-----BEGIN … PRIVATE KEY-----`` in a sentence, with no key body after it, masks nothing."""
    text = ("Check that the file starts with -----BEGIN OPENSSH PRIVATE KEY----- and is mode 0600.\n\n"
            "Then run:\n\n  ssh-add ~/.ssh/id_ed25519\n\nand retry the push.")
    assert recorded_argument(span_exporter, text) == text


@pytest.mark.parametrize(("text", "masked"), [
    ("-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEAPEMKEYBODY\nMIIEQ==\n\nthe key above was cut",
     "-----BEGIN RSA PRIVATE KEY-----[REDACTED]\n\nthe key above was cut"),
    ('config was {"key": "-----BEGIN EC PRIVATE KEY-----\\nMHcCAQEEIBODY", "user": "ann"}',
     'config was {"key": "-----BEGIN EC PRIVATE KEY-----[REDACTED]", "user": "ann"}'),
    ("a: -----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n\nb: -----BEGIN PRIVATE KEY-----\nBBBB",
     "a: -----BEGIN PRIVATE KEY-----[REDACTED]-----END PRIVATE KEY-----\n\nb: -----BEGIN PRIVATE KEY-----[REDACTED]"),
])
def test_a_cut_private_key_is_masked_to_a_blank_line_or_the_end_of_its_string(
        span_exporter: InMemorySpanExporter, text: str, masked: str) -> None:
    """A key body whose END line is missing is masked up to a blank line (or the quote closing the string it
    sits in), not to the end of the text; a whole block up to its END line."""
    assert recorded_argument(span_exporter, text) == masked


@pytest.mark.parametrize(("text", "masked"), [
    ('password="hunter2x"', 'password="[REDACTED]"'),
    ("password: hunter2x", "password: [REDACTED]"),
    ('got {"password":"hunter2x"} back', 'got {"password":"[REDACTED]"} back'),
    ("Authorization: Bearer abcdef1234567890XYZ", "Authorization: [REDACTED]"),
    ("connect(host, password=hunter2x)", "connect(host, password=[REDACTED])"),
    ("connect(host, password=Hunter)", "connect(host, password=[REDACTED])"),
    ("login failed: password=swordfish, retrying", "login failed: password=[REDACTED], retrying"),
    ('login(password=f"hunter2x")', 'login(password=f"[REDACTED]")'),
    ('api_key: str = "Zq8xW2vLp9"', 'api_key: str = "[REDACTED]"'),
    ("DB_PASSWORD=swordfish\nDB_USER=app", "DB_PASSWORD=[REDACTED]\nDB_USER=app"),
    ("Authorization: Bearer $TOKEN_abc123xyz!", "Authorization: [REDACTED]"),
    ('"Authorization": "Basic {user}:hunter2x"', '"Authorization": "[REDACTED]"'),
])
def test_secrets_written_like_code_stay_masked(span_exporter: InMemorySpanExporter, text: str, masked: str) -> None:
    """A value that is no identifier, placeholder or annotation (digits, capitals, text around a placeholder, a
    default after an annotation, a line of an env file) is masked."""
    assert recorded_argument(span_exporter, text) == masked


@pytest.mark.parametrize("text", [
    "password=password", "token=$TOKEN", "token={token}", "?access_token={token}&x=1", "auth=True",
])
def test_code_at_the_start_of_a_text_read_as_a_form_is_kept(text: str) -> None:
    """A text starting ``name=value`` is read as a form body; a placeholder, a literal or the name itself is no
    value there either."""
    assert mask_text(text) == text


@pytest.mark.parametrize(("text", "masked"), [
    ("os.environ['API_TOKEN'] = 'Xk9mQ2vLr8'", "os.environ['API_TOKEN'] = '[REDACTED]'"),
    ('os.environ["DB_PASSWORD"]="Xk9mQ2vLr8"', 'os.environ["DB_PASSWORD"]="[REDACTED]"'),
    ('os.environ.setdefault("API_TOKEN", "Xk9mQ2vLr8")', 'os.environ.setdefault("API_TOKEN", "[REDACTED]")'),
    ('os.putenv("API_TOKEN", "Xk9mQ2vLr8")', 'os.putenv("API_TOKEN", "[REDACTED]")'),
    ("monkeypatch.setenv('OPENAI_API_KEY', 'Xk9mQ2vLr8')", "monkeypatch.setenv('OPENAI_API_KEY', '[REDACTED]')"),
    ("$config['db_password'] = 'Xk9mQ2vLr8';", "$config['db_password'] = '[REDACTED]';"),
])
def test_a_secret_set_by_subscript_or_by_an_env_setter_is_masked(span_exporter: InMemorySpanExporter, text: str,
                                                                 masked: str) -> None:
    """``os.environ["API_TOKEN"] = "…"``, ``setdefault``, ``putenv``, ``setenv`` with a secret name mask the value."""
    assert recorded_argument(span_exporter, text) == masked


@pytest.mark.parametrize("text", [
    'os.environ["API_TOKEN"] = api_token', "os.environ['API_TOKEN'] = os.getenv('OTHER')",
    'if os.environ["API_TOKEN"] == "x":', 'os.environ.setdefault("API_TOKEN", token)',
    'os.putenv("API_TOKEN", "")', 'os.environ.get("API_TOKEN", "default")', 'os.environ["REGION"] = "eu-west-1"',
    'cfg["token"] = 512', 'os.environ["API_TOKEN"] = "${API_TOKEN}"',
])
def test_a_subscript_or_env_setter_passing_on_no_secret_is_kept(span_exporter: InMemorySpanExporter,
                                                                text: str) -> None:
    """A variable, a call, a comparison, an empty string, a getter's default, a count, a template are kept."""
    assert recorded_argument(span_exporter, text) == text
