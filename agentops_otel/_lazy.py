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
    name there); a loaded name is kept in ``namespace`` (the package's globals), so it costs one look-up.

    Every name of that submodule is kept at once: pytester's in-process runs drop the modules a run
    imported first, so a name first used in a later run would come from a fresh copy of the submodule
    while its siblings kept from an earlier run (a server and its own reply type) come from the old one."""
    modules: dict[str, list[tuple[str, str]]] = {}
    for public_name, (module_name, attr) in names.items():
        modules.setdefault(module_name, []).append((public_name, attr))

    def load(name: str) -> Any:
        where = names.get(name)
        if where is None:
            try:
                return importlib.import_module(f"{package}.{name}")
            except ModuleNotFoundError as exc:
                if exc.name != f"{package}.{name}":
                    raise
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module = importlib.import_module(f"{package}.{where[0]}")
        for sibling, attr in modules[where[0]]:
            namespace[sibling] = getattr(module, attr)
        return namespace[name]

    def get(name: str) -> Any:
        with _FIRST_USE:
            return load(name)

    def listing() -> list[str]:
        return sorted({*namespace, *public})

    return get, listing
