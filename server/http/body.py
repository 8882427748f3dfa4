"""Reading a sync request: its path arguments and its JSON body, before anything touches the
database.

What gets through here is text a database can store and a schema can check: no integer of
thousands of digits (Python refuses to convert it: ``ValueError``), no lone surrogate and no
NUL in a key or a string (PostgreSQL refuses both, UTF-8 cannot encode the first), an app id
and an install id in the path that match their grammar.
"""

from __future__ import annotations

import re
import threading
from typing import Any

from flask import request
from marshmallow import Schema, ValidationError

from client_sdk.protocol import FormatError
from client_sdk.protocol.grammar import is_id, is_uuid
from client_sdk.protocol.jsonutil import loads_strict
from server.consent.checks import rejected_error
from server.http.errors import ApiError
from server.http.fast_validator import Check, compile_schema

__all__ = ["check_path_args", "load_body", "parse_body", "problem_pairs"]

# A lone surrogate or a NUL can only come from a \u escape (the body is valid UTF-8 and JSON
# allows no raw control character in a string), so a body without one needs no walk.
_RISKY_ESCAPE = re.compile(rb"\\u(?:[dD][89a-fA-F]|0000)")
_BAD_CHAR = re.compile("[\ud800-\udfff\x00]")


def check_path_args() -> None:
    """Refuse a malformed app or install id in the path with 404, before any query.

    Raises:
        ApiError: 404 for an app id or install id outside its grammar.
    """
    args = request.view_args or {}
    app_id = args.get("app_id")
    if app_id is not None and not is_id(app_id):
        raise ApiError(404, "not_found", f"app {app_id[:80]!r} not found")
    install_id = args.get("install_id")
    if install_id is not None and not is_uuid(install_id):
        raise ApiError(404, "not_found", f"install {install_id[:80]!r} not found")


def _bad_text(value: Any) -> str | None:
    """The first key or string holding a lone surrogate or NUL, else None."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _BAD_CHAR.search(item):
                return item
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return None


def parse_body(raw: bytes) -> Any:
    """The body's JSON value, parsed with the SDK's strict reader.

    Raises:
        ApiError: 400 ``bad_json`` for anything that is not storable JSON text.
    """
    try:
        # Duplicate keys, floats, NaN and non-UTF-8 are refused.
        data = loads_strict(raw, what="the body")
    except FormatError as exc:
        raise ApiError(400, "bad_json", exc.message) from None
    except ValueError:
        # int() refuses more than sys.get_int_max_str_digits() (4300) digits.
        raise ApiError(400, "bad_json", "the body holds an integer with too many "
                       "digits") from None
    if _RISKY_ESCAPE.search(raw):
        bad = _bad_text(data)
        if bad is not None:
            raise ApiError(400, "bad_json", f"the body holds a string with a lone surrogate "
                           f"or a NUL character: {bad[:40]!r}")
    return data


def problem_pairs(messages: Any, prefix: str = "") -> list[tuple[str, str]]:
    """marshmallow's nested messages as ``(field path, message)`` pairs."""
    out: list[tuple[str, str]] = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = f"{prefix}[{key}]" if isinstance(key, int) else (
                f"{prefix}.{key}" if prefix else str(key))
            out.extend(problem_pairs(value, name))
    elif isinstance(messages, list):
        for m in messages:
            if isinstance(m, str):
                out.append((prefix or "(top level)", m))
            else:
                out.extend(problem_pairs(m, prefix))
    else:
        out.append((prefix or "(top level)", str(messages)))
    return out


def _rejected_records(messages: Any, data: Any) -> list[dict[str, str]] | None:
    """Every problem of a batch as ``{id, field, reason}`` when each lies inside a record
    whose id is valid, so the client can set exactly those records aside; else None."""
    if not isinstance(messages, dict) or set(messages) != {"records"}:
        return None
    per_record = messages["records"]
    if not isinstance(per_record, dict) or not all(isinstance(i, int) for i in per_record):
        return None
    out: list[dict[str, str]] = []
    for i, msgs in per_record.items():
        record = data["records"][i]
        rid = record.get("id") if isinstance(record, dict) else None
        if not is_uuid(rid) or (isinstance(msgs, dict) and "id" in msgs):
            return None
        out += [{"id": str(rid), "field": field, "reason": reason}
                for field, reason in problem_pairs(msgs)]
    return out


_checks: dict[Schema, Check] = {}
_checks_lock = threading.Lock()


def _check_of(schema: Schema) -> Check:
    """The schema's compiled check, built once per schema object (the views use a few
    module-level schema objects)."""
    check = _checks.get(schema)
    if check is None:
        check = compile_schema(schema)
        with _checks_lock:
            if len(_checks) < 64:
                _checks[schema] = check
    return check


def load_body(schema: Schema) -> dict[str, Any]:
    """The request's JSON body, loaded by ``schema``. A body the schema's compiled check
    accepts skips marshmallow's per-field machinery (server/http/fast_validator.py).

    Raises:
        ApiError: 415 not JSON; 400 ``bad_json``; 422 ``invalid`` with ``details.problems``
            (``field: message`` lines), or 422 ``rejected`` with ``details.rejected``
            (``{id, field, reason}`` for every problem) when each problem lies in a record
            of a batch that names a valid id.
    """
    if not request.is_json:
        raise ApiError(415, "unsupported_media_type", "send Content-Type: application/json")
    data = parse_body(request.get_data(cache=True))
    if _check_of(schema)(data):
        return dict(data)  # what schema.load would return (tests/test_schema_check.py)
    try:
        loaded: dict[str, Any] = schema.load(data)
    except ValidationError as exc:
        pairs = problem_pairs(exc.messages)
        lines = [f"{field}: {message}" for field, message in pairs]
        rejected = _rejected_records(exc.messages, data)
        if rejected is not None:
            raise rejected_error(rejected, lines) from None
        raise ApiError(422, "invalid", lines[0], {"problems": lines}) from None
    return loaded
