"""``@record``: the SDK's value types, frozen dataclasses that share one ``__eq__``,
``__hash__`` and ``__repr__``.

``@dataclass(frozen=True)`` writes and compiles six methods for every class when its
module is imported; an app's start-up paid that for the SDK's ~25 value types (about 5 ms of
a phone's launch, before the first frame). A record has the same fields, constructor,
immutability, equality (same class, equal fields), hash and repr; three of the methods are
these shared ones instead of generated ones.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, TypeVar, dataclass_transform

__all__ = ["Record", "record"]

T = TypeVar("T")

_NAMES: dict[type, tuple[str, ...]] = {}


def _names(cls: type) -> tuple[str, ...]:
    names = _NAMES.get(cls)
    if names is None:
        names = _NAMES[cls] = tuple(f.name for f in fields(cls))
    return names


class Record:
    """The methods every record shares (see the module docstring)."""

    __slots__ = ()

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in _names(type(self)))

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, Record)
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        inner = ", ".join(f"{name}={getattr(self, name)!r}" for name in _names(type(self)))
        return f"{type(self).__qualname__}({inner})"


@dataclass_transform(frozen_default=True)
def record(cls: type[T]) -> type[T]:
    """A frozen dataclass of ``cls``, which must derive from :class:`Record`."""
    if not issubclass(cls, Record):
        raise TypeError(f"{cls.__qualname__} must derive from Record")
    return dataclass(frozen=True, eq=False, repr=False)(cls)
