"""A fast accept-only check generated from a marshmallow schema: the sync API's hot path.

marshmallow spends most of a load in its per-field machinery (``Field.deserialize``,
``_validate``, the schema's getter and error bookkeeping: about 30 calls per field), not in
the checks themselves. :func:`compile_schema` reads the same schema object once and builds
plain closures that apply exactly its rules (types, required, null, unknown keys, every
validator). A body the closures accept is returned as it is (marshmallow would return an
equal copy); anything else goes to ``schema.load`` for the messages. The schema stays the
one definition; a field type or validator the compiler does not know is an error when the
check is built, never a rule silently skipped. tests/test_schema_check.py checks with
hypothesis that both accept and refuse the same inputs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from marshmallow import RAISE, Schema, fields, missing, validate

from client_sdk.protocol.grammar import parse_time
from server.http.schemas import Distinct, FullMatch, MaxKeys, StrictBool, Time

__all__ = ["Check", "compile_schema"]

Check = Callable[[Any], bool]


def _validator(v: Any) -> Check:
    if isinstance(v, FullMatch):
        pattern = v.pattern
        return lambda x: pattern.fullmatch(x) is not None
    if isinstance(v, validate.Range):
        if not (v.min_inclusive and v.max_inclusive):
            raise TypeError("only inclusive ranges are compiled")
        lo, hi = v.min, v.max
        return lambda x: (lo is None or x >= lo) and (hi is None or x <= hi)
    if isinstance(v, validate.Length):
        if v.equal is not None:
            raise TypeError("Length(equal=) is not compiled")
        lo_len, hi_len = v.min, v.max
        return lambda x: (lo_len is None or len(x) >= lo_len) and \
            (hi_len is None or len(x) <= hi_len)
    if isinstance(v, validate.OneOf):
        choices = frozenset(v.choices)
        return lambda x: x in choices
    if isinstance(v, MaxKeys):
        limit = v.limit
        return lambda x: len(x) <= limit
    if isinstance(v, Distinct):
        return lambda x: len(set(x)) == len(x)
    raise TypeError(f"no compiled form for validator {v!r}")


def _field(field: fields.Field[Any]) -> Check:
    checks = [_validator(v) for v in field.validators]
    kind: Check
    if isinstance(field, Time):
        def kind(x: Any) -> bool:
            if not isinstance(x, str):
                return False
            try:
                parse_time(x)
            except ValueError:
                return False
            return True
    elif type(field) is fields.String:
        def kind(x: Any) -> bool:
            return isinstance(x, str)
    elif type(field) is fields.Integer and field.strict:
        def kind(x: Any) -> bool:
            return isinstance(x, int) and not isinstance(x, bool)
    elif isinstance(field, StrictBool):
        def kind(x: Any) -> bool:
            return isinstance(x, bool)
    elif type(field) is fields.Nested:
        nested = field.schema
        kind = compile_schema(nested)
    elif type(field) is fields.List:
        item = _field(field.inner)

        def kind(x: Any) -> bool:
            if not isinstance(x, list):
                return False
            for i in x:  # noqa: SIM110 - hot path: no generator frame
                if not item(i):
                    return False
            return True
    elif type(field) is fields.Dict:
        if field.key_field is None or field.value_field is None:
            raise TypeError("a Dict needs key and value fields to be compiled")
        key, value = _field(field.key_field), _field(field.value_field)

        def kind(x: Any) -> bool:
            if not isinstance(x, dict):
                return False
            for k, v in x.items():  # noqa: SIM110 - hot path: no generator frame
                if not (key(k) and value(v)):
                    return False
            return True
    else:
        raise TypeError(f"no compiled form for field {field!r}")
    allow_none = field.allow_none
    if not checks:
        def plain(x: Any) -> bool:
            return allow_none if x is None else kind(x)
        return plain

    def check(x: Any) -> bool:
        if x is None:
            return allow_none
        if not kind(x):
            return False
        for c in checks:  # noqa: SIM110 - hot path: no generator frame
            if not c(x):
                return False
        return True

    return check


def compile_schema(schema: Schema) -> Check:
    """A predicate true exactly for the values ``schema.load`` accepts unchanged.

    Raises:
        TypeError: the schema uses a field, validator, option or hook without a compiled
            form.
    """
    if schema.unknown != RAISE or any(schema._hooks.values()) or schema.only or \
            schema.exclude or schema.partial:
        raise TypeError(f"{type(schema).__name__}: only strict schemas without hooks, "
                        f"only, exclude or partial are compiled")
    declared = {name: f for name, f in schema.fields.items() if not f.dump_only}
    if any(f.data_key not in (None, name) or f.load_default is not missing
           for name, f in declared.items()):
        raise TypeError("data_key and load_default are not compiled")
    checks = {name: _field(f) for name, f in declared.items()}
    required = frozenset(name for name, f in declared.items() if f.required)
    known = frozenset(declared)

    def check(x: Any) -> bool:
        if not isinstance(x, dict) or not known.issuperset(x) or not required.issubset(x):
            return False
        for k, v in x.items():  # noqa: SIM110 - hot path: no generator frame
            if not checks[k](v):
                return False
        return True

    return check
