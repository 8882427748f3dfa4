"""Write the TOML the console puts in its edit boxes (the standard library only reads it).

Covers what version.toml and app.toml hold: strings, booleans, integers, lists of those,
tables of them, and arrays of tables. ``tomllib.loads(dumps(x)) == x`` for those shapes.
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["dumps"]

_BARE = re.compile(r"[A-Za-z0-9_-]+\Z")


def _key(key: str) -> str:
    return key if _BARE.match(key) else _string(key)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        # A JSON string is a valid TOML basic string (same escapes).
        return _string(value)
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        inner = ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()
                          if v is not None)
        return "{ " + inner + " }" if inner else "{}"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def _is_table_array(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def dumps(data: dict[str, Any]) -> str:
    """TOML text for ``data`` (None values are left out: TOML has no null)."""
    lines: list[str] = []
    tail: list[str] = []
    for key, value in data.items():
        if value is None:
            continue
        if _is_table_array(value):
            for item in value:
                tail.append(f"\n[[{_key(key)}]]")
                tail.extend(f"{_key(k)} = {_value(v)}" for k, v in item.items()
                            if v is not None)
        elif isinstance(value, dict) and value and all(
                not isinstance(v, (dict, list)) for v in value.values()):
            tail.append(f"\n[{_key(key)}]")
            tail.extend(f"{_key(k)} = {_value(v)}" for k, v in value.items() if v is not None)
        else:
            lines.append(f"{_key(key)} = {_value(value)}")
    return "\n".join(lines + tail).strip() + "\n"


def _string(text: str) -> str:
    """A TOML basic string: JSON's escapes, plus DEL, which TOML forbids raw and JSON
    leaves as it is."""
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")
