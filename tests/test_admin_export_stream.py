"""Issue 17 item 20: the consent export is streamed through `kelisim serve`'s front, with
the worker's memory flat in the log's size (a 400k-record export was joined in memory:
373 MB, first byte after 13 s, worker peak 1 GB). A real server with one worker; the
worker's peak resident memory (VmHWM) is read before and after exports of a log and of
the same log doubled."""

from __future__ import annotations

import os
import re
import sqlite3
from pathlib import Path

import pytest
from test_console_languages import sign_in

from builders import RATE_LIMITS_OFF, server_env
from client_sdk import ConsentClient
from livesrv import demo_setup, free_port, kelisim_here, running

pytestmark = pytest.mark.slow

APP = "jana-courier"
RECORDS = 30_000


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def _peaks_kib(pid: int) -> dict[int, int]:
    """VmHWM (peak resident set) of each of the server's processes."""
    peaks = {}
    for p in [pid, *_descendants(pid)]:
        try:
            m = re.search(r"VmHWM:\s+(\d+) kB", Path(f"/proc/{p}/status").read_text())
        except OSError:
            continue
        if m:
            peaks[p] = int(m.group(1))
    return peaks


def _growth_kib(after: dict[int, int], before: dict[int, int]) -> int:
    """The most any one process's peak grew (a respawned worker counts from 0)."""
    return max(after[p] - before.get(p, 0) for p in after)


def _copy_records(db: Path, copies: int) -> None:
    """``copies`` more rows like the log's first record (the export reads rows; it does
    not check the chain)."""
    with sqlite3.connect(db) as conn:
        cols = [r[1] for r in conn.execute("PRAGMA table_info(consent_records)")
                if r[1] not in ("row_id", "seq", "record_id")]
        top = conn.execute("SELECT max(seq) FROM consent_records").fetchone()[0]
        conn.execute(
            f"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
            f"INSERT INTO consent_records (seq, record_id, {', '.join(cols)}) "
            f"SELECT ? + i, printf('%08d-0000-4000-8000-%012d', ? + i, ? + i), "
            f"{', '.join(cols)} FROM n, (SELECT * FROM consent_records ORDER BY seq LIMIT 1)",
            (copies, top, top, top))


def test_the_export_streams_with_memory_flat_in_the_log_size(tmp_path: Path) -> None:
    env = server_env(tmp_path / "instance", **RATE_LIMITS_OFF)
    found = re.search(r"owner@localhost, one-time password (\S+)", demo_setup(env))
    assert found
    root = kelisim_here(env, "root", "show", "--version", "1").strip().encode()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with running(env, port, workers=1) as proc:
        client = ConsentClient(base, APP, root, tmp_path / "app")
        assert client.refresh().ok
        client.accept(["analytics"], age_confirmed=True, evidence={"scrolled_to_end": True})
        assert client.sync().ok
        client.close()
        owner = sign_in(base, "owner@localhost", found.group(1), "export stream password")
        db = tmp_path / "instance" / "kelisim.db"

        def export() -> tuple[int, int]:
            status, body, _ = owner.post(f"/admin/apps/{APP}/consents/export",
                                         {"fmt": "jsonl"}, form_from=f"/admin/apps/{APP}/consents")
            assert status == 200, body[:2000]
            return body.count("\n"), len(body.encode())

        assert export()[0] == 1
        before = _peaks_kib(proc.pid)
        _copy_records(db, RECORDS)
        lines, size = export()
        assert lines == RECORDS + 1 and size > 20 * 1024 * 1024
        once = _peaks_kib(proc.pid)
        _copy_records(db, RECORDS)
        assert export()[0] == 2 * RECORDS + 1
        twice = _peaks_kib(proc.pid)
    first, second = _growth_kib(once, before), _growth_kib(twice, once)
    print(f"export of {size:,} bytes: peak growth {first:,} KiB, then (log doubled) "
          f"{second:,} KiB; peaks {before} -> {once} -> {twice}")
    # Joined in memory, a worker's peak grows by at least the export's size each time the
    # log doubles; streamed, the second export (twice the size) adds next to nothing.
    assert second * 1024 < size / 4, (before, once, twice, size)
    assert first * 1024 < size / 2, (before, once, twice, size)
