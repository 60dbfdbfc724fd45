"""The working state of one session while its timeline is built (shared by every step)."""

from __future__ import annotations

from typing import Any

from agentops_otel.read._record import SpanRecord


class _Session:
    """Working state of one session while its timeline is built."""

    __slots__ = (
        "anchor",
        "children",
        "conflicts",
        "cut",
        "cycles",
        "dup_ids",
        "duplicate_roots",
        "dups",
        "expected",
        "key",
        "nest_parent",
        "nested",
        "no_session",
        "orphans",
        "parent_contested",
        "parent_cycle",
        "parent_sid",
        "presumed_root",
        "pseudo",
        "records",
        "root",
        "top",
        "trace_ids",
    )

    def __init__(self, key: str, records: list[SpanRecord], pseudo: bool) -> None:
        self.key = key
        self.records = records
        self.pseudo = pseudo
        self.root: SpanRecord | None = None
        self.duplicate_roots: list[SpanRecord] = []
        self.parent_sid: str | None = None
        self.parent_cycle: str | None = None
        """The session the root named as its parent (by id or anchor span) when following that leads back
        to this session: not nested in it (see ``_group._link_nested``)."""
        self.parent_contested: str | None = None
        """The session holding the root's span parent when the root names another, not leading to it, as its
        parent session: nested in neither (see ``_group._link_nested``)."""
        self.anchor: str | None = None
        self.nested: list[_Session] = []
        self.nest_parent: _Session | None = None
        self.cut: set[int] = set()
        self.expected = 0
        self.children: dict[Any, list[SpanRecord]] = {}
        self.top: list[SpanRecord] = []
        self.dups = 0
        self.dup_ids: set[str] = set()
        self.conflicts: dict[Any, tuple[SpanRecord, set[str]]] = {}
        """Span key -> (a copy, what its copies disagree on), for copies of one span that differ."""
        self.orphans = 0
        self.cycles = 0
        self.presumed_root: str | None = None
        self.no_session: set[int] = set()
        self.trace_ids: tuple[str, ...] = ()
