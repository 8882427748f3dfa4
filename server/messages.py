"""Messages the domains produce for people: an English sentence (what the CLI prints, the
audit log keeps and the tests read) that also carries a code, its parameters and the field
it is about, so the console can say it in the page's language and name the field as its
form names it (server/admin/messages.py), without the file paths of a policy folder.

A :class:`Message` is a ``str``: code that joins, prints or stores messages keeps working
unchanged, and a message that lost its code (read back from JSON) is still its sentence.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Message", "human_bytes", "size_parts"]


class Message(str):
    """``str(m)`` is the English sentence; ``code`` names it in the console's catalogue,
    ``params`` fill it, ``field`` is the field path it is about (``label``,
    ``purposes[0].title.kk``, ``kk.md`` for a document; "" when none)."""

    code: str
    field: str
    params: dict[str, Any]

    def __new__(cls, text: str, code: str, *, field: str = "", **params: Any) -> Message:
        self = super().__new__(cls, text)
        self.code = code
        self.field = field
        self.params = params
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (str(self), self.code, self.field, self.params))


def _rebuild(text: str, code: str, field: str, params: dict[str, Any]) -> Message:
    return Message(text, code, field=field, **params)


_UNITS = ((1024**3, "GiB"), (1024**2, "MiB"), (1024, "KiB"))


def size_parts(n: int) -> tuple[str, str]:
    """``n`` bytes as (number, unit) in the largest binary unit it reaches, with at most
    two decimals: ``(5209253)`` -> ``("4.97", "MiB")``, ``(1048576)`` -> ``("1", "MiB")``,
    ``(900)`` -> ``("900", "bytes")``."""
    for size, unit in _UNITS:
        if n >= size:
            return f"{n / size:.2f}".rstrip("0").rstrip("."), unit
    return str(n), "bytes"


def human_bytes(n: int) -> str:
    """``n`` bytes for a person, exact when the unit rounds: ``4.97 MiB (5,209,253 bytes)``,
    ``1 MiB (1,048,576 bytes)``, ``900 bytes``."""
    number, unit = size_parts(n)
    return f"{number} {unit}" if unit == "bytes" else f"{number} {unit} ({n:,} bytes)"
