"""Secrets held in shapes other than a mapping's key: header pairs, objects' fields, named tuples."""

from __future__ import annotations

import json
import types
from collections import namedtuple
from typing import Any, NamedTuple

from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import agentops_otel as agentops
from agentops_otel import semconv


def _arguments(exporter: InMemorySpanExporter, **arguments: Any) -> Any:
    """What a tool called with ``arguments`` recorded for them, parsed."""

    @agentops.tool
    def send(**kwargs: Any) -> str:
        return "ok"

    send(**arguments)
    (span,) = [s for s in exporter.get_finished_spans() if s.name == "execute_tool send"]
    return json.loads(span.attributes[semconv.GEN_AI_TOOL_CALL_ARGUMENTS])  # type: ignore[index,arg-type]


def test_header_pairs_with_secret_names_are_masked(span_exporter: InMemorySpanExporter) -> None:
    """headers=[("Authorization", ...), ("X-Api-Key", ...)] hides those values, as a headers dict would."""
    recorded = _arguments(span_exporter,
                          headers=[("Authorization", "token abc123"), ("X-Api-Key", "abc123def456"),
                                   ("Accept", "application/json"), ("max_tokens", 100)],
                          session_state=[["Cookie", "sid=abc123"]])
    assert recorded == {
        "headers": [["Authorization", "[REDACTED]"], ["X-Api-Key", "[REDACTED]"],
                    ["Accept", "application/json"], ["max_tokens", 100]],
        "session_state": [["Cookie", "[REDACTED]"]]}


def test_raw_header_pairs_in_bytes_are_masked(span_exporter: InMemorySpanExporter) -> None:
    """An ASGI scope's or httpx's raw headers, (b"authorization", b"...") pairs, hide the credential too."""
    recorded = _arguments(span_exporter, headers=[(b"authorization", b"token abc123"), (b"accept", b"*/*")])
    assert "abc123" not in json.dumps(recorded)
    assert recorded["headers"][0][1] == "[REDACTED]" and "*/*" in recorded["headers"][1][1]


def test_an_object_whose_own_repr_may_show_a_secret_is_recorded_by_its_type_only(
        span_exporter: InMemorySpanExporter) -> None:
    """A settings object with an api_key field and its own repr: the repr may show the key in any form
    (nested, reformatted), so neither it nor the fields are recorded, only the type, and it is not called."""
    reprs: list[int] = []

    class Settings:
        def __init__(self) -> None:
            self.api_key = "abc123def456"
            self.db = types.SimpleNamespace(password="hunter2xyz")

        def __repr__(self) -> str:
            reprs.append(1)
            return f"Settings(api_key={self.api_key}, db={self.db})"

    assert _arguments(span_exporter, settings=Settings())["settings"].endswith("Settings object: not read>")
    assert reprs == []


def test_a_repr_that_hides_personal_data_keeps_it_hidden(span_exporter: InMemorySpanExporter) -> None:
    """A class whose own repr leaves its card number out is never recorded by its raw fields, even when one
    of its fields is secret-named."""

    class Customer:
        def __init__(self) -> None:
            self.id = 42
            self.card_number = "4111 1111 1111 1111"
            self.auth_token = "opaque-session-value"

        def __repr__(self) -> str:
            return f"Customer(id={self.id})"

    recorded = json.dumps(_arguments(span_exporter, customer=Customer()))
    assert "4111" not in recorded and "opaque" not in recorded


def test_a_default_repr_reads_no_field(span_exporter: InMemorySpanExporter) -> None:
    """An object with the default repr (its type; the address is left out) shows no field: it is recorded so, and a
    secret-named field changes nothing."""

    class Vault:
        def __init__(self) -> None:
            self.password = "hunter2hunter2"
            self.card_number = "4111 1111 1111 1111"

    recorded = _arguments(span_exporter, vault=Vault())["vault"]
    assert "Vault object>" in recorded and "4111" not in recorded and "hunter2" not in recorded


def test_a_slotted_objects_secret_named_attribute_is_not_shown(span_exporter: InMemorySpanExporter) -> None:
    """A class with __slots__ (no instance dict) is read by its slots the same way."""

    class Login:
        __slots__ = ("password", "user")

        def __init__(self) -> None:
            self.password = "hunter2hunter2"
            self.user = "ann"

        def __repr__(self) -> str:
            return f"Login(user={self.user!r}, password={self.password!r})"

    assert _arguments(span_exporter, login=Login())["login"].endswith("Login object: not read>")


def test_a_namespace_is_recorded_by_its_fields_nested_ones_masked_too(span_exporter: InMemorySpanExporter) -> None:
    """A SimpleNamespace (its repr is its fields) is walked as a dict: a nested namespace's password is masked."""
    recorded = _arguments(span_exporter, ns=types.SimpleNamespace(
        user="ann", auth=("bob", "hunter2xyz"), db=types.SimpleNamespace(host="db", password="hunter2xyz")))
    assert recorded == {"ns": {"user": "ann", "auth": "[REDACTED]", "db": {"host": "db", "password": "[REDACTED]"}}}


def test_an_object_with_more_fields_than_are_looked_through_is_not_shown(
        span_exporter: InMemorySpanExporter) -> None:
    """A secret-named field past the first fields looked through still keeps the object's repr out."""

    class Big:
        def __init__(self) -> None:
            for i in range(300):
                setattr(self, f"f{i}", i)
            self.password = "hunter2xyz"

        def __repr__(self) -> str:
            return f"Big(password={self.password})"

    assert _arguments(span_exporter, big=Big())["big"].endswith("Big object: not read>")


def test_a_lone_list_of_names_is_no_header_pair(span_exporter: InMemorySpanExporter) -> None:
    """fields=["password", "email"] names two fields: it is recorded as given, and with_args matches it."""
    from agentops_otel.testing import assert_tool_called

    with agentops.session("names") as session:
        recorded = _arguments(span_exporter, fields=["password", "email"], required=["token", "region"])
    assert recorded == {"fields": ["password", "email"], "required": ["token", "region"]}
    assert_tool_called(session, "send", with_args={"fields": ["password", "email"]})


def test_a_simple_namespace_with_a_password_is_masked(span_exporter: InMemorySpanExporter) -> None:
    """types.SimpleNamespace(password=...), whose repr shows every field, hides the password."""
    recorded = _arguments(span_exporter, ns=types.SimpleNamespace(password="hunter2hunter2", user="ann"))
    assert recorded == {"ns": {"password": "[REDACTED]", "user": "ann"}}


def test_a_named_tuples_secret_named_field_is_masked(span_exporter: InMemorySpanExporter) -> None:
    """A namedtuple is recorded as a list, with the items of its secret-named fields masked."""

    class Credentials(NamedTuple):
        user: str
        token: str

    Pair = namedtuple("Pair", "name api_key")
    recorded = _arguments(span_exporter, creds=Credentials("ann", "tok123tok123"), pair=Pair("svc", "abc123def456"))
    assert recorded == {"creds": ["ann", "[REDACTED]"], "pair": ["svc", "[REDACTED]"]}


def test_an_object_without_secret_named_fields_is_still_recorded_by_its_repr(
        span_exporter: InMemorySpanExporter) -> None:
    """Only a secret-named field changes how an object is recorded: others keep their own repr."""

    class Customer:
        def __init__(self) -> None:
            self.customer_id = "4417"

        def __repr__(self) -> str:
            return "Customer(4417)"

    assert _arguments(span_exporter, customer=Customer()) == {"customer": "Customer(4417)"}


_KEY = "sk-proj-abcdefghijklmnopqrstuvwxyz0123"
_OTHER_KEY = "sk-proj-zyxwvutsrqponmlkjihgfedcba9876"


def test_a_provider_key_used_as_a_mapping_key_is_masked(span_exporter: InMemorySpanExporter) -> None:
    """quota={"sk-...": 100}: a credential is a credential where it sits, a key of the mapping included."""
    recorded = _arguments(span_exporter, quota={_KEY: 100, "Bearer abc123def456ghi789": 5, "plain": 1})
    text = json.dumps(recorded)
    assert _KEY not in text and "abc123def456ghi789" not in text
    assert recorded["quota"]["plain"] == 1 and 100 in recorded["quota"].values()


def test_two_masked_mapping_keys_stay_two_entries(span_exporter: InMemorySpanExporter) -> None:
    """Masking must not merge entries: two keys' quotas are both still there, told apart."""
    recorded = _arguments(span_exporter, quota={_KEY: 100, _OTHER_KEY: 200})
    assert sorted(recorded["quota"].values()) == [100, 200]
    assert _KEY not in json.dumps(recorded) and _OTHER_KEY not in json.dumps(recorded)


def test_a_provider_key_as_a_keyword_argument_name_is_masked(span_exporter: InMemorySpanExporter) -> None:
    """send(**{"sk-...": 1}): the argument's name is recorded as a key too."""
    recorded = _arguments(span_exporter, **{_KEY: 1})
    assert _KEY not in json.dumps(recorded) and list(recorded.values()) == [1]


_PEM_KEY = ("-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA0Z3VS5JJcds3xfn/ygWyF8PbnGy0AHB7MaZu\n"
            "-----END RSA PRIVATE KEY-----\n")


def test_a_private_key_held_in_base64_is_masked_a_certificate_kept(span_exporter: InMemorySpanExporter) -> None:
    """A Kubernetes secret's ``tls.key`` (a PEM private key in base64, what ``kubectl get secret -o yaml`` shows)
    is masked wherever it appears; its ``tls.crt`` (a certificate: public) is kept."""
    import base64

    key = base64.b64encode(_PEM_KEY.encode()).decode()
    for kind in ("EC PRIVATE KEY", "PRIVATE KEY", "OPENSSH PRIVATE KEY", "ENCRYPTED PRIVATE KEY"):
        other = base64.b64encode(_PEM_KEY.replace("RSA PRIVATE KEY", kind).encode()).decode()
        assert other not in json.dumps(_arguments(span_exporter, value=f"x {other} y"))
        span_exporter.clear()
    cert = base64.b64encode(b"-----BEGIN CERTIFICATE-----\nMIIDdzCCAl+gAwIBAgIEAgAAuTANBgkqhkiG9w0BAQUFADBa\n"
                            b"-----END CERTIFICATE-----\n").decode()
    listing = f"apiVersion: v1\ndata:\n  tls.crt: {cert}\n  tls.key: {key}\nkind: Secret\n"
    recorded = _arguments(span_exporter, output=listing)["output"]
    assert recorded == f"apiVersion: v1\ndata:\n  tls.crt: {cert}\n  tls.key: [REDACTED]\nkind: Secret\n"


def test_a_base64_private_key_wrapped_over_lines_or_after_a_certificate_is_masked(
        span_exporter: InMemorySpanExporter) -> None:
    """``base64 key.pem`` wraps at 76 columns (``openssl base64`` at 64): every line of the key is masked, and a
    bundle (a certificate, then its key, in one base64 run) is masked too; the text after it is kept."""
    import base64
    import textwrap

    body = "MIIEowIBAAKCAQEA0Z3VS5JJcds3xfn/ygWyF8PbnGy0AHB7MaZu" * 6
    key = f"-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----\n"
    cert = "-----BEGIN CERTIFICATE-----\nMIIDdzCCAl+gAwIBAgIEAgAAuTANBgkqhkiG9w0BAQUFADBa\n-----END CERTIFICATE-----\n"
    for width in (76, 64):
        for pem in (key, cert + key):
            wrapped = "\n".join(textwrap.wrap(base64.b64encode(pem.encode()).decode(), width))
            recorded = _arguments(span_exporter, output=f"$ base64 key.pem\n{wrapped}\nkind: done\n")["output"]
            assert recorded == "$ base64 key.pem\n[REDACTED]\nkind: done\n", (width, recorded)
            span_exporter.clear()
