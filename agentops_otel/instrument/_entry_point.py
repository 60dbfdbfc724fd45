"""The ``opentelemetry_instrumentor`` entry point each model client's instrumentor is driven through by
``opentelemetry-instrument`` (with or without ``opentelemetry-instrumentation`` installed)."""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from ._base import Instrumentor

__all__ = ["EntryPoint"]


class _PlainInstrumentor:
    """The protocol ``opentelemetry-instrument`` drives, for when opentelemetry-instrumentation is absent."""

    def instrument(self, **kwargs: Any) -> None:
        self._instrument(**kwargs)

    def uninstrument(self, **kwargs: Any) -> None:
        self._uninstrument(**kwargs)

    def _instrument(self, **kwargs: Any) -> None:
        raise NotImplementedError

    def _uninstrument(self, **kwargs: Any) -> None:
        raise NotImplementedError


if TYPE_CHECKING:
    _OTelBase = _PlainInstrumentor
else:
    try:
        from opentelemetry.instrumentation.instrumentor import BaseInstrumentor as _OTelBase
    except ImportError:
        _OTelBase = _PlainInstrumentor


class EntryPoint(_OTelBase):
    """Base of each provider's ``opentelemetry_instrumentor`` entry point (``opentelemetry-instrument``)."""

    instrumentation: ClassVar[Instrumentor[Any]]
    dependencies: ClassVar[tuple[str, ...]] = ()

    def instrumentation_dependencies(self) -> Collection[str]:
        return self.dependencies

    @property
    def is_instrumented_by_opentelemetry(self) -> bool:
        return self.instrumentation.is_instrumented

    def _instrument(self, **kwargs: Any) -> None:
        self.instrumentation.instrument(tracer_provider=kwargs.get("tracer_provider"))

    def _uninstrument(self, **kwargs: Any) -> None:
        self.instrumentation.uninstrument()
