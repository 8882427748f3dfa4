"""The server's main process: granian (its Python API), the start checks and the watchdog.

``python -m server.serving.master [--host H] [--port P] [--workers N] [--working-dir D]
[TARGET]`` is what `kelisim serve` runs (:func:`server.serving.runner.granian_command`
builds the line; docs/operations.md shows it for systemd). Every other option comes from
the KELISIM_* configuration (:func:`granian_options`). Before the workers start it checks
what the node needs (:func:`server.node.start_problems`; skipped when `kelisim serve`
checked already) and says once if the root's private key is online; then granian starts
the workers, with the watchdog (server/serving/watchdog.py) in this process when
WORKER_TIMEOUT is set.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import multiprocessing
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from server.config import ConfigError, Settings, load_settings

__all__ = ["CHECKED_ENV", "ENTRY_POINT", "PRELOAD", "granian_options", "main", "start_checks"]

ENTRY_POINT = "server.wsgi:rsgi"
# What the workers of ENTRY_POINT import: imported once here, before granian forks them,
# so that each worker (and each one the watchdog or granian respawns) starts with them
# loaded instead of importing them again, about 1 s of CPU a worker. Only imports: the app
# (its database engine, its caches) is made in each worker, after the fork.
PRELOAD = ("server.app", "server.admin", "server.admin.i18n", "server.admin.messages",
           "server.admin.views", "server.http.errors", "server.http.operator",
           "server.http.public", "server.http.sync", "server.http.webhooks",
           "server.http.ratelimit", "server.node", "server.serving.front",
           "werkzeug.middleware.proxy_fix")
# Set once the start checks ran (by `kelisim serve` or here): the workers skip them.
CHECKED_ENV = "KELISIM_NODE_CHECKED"


def granian_options(cfg: Settings, host: str, port: int, workers: int) -> dict[str, Any]:
    """granian's options for this configuration, and why each is set."""
    from granian.constants import Interfaces, Loops
    from granian.http import HTTP1Settings
    from granian.log import LogLevels

    # granian reads headers in Rust; the same deadline as for bodies bounds a client that
    # opens connections and never finishes its headers (granian's own limit is 60 s).
    header_ms = max(1, min(60_000, int(cfg.body_read_timeout * 1000)))
    return {
        "address": host, "port": port, "workers": workers, "interface": Interfaces.RSGI,
        "websockets": False, "log_level": LogLevels.warning,
        # Named, not "auto": auto takes rloop or uvloop whenever one happens to be
        # installed. Public reads no longer reach the loop (server/serving/handoff.py);
        # when they did, neither was faster than asyncio beyond the noise.
        "loop": Loops.asyncio,
        # A worker that dies (SIGKILL, the OOM killer, the watchdog) is replaced; without
        # this granian's main process exits and takes the other workers with it. granian
        # still exits when a worker dies again within 5.5 s of being respawned.
        "respawn_failed_workers": True,
        "workers_kill_timeout": 5,
        "http1_settings": HTTP1Settings(header_read_timeout=header_ms),
    }


def start_checks(cfg: Settings) -> tuple[list[str], str | None]:
    """(what the node lacks, the root-key warning); a database that cannot answer now
    is no reason to refuse: the workers start and answer 503 until it does."""
    from server.db import Database
    from server.errors import Unavailable
    from server.node import root_key_warning, start_problems

    db = Database(cfg.database_url, cfg.lock_timeout)
    try:
        problems = start_problems(cfg, db)
    except Unavailable as exc:
        print(f"kelisim: {exc.message}: starting anyway", file=sys.stderr)
        problems = []
    finally:
        db.dispose()  # before granian forks the workers: no connection is shared
    return problems, root_key_warning(cfg)


def _default_stop_signals() -> None:
    """In a worker just forked: SIGTERM and SIGINT end it until granian gives it its own
    handlers, once its app has loaded. Until then it carries this process's handlers, which
    only set a flag in the worker's copy: a worker told to stop while loading its app
    ignored it and was killed after workers_kill_timeout (5 s), every such stop 5 s late."""
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(ValueError):  # only the main thread may; granian forks there
            signal.signal(sig, signal.SIG_DFL)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m server.serving.master")
    parser.add_argument("--host")
    parser.add_argument("--port", type=int)
    parser.add_argument("--workers", type=int)
    parser.add_argument("--working-dir", type=Path)
    parser.add_argument("target", nargs="?", default=ENTRY_POINT)
    args = parser.parse_args(argv)
    try:
        cfg = load_settings()
    except ConfigError as exc:
        sys.exit(f"kelisim: {exc}")
    if not os.environ.get(CHECKED_ENV):
        problems, warning = start_checks(cfg)
        if problems:
            sys.exit("kelisim: this node cannot start:\n" + "\n".join(
                f"  - {p}" for p in problems))
        if warning:
            print(warning, file=sys.stderr)
        os.environ[CHECKED_ENV] = "1"
    from granian import Granian

    from server.serving.watchdog import Watchdog

    if args.target == ENTRY_POINT and multiprocessing.get_start_method() == "fork":
        for module in PRELOAD:
            importlib.import_module(module)

    os.register_at_fork(after_in_child=_default_stop_signals)
    server = Granian(args.target, **granian_options(
        cfg, args.host or cfg.host, args.port or cfg.port, args.workers or cfg.workers),
        working_dir=args.working_dir)
    if cfg.worker_timeout > 0:
        dog = Watchdog(cfg.worker_timeout)
        server.on_startup(dog.start)
        server.on_shutdown(dog.stop)
    server.serve()


if __name__ == "__main__":
    main()
