"""The ``variation_report`` fixture's table in pytest's terminal summary, pytest-xdist workers included.

Under ``-n N`` every worker fills a report of its own and the controller, which prints the summary, runs
no test: each worker sends its runs back through ``config.workeroutput`` (each run's verdict, reason,
URL and the decisions its divergence is computed from), and the controller prints one table of them all
in collection order, as a serial run would.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import pytest

if TYPE_CHECKING:  # imported once a run has variations: every pytest run of the project loads this module
    from agentops_otel.testing._variation_table import VariantRow
    from agentops_otel.testing._variations import VariationReport
    from agentops_otel.timeline import Timeline

__all__ = ["REPORT", "VariationsSummary"]

REPORT: Final = pytest.StashKey["VariationReport"]()
"""The run's report, set by the ``variation_report`` fixture."""
_WIRE_KEY: Final = "agentops_otel.variations"
"""Where a worker puts its runs in ``workeroutput``."""
_SECTION: Final = "agent variations"


@dataclass(frozen=True)
class _Received:
    """One run a worker sent: what the table shows of it (a :class:`VariantRow`)."""

    position: int
    """The test's index in the collection (every worker collects the same), then the run's in the worker."""
    seq: int
    passed: bool
    reason: str | None
    label: str
    url: str
    key: str
    session_name: str
    name: str | None
    timeline_json: str

    def decisions(self) -> Timeline:
        import msgspec

        from agentops_otel.timeline import Timeline

        return msgspec.json.decode(self.timeline_json, type=Timeline)


class VariationsSummary:
    """Prints the table at the end of the run; on pytest-xdist, carries each worker's runs to the controller."""

    def __init__(self) -> None:
        self._received: list[_Received] = []
        self._starts: list[tuple[int, int]] = []
        """On a worker: (how many runs the report held when a test began, the test's collection index)."""
        self._index: dict[str, int] | None = None

    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        if hasattr(item.config, "workeroutput"):
            if self._index is None:
                self._index = {it.nodeid: i for i, it in enumerate(item.session.items)}
            report = item.config.stash.get(REPORT, None)
            self._starts.append((len(report.results) if report is not None else 0,
                                 self._index.get(item.nodeid, len(self._index))))

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        output = getattr(session.config, "workeroutput", None)
        report = session.config.stash.get(REPORT, None)
        if output is None or report is None or not report.results:
            return
        output[_WIRE_KEY] = json.dumps([self._wire(report, i, r) for i, r in enumerate(report.results)])

    def _wire(self, report: VariationReport, seq: int, row: VariantRow) -> dict[str, Any]:
        import msgspec

        return {"position": self._position(seq), "seq": seq, "passed": row.passed, "reason": row.reason,
                "label": row.label, "url": row.url, "key": row.key, "session_name": row.session_name,
                "name": report.name,
                "timeline_json": msgspec.json.encode(row.decisions()).decode()}

    def _position(self, seq: int) -> int:
        """The collection index of the test that made the report's run ``seq``."""
        found = 0
        for start, index in self._starts:  # in the order the tests ran
            if start > seq:
                break
            found = index
        return found

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: object) -> None:
        raw = getattr(node, "workeroutput", {}).get(_WIRE_KEY)
        if isinstance(raw, str):
            self._received.extend(_Received(**row) for row in json.loads(raw))

    def pytest_terminal_summary(self, terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
        report = config.stash.get(REPORT, None)
        if report is not None and report.results:
            text = report.table()
        elif self._received:
            from agentops_otel.testing._variation_table import divergences, table_text

            rows = sorted(self._received, key=lambda r: (r.position, r.seq))
            text = table_text(rows[0].name, rows, divergences(rows))
        else:
            return
        terminalreporter.write_sep("=", _SECTION)
        terminalreporter.write_line(text)
