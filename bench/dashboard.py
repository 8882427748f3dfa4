"""The console dashboard on a million consent records, SQLite and PostgreSQL.

Fills an app with N records (default 1,000,000: 4 versions, 5 locales, 5 actions, 3
purposes, 90 days) straight into consent_records. Then, in the same run: each dashboard
query straight over consent_records (server/admin/acceptance.py, the reference), the first
roll-up of all N records, each query over the roll-ups (server/admin/rollup.py, what the
dashboard reads), an incremental roll-up of 1,000 new records, and the whole dashboard page
through Flask's test client. Best of 5 (3 for the slow ones); prints times and ratios.

    python bench/dashboard.py [--records 1000000] [--postgres URL]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from server import create_app
from server.admin import acceptance, rollup, sessions
from server.admin.models import AdminUser
from server.models import App, ConsentRecord, Install, PolicyVersion, Receipt

APP = "bench-app"
PURPOSES = ("core", "analytics", "marketing")
OFFERS = {v: list(PURPOSES) for v in range(1, 5)}  # every version has every purpose
LOCALES = ("kk", "ru", "en", "uz", "ky")
ACTIONS = ("accept",) * 6 + ("decline",) * 2 + ("withdraw", "update", "acknowledge")


def setup(engine: sa.Engine) -> tuple[int, list[str]]:
    rnd = random.Random(7)
    body = {"label": "x", "purposes": [{"id": p, "required": p == "core"} for p in PURPOSES],
            "locales": {t: {} for t in LOCALES}}
    with engine.begin() as conn:
        conn.execute(sa.insert(App).values(
            id=APP, name="Bench", default_locale="kk", created_at="2030-01-01T00:00:00Z",
            controller={"name": "B", "bin": "1"},
            catalog={"vendors": [], "data_categories": [], "permissions": []}))
        for v in range(1, 5):
            conn.execute(sa.insert(PolicyVersion).values(
                app_id=APP, number=v, label=str(v), significance="major",
                effective="2030-01-01T00:00:00Z", published="2030-01-01T00:00:00Z",
                body={**body, "label": str(v)}))
        receipt = conn.execute(sa.insert(Receipt).values(app_id=APP, envelope=b"{}")
                               .returning(Receipt.id)).scalar_one()
        installs = [str(uuid.UUID(int=rnd.getrandbits(128))) for _ in range(20_000)]
        conn.execute(sa.insert(Install), [{"id": i, "app_id": APP,
                                           "created_at": "2030-01-01T00:00:00Z"}
                                          for i in installs])
    return receipt, installs


def fill(engine: sa.Engine, first: int, n: int, receipt: int, installs: list[str], *,
         days: int = 90) -> None:
    """Records first .. first + n - 1, spread over the last ``days`` of the 90 days."""
    rnd = random.Random(first)
    start = datetime(2030, 1, 1, tzinfo=UTC) + timedelta(days=90 - days)
    chunk = 20_000
    for base in range(first - 1, first - 1 + n, chunk):
        rows = []
        for seq in range(base + 1, min(base + chunk, first - 1 + n) + 1):
            action = rnd.choice(ACTIONS)
            when = start + timedelta(seconds=rnd.randrange(days * 86400))
            purposes = ({p: p == "core" or rnd.random() < 0.4 for p in PURPOSES}
                        if action in ("accept", "update") else {})
            stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ")
            rows.append({"app_id": APP, "seq": seq, "record_id": str(uuid.uuid4()),
                         "install_id": rnd.choice(installs), "action": action,
                         "version": rnd.randint(1, 4), "document_sha256": None,
                         "locale": rnd.choice(LOCALES), "purposes": purposes, "evidence": {},
                         "age_confirmed": None, "guardian": None, "client_time": stamp,
                         "server_time": stamp, "manifest_seq": 1, "body_hash": "0" * 64,
                         "prev_hash": "0" * 64, "row_hash": "0" * 64, "receipt_id": receipt})
        with engine.begin() as conn:
            conn.execute(sa.insert(ConsentRecord), rows)
    with engine.begin() as conn:
        conn.execute(sa.text("ANALYZE"))


def best(fn: Callable[[], Any], runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def queries(app: Any, mod: Any) -> dict[str, Callable[[], Any]]:
    k = app.extensions["kelisim"]
    scope, v2 = acceptance.Scope(APP), acceptance.Scope(APP, version=2)
    month = acceptance.Scope(APP, day_from="2030-02-01", day_to="2030-02-28")

    def run(fn: Callable[..., Any], *args: Any) -> Callable[[], Any]:
        def go() -> Any:
            with k.db.session(readonly=True) as s:
                return fn(s, *args)
        return go

    return {
        "summary (all)": run(mod.summary, scope),
        "summary (version 2)": run(mod.summary, v2),
        "per locale": run(mod.by_locale, scope),
        "per version": run(mod.by_version, scope),
        "daily (90 days)": run(mod.daily, scope),
        "daily (one month)": run(mod.daily, month),
        "per purpose": run(mod.by_purpose, scope, OFFERS),
    }


def bench(url: str, n: int, label: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"INSTANCE_PATH": tmp, "DATABASE_URL": url})
        k = app.extensions["kelisim"]
        k.db.upgrade()
        t = time.perf_counter()
        receipt, installs = setup(k.db.engine)
        fill(k.db.engine, 1, n, receipt, installs)
        print(f"\n{label}: {n:,} records filled in {time.perf_counter() - t:.0f} s")
        direct = {name: best(fn, 3) for name, fn in queries(app, acceptance).items()}

        def refresh() -> int:
            with k.db.session() as s:
                return rollup.refresh(s, APP)

        t = time.perf_counter()
        assert refresh() == n
        first = time.perf_counter() - t
        rolled = {name: best(fn) for name, fn in queries(app, rollup).items()}
        with k.db.session(readonly=True) as s:  # the roll-ups say what the records say
            scope = acceptance.Scope(APP)
            assert acceptance.summary(s, scope).counts == rollup.summary(s, scope).counts
            assert acceptance.daily(s, scope) == rollup.daily(s, scope)
            assert acceptance.by_purpose(s, scope, OFFERS) == rollup.by_purpose(
                s, scope, OFFERS)
        fill(k.db.engine, n + 1, 1000, receipt, installs, days=1)  # today's new records
        t = time.perf_counter()
        assert refresh() == 1000
        incremental = time.perf_counter() - t
        with k.db.session() as s:
            s.add(AdminUser(email="b@example.com", role="viewer", password_hash="x",
                            must_change_password=False, disabled=False,
                            session_generation=1, created_at="2030-01-01T00:00:00Z"))
        client = app.test_client()
        with k.db.session() as s:
            user = s.get(AdminUser, 1)
            assert user is not None
            sid = sessions.start(s, user, k.now(), 12, "127.0.0.1")
        with client.session_transaction() as sess:
            sess["sid"] = sid

        def page() -> None:
            assert client.get(f"/admin/apps/{APP}/dashboard").status_code == 200

        whole = best(page)
        print(f"{'query':22} {'direct':>10} {'roll-ups':>10} {'ratio':>8}")
        for name, secs in rolled.items():
            print(f"{name:22} {direct[name] * 1000:8.0f}ms {secs * 1000:8.1f}ms "
                  f"{direct[name] / secs:7.0f}x")
        total = sum(direct.values())
        print(f"{'all seven queries':22} {total * 1000:8.0f}ms "
              f"{sum(rolled.values()) * 1000:8.1f}ms {total / sum(rolled.values()):7.0f}x")
        print(f"first roll-up of {n:,} records: {first:.1f} s; roll-up of 1,000 new records: "
              f"{incremental * 1000:.0f} ms; whole dashboard page: {whole * 1000:.0f} ms")
        k.db.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--postgres", default=os.environ.get("KELISIM_TEST_POSTGRES_URL", ""))
    ap.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    args = ap.parse_args()
    if not args.no_sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            bench(f"sqlite:///{tmp}/bench.db", args.records, "SQLite")
    if args.postgres:
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        engine = sa.create_engine(args.postgres)
        with engine.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        sep = "&" if "?" in args.postgres else "?"
        try:
            bench(f"{args.postgres}{sep}options=-csearch_path%3D{schema}", args.records,
                  "PostgreSQL")
        finally:
            with engine.begin() as conn:
                conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
            engine.dispose()
    else:
        print("\nPostgreSQL: skipped (pass --postgres URL or set KELISIM_TEST_POSTGRES_URL)")


if __name__ == "__main__":
    main()
