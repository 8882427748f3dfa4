"""The Flask app factory: configuration, database, cache, blueprints and WSGI layers.

``create_app(test_config=None)`` builds the app; ``server.wsgi:app`` is the production
entry point (the fast path in front of Flask).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask

from server.config import Settings, ensure_secret_keys, load_settings, make_instance_folder
from server.context import Kelisim
from server.db import Database
from server.errors import ConfigError
from server.node import secret_problem
from server.serving.published import Published
from server.trust.manifests import Timing

__all__ = ["Kelisim", "create_app"]


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the Flask app. ``test_config`` overrides KELISIM_* keys (without the prefix).

    Raises:
        ConfigError: a configuration value that cannot be used, or no secret key here
            while the database holds installs another node's secret signed for.
    """
    cfg = load_settings(test_config)
    make_instance_folder(Path(cfg.instance_path))
    app = Flask(__name__, instance_path=cfg.instance_path)
    db = Database(cfg.database_url, cfg.lock_timeout)
    if not cfg.secret_key and not (Path(cfg.instance_path) / "secret_key").exists():
        # A secret of our own would refuse every token the other nodes gave out.
        problem = secret_problem(cfg, db)
        if problem is not None:
            raise ConfigError(problem, "SECRET_KEY")
    secret_keys = ensure_secret_keys(cfg)
    # Flask (sessions, CSRF) signs with the newest key and still accepts the older ones.
    app.config["SECRET_KEY"], app.config["SECRET_KEY_FALLBACKS"] = secret_keys[-1], secret_keys[:-1]
    app.config["TESTING"] = cfg.testing
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    timing = Timing(ttl=timedelta(seconds=cfg.manifest_ttl),
                    resign_before=timedelta(seconds=cfg.resign_before))
    published = Published(db, Path(cfg.keys_dir), timing,
                          manifest_max_age=cfg.manifest_max_age,
                          root_max_age=cfg.root_max_age,
                          check_interval=cfg.cache_check_interval,
                          document_cache_bytes=cfg.document_cache_bytes)
    k = app.extensions["kelisim"] = Kelisim(cfg, db, published)

    from server.admin import init_admin
    from server.http import errors
    from server.http import operator as operator_api
    from server.http import public as api
    from server.http import sync as sync_api
    from server.http import webhooks as _webhooks_api  # noqa: F401 (its routes join the operator API's)
    from server.http.ratelimit import MemoryCounter, RateLimiter, RedisCounter

    app.config["MAX_CONTENT_LENGTH"] = cfg.max_body_bytes
    storage = cfg.rate_limit_storage
    k.limiter = RateLimiter(
        MemoryCounter() if storage == "memory" else RedisCounter(storage))
    errors.register_error_handlers(app)
    app.register_blueprint(api.bp)
    app.register_blueprint(sync_api.bp)
    app.register_blueprint(operator_api.bp)  # the operator's backend, with API keys
    init_admin(app)  # the operator console at /admin
    _wrap_wsgi(app, cfg, published)
    return app


def _wrap_wsgi(app: Flask, cfg: Settings, published: Published) -> None:
    """The WSGI layers in front of Flask, outermost first: the fast path for public
    reads, the body cap, the proxy headers (only from TRUSTED_PROXIES hops)."""
    from werkzeug.middleware.proxy_fix import ProxyFix

    from server.serving.fastpath import FastPath
    from server.serving.front import BodyLimit

    inner: Any = app.wsgi_app
    if cfg.trusted_proxies:
        hops = cfg.trusted_proxies
        inner = ProxyFix(inner, x_for=hops, x_proto=hops)
    app.wsgi_app = FastPath(  # type: ignore[method-assign]
        BodyLimit(inner, cfg.max_body_bytes, cfg.admin_body_limit), published)
