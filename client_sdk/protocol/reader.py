"""Typed, path-naming field access for the signed formats (used by :mod:`model`). Pure."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime

from client_sdk.errors import FormatError
from client_sdk.protocol.grammar import INT32_MAX, is_id, is_locale, parse_time

__all__ = ["Reader"]

# Tags and ids seen valid: a manifest repeats the same few hundreds of times, and this runs
# at every launch. Bounded, so that hostile input cannot grow it.
# One set per grammar: a valid id is not thereby a valid locale tag.
_SEEN: dict[Callable[[object], bool], set[object]] = {is_id: set(), is_locale: set()}
_SEEN_MAX = 1024


def _valid(value: object, check: Callable[[object], bool]) -> bool:
    if not isinstance(value, str):
        return False
    seen = _SEEN[check]
    if value in seen:
        return True
    if not check(value):
        return False
    if len(seen) < _SEEN_MAX:
        seen.add(value)
    return True


class Reader:
    """Typed field access that names the path of whatever is wrong.

    Each accessor returns its declared type or raises :class:`FormatError`; ``None`` comes
    back only from the ``optional_*`` accessors (field absent or null).
    """

    def __init__(self, data: object, path: str) -> None:
        if not isinstance(data, Mapping):
            raise FormatError("must be an object", field=path or "payload")
        self.data: Mapping[str, object] = data
        self.path = path

    def name(self, key: str) -> str:
        """The path of ``key`` in the document (``records[0].version``)."""
        return f"{self.path}.{key}" if self.path else key

    def value(self, key: str) -> object:
        """The value of ``key``, of any type (the caller checks it).

        Raises:
            FormatError: ``key`` is missing.
        """
        return self._raw(key)

    def only(self, *keys: str) -> None:
        unknown = set(self.data) - set(keys)
        if unknown:
            raise FormatError(f"unknown field(s) {sorted(unknown)}", field=self.path or "payload")

    def _raw(self, key: str) -> object:
        if key not in self.data:
            raise FormatError("is missing", field=self.name(key))
        return self.data[key]

    def _wrong(self, key: str, what: str) -> FormatError:
        return FormatError(f"must be {what}", field=self.name(key))

    def integer(self, key: str, *, minimum: int = 0) -> int:
        value = self._raw(key)
        # bool is an int subclass; a JSON true must never pass as a number.
        if not isinstance(value, int) or isinstance(value, bool):
            raise self._wrong(key, "an integer")
        if value < minimum:
            raise FormatError(f"must be >= {minimum}", field=self.name(key))
        if value > INT32_MAX:
            # Every stored integer fits a signed 32-bit column (client_sdk.protocol.grammar).
            raise FormatError(f"must be <= {INT32_MAX}", field=self.name(key))
        return value

    def optional_integer(self, key: str, *, minimum: int = 0) -> int | None:
        return None if self.data.get(key) is None else self.integer(key, minimum=minimum)

    def boolean(self, key: str) -> bool:
        value = self._raw(key)
        if not isinstance(value, bool):
            raise self._wrong(key, "true or false")
        return value

    def string(self, key: str, *, pattern: re.Pattern[str] | None = None) -> str:
        value = self._raw(key)
        if not isinstance(value, str):
            raise self._wrong(key, "a string")
        if pattern is not None and not pattern.fullmatch(value):
            raise FormatError(f"{value!r} is not valid", field=self.name(key))
        return value

    def optional_string(self, key: str) -> str | None:
        return None if self.data.get(key) is None else self.string(key)

    def mapping(self, key: str) -> Mapping[str, object]:
        value = self._raw(key)
        if not isinstance(value, Mapping):
            raise self._wrong(key, "an object")
        return value

    def array(self, key: str) -> list[object]:
        value = self._raw(key)
        if not isinstance(value, list):
            raise self._wrong(key, "a list")
        return value

    def time(self, key: str) -> datetime:
        value = self.string(key)
        try:
            return parse_time(value)
        except ValueError as exc:
            raise FormatError(str(exc), field=self.name(key)) from None

    def text(self, key: str) -> dict[str, str]:
        """A per-locale text map ``{"kk": "...", "ru": "..."}``."""
        value = self.mapping(key)
        for tag, text in value.items():
            if not isinstance(text, str) or not _valid(tag, is_locale):
                raise FormatError("must map locale tags to strings", field=self.name(key))
        return dict(value)  # type: ignore[arg-type]  # every value checked above

    def strings(self, key: str, *, check: Callable[[object], bool], what: str) -> tuple[str, ...]:
        """A list of distinct strings, each passing ``check``."""
        out: list[str] = []
        for i, item in enumerate(self.array(key)):
            if not isinstance(item, str) or not check(item):
                raise FormatError(f"must be {what}", field=f"{self.name(key)}[{i}]")
            out.append(item)
        if len(set(out)) != len(out):
            raise FormatError("has duplicates", field=self.name(key))
        return tuple(out)

    def ids(self, key: str) -> tuple[str, ...]:
        return self.strings(key, check=lambda v: _valid(v, is_id), what="a lowercase id")

    def objects(self, key: str) -> list[Reader]:
        return [Reader(item, f"{self.name(key)}[{i}]")
                for i, item in enumerate(self.array(key))]
