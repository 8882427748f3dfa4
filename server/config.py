"""Server configuration: defaults, then the instance folder, then ``KELISIM_*`` variables.

Every key is documented in docs/configuration.md.
"""

from __future__ import annotations

import contextlib
import math
import os
import secrets
import stat
import tomllib
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import Any

from server.errors import ConfigError
from server.files import write_private_file

__all__ = ["DEFAULTS", "ConfigError", "Settings", "check_private_file", "ensure_secret_key",
           "ensure_secret_keys", "instance_path", "load_config", "load_settings",
           "make_instance_folder"]

@dataclass
class Settings:
    """The server's configuration, typed: one field per ``KELISIM_<FIELD>`` key (docs/
    configuration.md). Built by :func:`load_settings`; views and commands read
    ``kelisim().settings``. Not frozen: tests change a value on a running app."""

    # Where the SQLite database, the keys and the secret live.
    instance_path: str = "instance"
    # SQLAlchemy URL; empty means sqlite:///<INSTANCE_PATH>/kelisim.db
    database_url: str = ""
    # Private key files (0600), one per key, named <role>-<keyid>.pem
    keys_dir: str = ""
    # Secret(s) for itsdangerous (install tokens, admin sessions); generated into the
    # instance folder with 0600 permissions when not set. Several keys (a TOML list, or
    # whitespace-separated in KELISIM_SECRET_KEY), oldest first: the last one signs, every
    # one verifies, so a secret can be rotated without invalidating every install's token.
    secret_key: list[str] = field(default_factory=list)
    # How long a signed manifest is valid, and how long before that the server re-signs it.
    manifest_ttl: int = 7 * 24 * 3600
    resign_before: int = 2 * 24 * 3600
    # How long a new root stays valid.
    root_ttl: int = 365 * 24 * 3600
    # The deployment's name in its transparency logs' origins, <name>/consents/<app>
    # (docs/transparency.md): its public host name. Written into the root by `keys init`
    # (and `root rotate --new log`); changing it later changes no existing root.
    deployment_name: str = "localhost"
    # Cache-Control max-age of the manifest and of root.json (seconds).
    manifest_max_age: int = 60
    root_max_age: int = 300
    # How often a worker asks the database whether anything was published (seconds).
    cache_check_interval: float = 1.0
    # Largest policy document accepted when publishing (bytes).
    max_document_bytes: int = 1024 * 1024
    # Importing a policy file (the console's upload, `kelisim import`): the work one file
    # may take. Word paragraphs and table cells, PDF pages, seconds; the text it may produce
    # is twice MAX_DOCUMENT_BYTES. `kelisim import` reads files up to IMPORT_MAX_FILE_BYTES.
    import_max_paragraphs: int = 20_000
    import_max_pages: int = 300
    import_max_seconds: float = 30.0
    import_max_file_bytes: int = 16 * 1024 * 1024
    # Documents kept in each worker's memory (bytes); the rest are read from the database.
    document_cache_bytes: int = 64 * 1024 * 1024
    # Install tokens stay valid this long (seconds); an expired one can be renewed for
    # INSTALL_TOKEN_RENEW_GRACE seconds more, after which the install registers again.
    install_token_max_age: int = 10 * 365 * 24 * 3600
    install_token_renew_grace: int = 90 * 24 * 3600
    # Group commit: concurrent write requests in a worker share one transaction and one
    # fsync; at most this many requests go into one transaction.
    group_commit_max: int = 64
    # Largest request body accepted (bytes), chunked or not; larger ones get 413.
    max_body_bytes: int = 1024 * 1024
    # Largest body of a console form (/admin, bytes): 0 means 4 x MAX_DOCUMENT_BYTES +
    # 64 KiB, room for a document URL-encoded (Cyrillic triples) or a file upload.
    admin_max_body_bytes: int = 0
    # Seconds a client has to send a request body once its headers arrived (and to send
    # the headers once connected); then 408 and the connection is closed.
    body_read_timeout: float = 10.0
    # Threads per worker process that run Flask (requests whose body has arrived). Many
    # threads let concurrent ingest requests share one commit (group commit).
    worker_threads: int = 32
    # Number of reverse proxies in front that set X-Forwarded-For / -Proto; 0: none, the
    # socket's peer is the client.
    trusted_proxies: int = 0
    # Rate limits ("N/second|minute|hour|day" or "off") and where counters live
    # ("memory", per worker, or a redis:// URL shared by all workers).
    rate_limit_install: str = "120/minute"
    rate_limit_ip: str = "1200/minute"
    rate_limit_api_key: str = "600/minute"
    rate_limit_storage: str = "memory"
    # Operator console (/admin, docs/console.md): the session cookie's Secure flag ("auto":
    # when the request came over TLS; "always"; "never"), how long a sign-in lasts (hours),
    # failed sign-ins allowed per account and client IP pair, per client IP, and per account
    # from browsers without that account's device cookie (docs/security.md), password checks
    # (Argon2, ~64 MiB each) running at once per worker process and the seconds a sign-in
    # waits for one (then 503), and the default deadline for answering a data-subject
    # request (days; each app can set its own in the console).
    admin_cookie_secure: str = "auto"
    admin_session_hours: int = 12
    admin_login_limit_pair: str = "5/minute"
    admin_login_limit_ip: str = "20/minute"
    admin_login_limit_account: str = "30/hour"
    admin_password_checks: int = 2
    admin_password_check_wait: float = 5.0
    request_deadline_days: int = 30
    # Seconds a link token (POST .../operator/subjects/link-tokens) can be used.
    link_token_ttl: int = 600
    # Seconds any request waits for a lock or a database connection: the group commit's
    # write lock and SQLite's busy handler, PostgreSQL's lock_timeout and connect_timeout,
    # a free connection in the pool. Then 503 unavailable with Retry-After.
    lock_timeout: float = 5.0
    # `kelisim serve`: seconds a worker may go without a heartbeat from its event loop
    # (frozen: SIGSTOP, a debugger, a stall) before the main process kills it and granian
    # starts another; 0 turns the watchdog off.
    worker_timeout: float = 10.0
    # /healthz answers 503 when the database's disk (SQLite) or the instance folder's has
    # less than this many MiB free.
    min_free_disk_mb: int = 64
    # Set true to acknowledge that KEYS_DIR holds the root's private key (root-*.pem) and
    # silence the warning given at every start until it is moved offline.
    root_key_online_ok: bool = False
    # Webhooks (docs/webhooks.md): the key that encrypts endpoint secrets at rest (64 hex
    # digits; empty: <instance>/webhook_key, made 0600 on first use); `kelisim worker`'s
    # polling interval when idle (seconds), deliveries sent at once per worker, one
    # attempt's timeout (seconds) and the response bytes read; the backoff after a failure
    # (BASE * 2^(attempts-1) seconds with full jitter, at most CAP); failures in a row
    # after which an endpoint is paused; and whether an endpoint may be on a loopback,
    # private or link-local address (true for a receiver on the same machine); the days
    # a delivered event (and its deliveries) is kept before the worker prunes it.
    webhook_key: str = ""
    webhook_poll_interval: float = 0.2
    webhook_concurrency: int = 8
    webhook_timeout: float = 10.0
    webhook_max_response_bytes: int = 64 * 1024
    webhook_backoff_base: float = 5.0
    webhook_backoff_cap: float = 3600.0
    webhook_pause_after: int = 10
    webhook_allow_private: bool = False
    webhook_retention_days: int = 30
    # Witnesses (docs/transparency.md): where the root's witnesses take checkpoints,
    # ``name=url,...`` (name: as in the root's ``witnesses``; url: the witness's
    # tlog-witness prefix, ``/add-checkpoint`` is appended); one submission's timeout; how
    # often `kelisim worker` looks for checkpoints to submit; the backoff after a failure
    # (BASE * 2^(failures-1) seconds with full jitter, at most CAP).
    witness_urls: str = ""
    witness_timeout: float = 10.0
    witness_poll_interval: float = 1.0
    witness_backoff_base: float = 5.0
    witness_backoff_cap: float = 600.0
    # Where `make run` / `kelisim serve` listen.
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 2
    # Set by tests only (Flask's TESTING).
    testing: bool = False

    @property
    def admin_body_limit(self) -> int:
        """ADMIN_MAX_BODY_BYTES, or what it means when 0."""
        return self.admin_max_body_bytes or 4 * self.max_document_bytes + 64 * 1024

    def limit(self, key: str) -> str:
        """A rate-limit setting by its key (``RATE_LIMIT_IP``...), for code that names it."""
        value: str = getattr(self, key.lower())
        return value


_FIELDS = {f.name.upper(): f for f in fields(Settings) if f.name != "testing"}
# The defaults by KELISIM_ key (docs/configuration.md lists the same keys; a test compares).
DEFAULTS: dict[str, Any] = {
    key: (f.default_factory() if f.default_factory is not MISSING else f.default)
    for key, f in _FIELDS.items()}
_INT_KEYS = {key for key, f in _FIELDS.items() if f.type == "int"}
_FLOAT_KEYS = {key for key, f in _FIELDS.items() if f.type == "float"}
_BOOL_KEYS = {key for key, f in _FIELDS.items() if f.type == "bool"}
# Keys that must be at least 1 (0 would stop the server serving anything).
_POSITIVE_KEYS = {"WORKER_THREADS", "BODY_READ_TIMEOUT", "WORKERS", "LOCK_TIMEOUT",
                  "ADMIN_PASSWORD_CHECKS", "LINK_TOKEN_TTL", "WEBHOOK_CONCURRENCY",
                  "WEBHOOK_TIMEOUT", "WEBHOOK_PAUSE_AFTER", "WEBHOOK_POLL_INTERVAL",
                  "WITNESS_TIMEOUT", "WITNESS_POLL_INTERVAL", "WEBHOOK_RETENTION_DAYS"}
# The most days an event is kept (a hundred years: a cutoff before that overflows).
_MAX_RETENTION_DAYS = 36500
_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off", ""}


def _coerce(key: str, value: Any) -> Any:
    if key == "SECRET_KEY":
        return _secret_list(value)
    if key == "WITNESS_URLS":
        if not isinstance(value, str):
            raise ConfigError("KELISIM_WITNESS_URLS: a string name=url,name=url")
        witness_urls(value)
        return value
    if key in _BOOL_KEYS:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise ConfigError(f"KELISIM_{key}: {value!r} is not true or false")
    if key in _INT_KEYS:
        if isinstance(value, bool):
            raise ConfigError(f"KELISIM_{key}: {value!r} is not an integer")
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise ConfigError(f"KELISIM_{key}: {value!r} is not an integer") from None
        if number < 0:
            raise ConfigError(f"KELISIM_{key}: must not be negative")
        return number
    if key in _FLOAT_KEYS:
        if isinstance(value, bool):
            raise ConfigError(f"KELISIM_{key}: {value!r} is not a number")
        try:
            real = float(value)
        except (TypeError, ValueError):
            raise ConfigError(f"KELISIM_{key}: {value!r} is not a number") from None
        if not math.isfinite(real) or real < 0:
            raise ConfigError(f"KELISIM_{key}: must be a finite number, not negative")
        return real
    return value


def witness_urls(value: str) -> dict[str, str]:
    """WITNESS_URLS (``name=url,...``) as {witness name: URL}.

    Raises:
        ConfigError: an item without ``=``, an empty name, a URL that is not http(s), a
            name given twice.
    """
    out: dict[str, str] = {}
    for item in (part.strip() for part in value.split(",")):
        if not item:
            continue
        name, sep, url = (x.strip() for x in item.partition("="))
        if not sep or not name or not url.startswith(("http://", "https://")):
            raise ConfigError(f"KELISIM_WITNESS_URLS: {item!r} is not name=http(s)://...")
        if name in out:
            raise ConfigError(f"KELISIM_WITNESS_URLS: witness {name!r} is given twice")
        out[name] = url
    return out


def _secret_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return value.split()
    if isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value):
        return [v.strip() for v in value]
    raise ConfigError("SECRET_KEY: a string or a list of non-empty strings")


def check_private_file(path: Path, what: str) -> None:
    """Refuse a secret file that group or others may read, as key files are refused.

    Raises:
        ConfigError: naming the file, its mode and the command that fixes it.
    """
    mode = os.stat(path).st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(f"{path}: {what} has permissions {oct(mode & 0o777)}, readable "
                          f"by others; run `chmod 600 {path}`")


def make_instance_folder(path: Path) -> None:
    """Create the instance folder (and parents) 0700: it holds the database and secrets."""
    if not path.exists():
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        # mkdir's mode is masked by the umask and ignored by exist_ok races: set it.
        os.chmod(path, 0o700)


def _read_instance_config(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from None
    unknown = set(data) - set(DEFAULTS)
    if unknown:
        raise ConfigError(f"{path}: unknown key(s) {sorted(unknown)}; "
                          f"known: {', '.join(sorted(DEFAULTS))}")
    if "INSTANCE_PATH" in data:
        raise ConfigError(f"{path}: INSTANCE_PATH cannot be set inside the instance folder")
    return data


def instance_path(overrides: Mapping[str, Any] | None = None,
                  environ: Mapping[str, str] | None = None) -> Path:
    """The instance folder the configuration names (``overrides``, then
    ``KELISIM_INSTANCE_PATH``, then ``./instance``), absolute; it may not exist yet."""
    env = os.environ if environ is None else environ
    instance = (overrides or {}).get("INSTANCE_PATH") or env.get("KELISIM_INSTANCE_PATH") \
        or DEFAULTS["INSTANCE_PATH"]
    return Path(instance).resolve()


def load_config(
    overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Build the configuration.

    Order: :data:`DEFAULTS`, then ``<INSTANCE_PATH>/config.toml`` (keys without the
    prefix), then ``KELISIM_<KEY>`` environment variables, then ``overrides`` (tests pass
    these). Derived paths are made absolute.

    Raises:
        ConfigError: a value of the wrong type, an unknown key, or a bad config.toml.
    """
    env = os.environ if environ is None else environ
    cfg = dict(DEFAULTS)
    cfg.update(_read_instance_config(instance_path(overrides, env) / "config.toml"))
    for key in DEFAULTS:
        if f"KELISIM_{key}" in env:
            cfg[key] = env[f"KELISIM_{key}"]
    if overrides:
        unknown = set(overrides) - set(DEFAULTS) - {"TESTING"}
        if unknown:
            raise ConfigError(f"unknown configuration key(s): {sorted(unknown)}")
        cfg.update(overrides)
    for key in list(cfg):
        cfg[key] = _coerce(key, cfg[key])
    for key in _POSITIVE_KEYS:
        if not cfg[key] > 0:
            raise ConfigError(f"KELISIM_{key}: must be more than 0")
    if cfg["WEBHOOK_RETENTION_DAYS"] > _MAX_RETENTION_DAYS:
        raise ConfigError(f"KELISIM_WEBHOOK_RETENTION_DAYS: at most {_MAX_RETENTION_DAYS} "
                          f"(days a delivered webhook event is kept)")
    instance = Path(cfg["INSTANCE_PATH"]).resolve()
    cfg["INSTANCE_PATH"] = str(instance)
    if not cfg["DATABASE_URL"]:
        cfg["DATABASE_URL"] = f"sqlite:///{instance / 'kelisim.db'}"
    cfg["KEYS_DIR"] = str(Path(cfg["KEYS_DIR"]).resolve()) if cfg["KEYS_DIR"] else str(
        instance / "keys")
    from server.http.ratelimit import parse_limit

    for key in ("RATE_LIMIT_INSTALL", "RATE_LIMIT_IP", "RATE_LIMIT_API_KEY",
                "ADMIN_LOGIN_LIMIT_ACCOUNT",
                "ADMIN_LOGIN_LIMIT_IP", "ADMIN_LOGIN_LIMIT_PAIR"):
        try:
            parse_limit(str(cfg[key]), key)
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
    if cfg["ADMIN_COOKIE_SECURE"] not in ("auto", "always", "never"):
        raise ConfigError(f"KELISIM_ADMIN_COOKIE_SECURE: {cfg['ADMIN_COOKIE_SECURE']!r} is not "
                          f"'auto', 'always' or 'never'")
    storage = str(cfg["RATE_LIMIT_STORAGE"])
    if storage != "memory" and not storage.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError(f"KELISIM_RATE_LIMIT_STORAGE: {storage!r} is not 'memory' or a "
                          f"redis:// URL")
    if cfg["RESIGN_BEFORE"] >= cfg["MANIFEST_TTL"]:
        raise ConfigError("KELISIM_RESIGN_BEFORE must be shorter than KELISIM_MANIFEST_TTL")
    return cfg


def load_settings(overrides: Mapping[str, Any] | None = None,
                  environ: Mapping[str, str] | None = None) -> Settings:
    """:func:`load_config`, as a typed :class:`Settings`.

    Raises:
        ConfigError: as :func:`load_config`.
    """
    cfg = load_config(overrides, environ)
    return Settings(**{key.lower(): value for key, value in cfg.items()})


def ensure_secret_key(settings: Settings) -> str:
    """Return the newest secret key (the one that signs); see :func:`ensure_secret_keys`."""
    return ensure_secret_keys(settings)[-1]


def ensure_secret_keys(settings: Settings) -> list[str]:
    """Return the secret keys, oldest first, creating ``<instance>/secret_key`` (0600,
    one key per line, oldest first) on first use when SECRET_KEY is not set."""
    if settings.secret_key:
        return list(settings.secret_key)
    path = Path(settings.instance_path) / "secret_key"
    if not path.exists():
        # Another worker may create it first; then theirs is used.
        with contextlib.suppress(FileExistsError):
            write_private_file(path, secrets.token_hex(32).encode())
    check_private_file(path, "the secret key file")
    keys = path.read_text().split()
    if not keys:
        raise ConfigError(f"{path} is empty")
    settings.secret_key = keys
    return keys
