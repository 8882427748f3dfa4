"""What every marshmallow schema of the server shares: the strict base, NFC text, and
error messages flattened to ``field.path: message`` lines."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, validate

__all__ = ["Matches", "Strict", "by_field", "flatten", "nfc"]


class Strict(Schema):
    """Unknown fields are an error, never silently dropped."""

    class Meta:
        unknown = RAISE


class Matches(validate.Validator):
    """A field validator from a predicate of :mod:`client_sdk.protocol.grammar` (``is_id``,
    ``is_locale``...) or a compiled pattern used with ``fullmatch``: one definition of each
    grammar, never a second regex that anchors with ``$``."""

    def __init__(self, check: Callable[[Any], bool] | Any, error: str) -> None:
        self.check: Callable[[Any], bool] = check if callable(check) else (
            lambda v: isinstance(v, str) and check.fullmatch(v) is not None)
        self.message = error

    def __call__(self, value: Any) -> Any:
        if not self.check(value):
            raise ValidationError(self.message)
        return value


def nfc(value: Any) -> Any:
    """``value`` with every string in it NFC-normalised (lists and dicts walked)."""
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, dict):
        return {k: nfc(v) for k, v in value.items()}
    if isinstance(value, list):
        return [nfc(v) for v in value]
    return value


def by_field(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """Marshmallow's nested messages as ``{field.path: [message, ...]}`` (``(top level)``
    for messages about the whole object), in the order marshmallow gave them."""
    out: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = f"{prefix}[{key}]" if isinstance(key, int) else (
                f"{prefix}.{key}" if prefix else str(key))
            for path, found in by_field(value, name).items():
                out.setdefault(path, []).extend(found)
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        out.setdefault(prefix or "(top level)", []).extend(messages)
    elif isinstance(messages, list):
        for m in messages:
            for path, found in by_field(m, prefix).items():
                out.setdefault(path, []).extend(found)
    else:
        out.setdefault(prefix or "(top level)", []).append(str(messages))
    return out


def flatten(messages: Any, prefix: str = "") -> list[str]:
    """Turn marshmallow's nested messages into ``field.path: message`` lines."""
    return [f"{path}: {m}" for path, found in by_field(messages, prefix).items()
            for m in found]
