"""Strict JSON in and canonical JSON out.

Signed payloads are parsed with rules that close the gaps plain ``json.loads`` leaves open:
duplicate keys (two parsers could read two different values), non-finite numbers and floats
(the format has integers only), and text that is not UTF-8.
"""

from __future__ import annotations

import json
import unicodedata
from typing import Any

from client_sdk.errors import FormatError

__all__ = ["canonical_bytes", "loads_strict", "nfc"]


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise FormatError(f"duplicate JSON key {key!r}")
        out[key] = value
    return out


def _no_constant(name: str) -> Any:
    raise FormatError(f"non-finite number {name} is not allowed")


def _no_float(text: str) -> Any:
    raise FormatError(f"number {text[:40]} is not an integer")


MAX_DIGITS = 64


def _int(text: str) -> int:
    # Python refuses to convert more than 4,300 digits (ValueError), and converting fewer
    # still costs quadratic time; no number in these formats comes near 64 digits.
    if len(text) > MAX_DIGITS:
        raise FormatError(f"number {text[:20]}... has more than {MAX_DIGITS} digits")
    return int(text)


def loads_strict(data: bytes, *, what: str = "document", url: str | None = None) -> Any:
    """Parse UTF-8 JSON bytes, rejecting duplicate keys, floats, NaN/Infinity and integers
    of more than 64 digits.

    Raises:
        FormatError: the bytes are not valid UTF-8 JSON under these rules.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FormatError(f"{what} is not UTF-8: {exc}", url=url) from None
    try:
        return json.loads(
            text,
            object_pairs_hook=_no_duplicates,
            parse_constant=_no_constant,
            parse_float=_no_float,
            parse_int=_int,
        )
    except FormatError as exc:
        raise FormatError(f"{what}: {exc.message}", url=url) from None
    except json.JSONDecodeError as exc:
        raise FormatError(f"{what} is not valid JSON: {exc}", url=url) from None
    except RecursionError:
        raise FormatError(f"{what} is nested too deeply", url=url) from None
    except ValueError as exc:  # any other refusal of the decoder: never a bare ValueError
        raise FormatError(f"{what} is not valid JSON: {exc}", url=url) from None


def nfc(value: Any) -> Any:
    """Return ``value`` with every string (keys included) NFC-normalised."""
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, dict):
        return {nfc(k): nfc(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [nfc(v) for v in value]
    return value


def canonical_bytes(value: Any) -> bytes:
    """Serialise to compact, key-sorted, NFC-normalised UTF-8 JSON.

    Used when *making* signed payloads; a verifier never re-serialises, it checks the
    exact bytes it received.
    """
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False)
    # Almost all text is NFC already: one C-level check of the whole text is enough (JSON's
    # own characters never compose with a neighbour). Otherwise normalise string by string,
    # which can also change the order of keys.
    if unicodedata.is_normalized("NFC", text):
        return text.encode("utf-8")
    return json.dumps(
        nfc(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")
