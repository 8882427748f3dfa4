"""``@record``: the SDK's value types, dataclasses whose immutability, equality, hash and
repr are shared methods instead of generated ones.

``@dataclass(frozen=True)`` writes and compiles six methods for every class when its
module is imported; an app's start-up paid that for the SDK's ~30 value types (about 7 ms of
a phone's launch, before the first frame). A record has the same fields, constructor,
immutability (each field is set once, by the constructor; any other assignment or
deletion raises ``FrozenInstanceError``), equality (same class, equal fields), hash and
repr; only ``__init__`` is generated.
"""

from __future__ import annotations

from dataclasses import FrozenInstanceError, dataclass, fields
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

    def __setattr__(self, name: str, value: Any) -> None:
        # The generated __init__ sets each field once; nothing sets anything after it.
        if name in self.__dict__ or name not in _names(type(self)):
            raise FrozenInstanceError(f"cannot assign to field {name!r}")
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")


@dataclass_transform(frozen_default=True)
def record(cls: type[T]) -> type[T]:
    """A frozen dataclass of ``cls``, which must derive from :class:`Record`."""
    if not issubclass(cls, Record):
        raise TypeError(f"{cls.__qualname__} must derive from Record")
    return dataclass(eq=False, repr=False)(cls)
