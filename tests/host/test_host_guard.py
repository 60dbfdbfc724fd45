"""Internal failures are logged once per distinct failure, not once per site; the memory is bounded."""

from __future__ import annotations

import pytest

from agentops_otel._guard import report, reset_reports


@pytest.fixture(autouse=True)
def _fresh() -> None:
    reset_reports()


def test_two_different_failures_at_one_site_are_both_logged(caplog: pytest.LogCaptureFixture) -> None:
    """A second, different failure at the same site is logged too."""
    report("site", KeyError("model"))
    report("site", TypeError("unsupported operand"))
    assert "KeyError" in caplog.text
    assert "TypeError" in caplog.text


def test_the_same_failure_is_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    """The same failure repeated (even with different numbers in its message) is logged once."""
    for n in range(5):
        report("site", ValueError(f"bad value at index {n}"))
    assert caplog.text.count("internal error in site") == 1


def test_distinct_failures_are_remembered_up_to_a_bound(caplog: pytest.LogCaptureFixture) -> None:
    """Beyond the bound, new failures are still logged but memory does not grow."""
    from agentops_otel import _guard

    for n in range(_guard.MAX_REMEMBERED + 50):
        report(f"site{n}", RuntimeError("x"))
    assert len(_guard._reported) <= _guard.MAX_REMEMBERED


def test_one_failure_naming_a_span_id_is_logged_once(caplog: pytest.LogCaptureFixture,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A patch of the SDK's span that fails on every tool call, naming each span by its hex id (or a uuid),
    is one failure: logged once, not once per call."""
    import uuid

    from opentelemetry.sdk.trace import Span

    import agentops_otel as agentops

    original = Span.set_attribute

    def rejecting(self: Span, key: str, value: object) -> None:
        if key.startswith("gen_ai.tool.call"):
            raise ValueError(f"redactor rejected {key} on span {self.context.span_id:016x} (ticket {uuid.uuid4()})")
        original(self, key, value)  # type: ignore[arg-type]

    monkeypatch.setattr(Span, "set_attribute", rejecting)

    @agentops.tool
    def lookup(x: int) -> int:
        return x

    for i in range(20):
        assert lookup(i) == i
    assert caplog.text.count("internal error in") == 1
