"""Public names loaded on first use, for the package's ``__init__`` modules.

The pytest plugin is imported by every pytest run of a project that has the package installed; the
modules behind the public names pull in the OpenTelemetry SDK, the exporters, the readers and the replay
machinery (~0.2 s), which a run that never opts in must not pay. To the user the package must still look
as if everything were imported: ``dir()`` lists every name, and two threads using names for the first time
at once both get them (a module half-imported by one thread is never handed to the other).
"""

from __future__ import annotations

import importlib
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from types import ModuleType
from typing import Any

__all__ = ["loader"]

_FIRST_USE = threading.RLock()
"""One thread imports at a time (re-entrant: a module being imported may use another lazy name)."""


def loader(package: str, names: Mapping[str, tuple[str, str]], namespace: dict[str, Any],
           public: Sequence[str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for ``package``: ``names`` maps each public name to (its submodule, its
    name there); a loaded name is kept in ``namespace`` (the package's globals), so it costs one look-up.

    pytester's in-process runs drop the modules a run imported first, so a name first used in a later run
    comes from fresh copies of the modules while the names kept from an earlier run come from the old ones
    (a server refusing the reply type of the fresh copy). So every name of a submodule is kept at once,
    and a name first used refreshes the kept names whose submodule was dropped since: only on a miss."""
    modules: dict[str, list[tuple[str, str]]] = {}
    for public_name, (module_name, attr) in names.items():
        modules.setdefault(module_name, []).append((public_name, attr))
    kept: dict[str, ModuleType] = {}  # each submodule whose names are in ``namespace``, as it was imported

    def keep(module_name: str) -> None:
        module = importlib.import_module(f"{package}.{module_name}")
        for public_name, attr in modules[module_name]:
            namespace[public_name] = getattr(module, attr)
        kept[module_name] = module

    def load(name: str) -> Any:
        where = names.get(name)
        if where is None:
            try:
                return importlib.import_module(f"{package}.{name}")
            except ModuleNotFoundError as exc:
                if exc.name != f"{package}.{name}":
                    raise
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        for module_name, module in list(kept.items()):
            if sys.modules.get(f"{package}.{module_name}") is not module:  # dropped since: kept names are stale
                keep(module_name)
        keep(where[0])
        return namespace[name]

    def get(name: str) -> Any:
        with _FIRST_USE:
            return load(name)

    def listing() -> list[str]:
        return sorted({*namespace, *public})

    return get, listing
