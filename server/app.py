"""The Flask app factory: configuration, database, cache, blueprints and WSGI layers.

``create_app(test_config=None)`` builds the app; ``server.wsgi:app`` is the production
entry point (the fast path in front of Flask).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask

from server.config import ensure_secret_keys, load_config, make_instance_folder
from server.context import Kelisim
from server.db import Database
from server.serving.published import Published
from server.trust.manifests import Timing

__all__ = ["Kelisim", "create_app"]


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the Flask app. ``test_config`` overrides KELISIM_* keys (without the prefix).

    Raises:
        ConfigError: a configuration value that cannot be used.
    """
    cfg = load_config(test_config)
    make_instance_folder(Path(cfg["INSTANCE_PATH"]))
    app = Flask(__name__, instance_path=cfg["INSTANCE_PATH"])
    secret_keys = ensure_secret_keys(cfg)
    # Flask (sessions, CSRF) signs with the newest key and still accepts the older ones.
    app.config["SECRET_KEY"], app.config["SECRET_KEY_FALLBACKS"] = secret_keys[-1], secret_keys[:-1]
    app.config["TESTING"] = bool(cfg.get("TESTING"))
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    db = Database(cfg["DATABASE_URL"])
    timing = Timing(ttl=timedelta(seconds=cfg["MANIFEST_TTL"]),
                    resign_before=timedelta(seconds=cfg["RESIGN_BEFORE"]))
    published = Published(db, Path(cfg["KEYS_DIR"]), timing,
                          manifest_max_age=cfg["MANIFEST_MAX_AGE"],
                          root_max_age=cfg["ROOT_MAX_AGE"],
                          check_interval=cfg["CACHE_CHECK_INTERVAL"],
                          document_cache_bytes=cfg["DOCUMENT_CACHE_BYTES"])
    k = app.extensions["kelisim"] = Kelisim(cfg, db, published)

    from server.admin import init_admin
    from server.http import errors
    from server.http import public as api
    from server.http import sync as sync_api
    from server.http.ratelimit import MemoryCounter, RateLimiter, RedisCounter

    app.config["MAX_CONTENT_LENGTH"] = cfg["MAX_BODY_BYTES"]
    storage = str(cfg["RATE_LIMIT_STORAGE"])
    k.limiter = RateLimiter(
        MemoryCounter() if storage == "memory" else RedisCounter(storage))
    errors.register_error_handlers(app)
    app.register_blueprint(api.bp)
    app.register_blueprint(sync_api.bp)
    init_admin(app)  # the operator console at /admin
    _wrap_wsgi(app, cfg, published)
    return app


def _wrap_wsgi(app: Flask, cfg: dict[str, Any], published: Published) -> None:
    """The WSGI layers in front of Flask, outermost first: the fast path for public
    reads, the body cap, the proxy headers (only from TRUSTED_PROXIES hops)."""
    from werkzeug.middleware.proxy_fix import ProxyFix

    from server.serving.fastpath import FastPath
    from server.serving.front import BodyLimit

    inner: Any = app.wsgi_app
    if cfg["TRUSTED_PROXIES"]:
        hops = cfg["TRUSTED_PROXIES"]
        inner = ProxyFix(inner, x_for=hops, x_proto=hops)
    app.wsgi_app = FastPath(  # type: ignore[method-assign]
        BodyLimit(inner, cfg["MAX_BODY_BYTES"]), published)
