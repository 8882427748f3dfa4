"""Werkzeug's URL builders made once per rule shape, not once per app (tests only).

Each test makes its own Flask app, and each app binds its 85 URL rules; werkzeug compiles
two URL-building functions for every rule it binds (``Rule._compile_builder``: an AST
built, walked and compiled), about 70 ms of every ``create_app``, most of a small test's
set-up. The function it compiles depends only on the rule's text, its parsed parts and its
defaults (the converters are reached through the rule at call time), so one compiled for
an earlier app's identical rule is the same function: :func:`install` keeps them by those
inputs. Production makes its app once per worker and is not patched.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from werkzeug.routing import Rule

_built: dict[tuple[Any, ...], Callable[..., tuple[str, str]]] = {}


def install() -> None:
    """Patch :class:`werkzeug.routing.Rule` (once; a werkzeug without the method is left
    alone)."""
    original = getattr(Rule, "_compile_builder", None)
    if original is None or getattr(original, "_kelisim_cached", False):
        return

    def compile_builder(self: Rule, append_unknown: bool = True
                        ) -> Callable[..., tuple[str, str]]:
        defaults = self.defaults or {}
        try:
            key = (self.rule, tuple(self._trace), append_unknown,
                   tuple(sorted((k, repr(v), type(self._converters.get(k)).__name__)
                                for k, v in defaults.items())))
            hash(key)
        except (TypeError, AttributeError):
            return original(self, append_unknown)  # type: ignore[no-any-return]
        fn = _built.get(key)
        if fn is None:
            fn = _built[key] = original(self, append_unknown)
        return fn

    compile_builder._kelisim_cached = True  # type: ignore[attr-defined]
    Rule._compile_builder = compile_builder  # type: ignore[method-assign]
