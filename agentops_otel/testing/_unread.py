"""What a ``with_args`` predicate is handed for an argument cut at the value limit: a stand-in that refuses
every use.

The recorded text of a cut argument is not what the agent passed, so a predicate must not judge it; but
a predicate that never reads that argument (``lambda a: a["mode"] == "short"`` beside a cut ``document``)
can judge the call as the dict form does. Each use of the stand-in (comparison, ``in``, ``str``,
``repr``, ``len``, iteration, indexing, hashing, attribute access, JSON encoding, arithmetic) raises
:class:`ReadCut` and notes which argument was read, so the assertion refuses that call even when the
predicate caught the error itself. Uses Python makes without asking the object (``is``, ``type(x)``)
cannot be seen: they tell nothing of the value but that it was cut.
"""

from __future__ import annotations

from typing import Any, NoReturn

__all__ = ["ReadCut", "Unread"]


class ReadCut(Exception):
    """A predicate used the stand-in of a cut argument (private: no predicate expects to catch it)."""


class Unread:
    """Stands for the argument ``key``, cut when recorded; appends ``key`` to ``reads`` when used."""

    __slots__ = ("_key", "_reads")

    def __init__(self, key: str, reads: list[str]) -> None:
        object.__setattr__(self, "_key", key)
        object.__setattr__(self, "_reads", reads)

    def _read(self, *_: Any, **__: Any) -> NoReturn:
        key: str = object.__getattribute__(self, "_key")
        object.__getattribute__(self, "_reads").append(key)
        raise ReadCut(f"argument {key!r} was cut at the value limit: its recorded value is not the one passed")

    def __getattribute__(self, name: str) -> Any:
        # Every attribute, ``__class__`` too: json's encoder names an unknown object's class to refuse it.
        object.__getattribute__(self, "_read")()

    __setattr__ = __delattr__ = __dir__ = _read
    __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = _read  # type: ignore[assignment]
    __hash__ = __bool__ = __len__ = __length_hint__ = __iter__ = __reversed__ = __contains__ = _read  # type: ignore[assignment]
    __getitem__ = __setitem__ = __delitem__ = __call__ = __enter__ = __exit__ = _read
    __str__ = __repr__ = __format__ = __bytes__ = __fspath__ = _read  # type: ignore[assignment]
    __int__ = __float__ = __complex__ = __index__ = __round__ = __trunc__ = __floor__ = __ceil__ = _read
    __neg__ = __pos__ = __abs__ = __invert__ = _read
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __matmul__ = __rmatmul__ = _read
    __truediv__ = __rtruediv__ = __floordiv__ = __rfloordiv__ = __mod__ = __rmod__ = _read
    __divmod__ = __rdivmod__ = __pow__ = __rpow__ = __lshift__ = __rlshift__ = __rshift__ = _read
    __rrshift__ = __and__ = __rand__ = __xor__ = __rxor__ = __or__ = __ror__ = _read
    __reduce__ = __reduce_ex__ = __copy__ = __deepcopy__ = __getstate__ = _read  # type: ignore[assignment]
