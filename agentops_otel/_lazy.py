"""Public names loaded on first use, for the package's ``__init__`` modules.

The pytest plugin is imported by every pytest run of a project that has the package installed; the
modules behind the public names pull in the OpenTelemetry SDK, the exporters, the readers and the replay
machinery (~0.2 s), which a run that never opts in must not pay. To the user the package must still look
as if everything were imported: ``dir()`` lists every name, and two threads using names for the first time
at once both get them (a module half-imported by one thread is never handed to the other).
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

__all__ = ["loader"]

_FIRST_USE = threading.RLock()
"""One thread imports at a time (re-entrant: a module being imported may use another lazy name)."""


def loader(package: str, names: Mapping[str, tuple[str, str]], namespace: dict[str, Any],
           public: Sequence[str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for ``package``: ``names`` maps each public name to (its submodule, its
    name there); a loaded name is kept in ``namespace`` (the package's globals), so it costs one look-up."""

    def load(name: str) -> Any:
        where = names.get(name)
        if where is None:
            try:
                return importlib.import_module(f"{package}.{name}")
            except ModuleNotFoundError as exc:
                if exc.name != f"{package}.{name}":
                    raise
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{where[0]}"), where[1])
        namespace[name] = value
        return value

    def get(name: str) -> Any:
        with _FIRST_USE:
            return load(name)

    def listing() -> list[str]:
        return sorted({*namespace, *public})

    return get, listing
