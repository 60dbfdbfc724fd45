"""``diff`` shows *where* two arguments differ: the two values it prints are never the same text."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_recordings import record
from test_cli import run

pytestmark = pytest.mark.slow  # the agent runs in a child process

LONG = "a" * 300


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """Runs whose one tool argument differs late in a long value, in spacing, or in the kind of space."""
    def run_with(q: str) -> dict[str, object]:
        return {"steps": [{"tool": "lookup", "args": {"q": q}}]}

    return record(tmp_path_factory.mktemp("rec"), {
        "long_x": run_with(LONG + "X"), "long_y": run_with(LONG + "Y"),
        "two_spaces": run_with("a  b"), "one_space": run_with("a b"), "nbsp": run_with("a\u00a0b"),
    })


def _detail(traces: Path, a: str, b: str) -> str:
    code, out, err = run("diff", a, b, "--source", str(traces))
    assert code == 1, err
    assert "same tool, different arguments" in out
    [line] = [ln for ln in out.splitlines() if ln.startswith("  q: ")]
    return line


def _sides(line: str) -> tuple[str, str]:
    a, b = line.removeprefix("  q: ").split(" → ")
    return a, b


def test_a_late_difference_in_a_long_value_is_shown(recorded: tuple[Path, dict[str, str]]) -> None:
    """Two 301-character arguments differing in their last character show that character on each side."""
    traces, ids = recorded
    a, b = _sides(_detail(traces, ids["long_x"], ids["long_y"]))
    assert a != b
    assert "X" in a and "Y" in b


def test_a_difference_in_spacing_is_shown(recorded: tuple[Path, dict[str, str]]) -> None:
    """'a  b' against 'a b' is printed as two different values, not as "a b" → "a b"."""
    traces, ids = recorded
    a, b = _sides(_detail(traces, ids["two_spaces"], ids["one_space"]))
    assert (a, b) == ('"a  b"', '"a b"')


def test_a_no_break_space_is_told_from_a_space(recorded: tuple[Path, dict[str, str]]) -> None:
    """A no-break space against a space is shown as an escape beside the plain space."""
    traces, ids = recorded
    a, b = _sides(_detail(traces, ids["nbsp"], ids["one_space"]))
    assert (a, b) == ('"a\\xa0b"', '"a b"')
