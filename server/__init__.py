"""Kelisim server: publishes signed policy manifests and documents.

``create_app(test_config=None)`` is the Flask app factory; ``server.wsgi:app`` is the
production entry point (the fast path in front of Flask). Both names load
:mod:`server.app` when first used, so that the domain packages (:mod:`server.trust`,
:mod:`server.policy`, :mod:`server.consent`) import without Flask.
"""

from __future__ import annotations

import importlib
import typing

if typing.TYPE_CHECKING:
    from server.app import Kelisim, create_app

__all__ = ["Kelisim", "create_app"]


def __getattr__(name: str) -> object:
    if name in __all__:
        return getattr(importlib.import_module("server.app"), name)
    raise AttributeError(f"module 'server' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
