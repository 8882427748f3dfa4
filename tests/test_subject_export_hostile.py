"""The access export against a hostile server (review findings F1-F3 of c0709bd): a real
server (`kelisim serve`) signs two linked devices' records, and a transport in front of it
rewrites the `scope=subject` history pages as a hostile server would. Whatever it sends,
`export_my_data` returns a document that encodes (F1), exports only receipt text that was
verified (F2) and stops reading within its page, byte, cursor and time limits (F3)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from test_operator_api import APP, _key, _setup
from test_subjects import Device, _link_token

from client_sdk import ConsentClient
from client_sdk._internal import devices
from client_sdk._internal.trust import load_root
from client_sdk.errors import NetworkError, OversizeError
from client_sdk.protocol.receipts import confirms, verify_receipt
from client_sdk.transport import HttpTransport, Response
from livesrv import free_port, running

pytestmark = pytest.mark.slow

Page = dict[str, Any]


class Hostile:
    """A transport that passes everything to the real server, but hands each history page
    (`scope=subject`, always read from the start) to ``rewrite(page, n)`` (n: how many
    history pages were asked for before) and answers what it returns: a page, or a
    ready Response. Like a real transport it refuses a body over ``max_bytes``. More
    than ``budget`` history requests is a NetworkError (the old code looped far longer)."""

    def __init__(self, rewrite: Callable[[Page, int], Page | Response],
                 budget: int = 60) -> None:
        self.inner = HttpTransport()
        self.rewrite = rewrite
        self.budget = budget
        self.pages = 0

    def request(self, method: str, url: str, *, body: bytes | None = None,
                headers: Mapping[str, str] | None = None, max_bytes: int) -> Response:
        if "scope=subject" not in url:
            return self.inner.request(method, url, body=body, headers=headers,
                                      max_bytes=max_bytes)
        if self.pages >= self.budget:
            raise NetworkError(f"test budget of {self.budget} pages spent", url=url)
        self.pages += 1
        first = url.split("&cursor=")[0]
        resp = self.inner.request(method, first, body=body, headers=headers,
                                  max_bytes=max_bytes)
        assert resp.status == 200, resp.body
        page = json.loads(resp.body)
        assert page["next_cursor"] is None  # the real history fits one page
        out = self.rewrite(page, self.pages - 1)
        if isinstance(out, Response):
            return out
        # ensure_ascii: a lone surrogate goes out as \\ud800, which JSON parsers accept.
        raw = json.dumps(out).encode()
        if len(raw) > max_bytes:
            raise OversizeError(f"over {max_bytes} bytes", limit=max_bytes, url=url)
        return Response(200, raw, resp.headers)


@contextmanager
def _linked(tmp_path: Path, config: dict[str, Any], cli: Any
            ) -> Iterator[tuple[dict[str, Any], str, Device, Device]]:
    """A running server; phone A and phone B linked to one subject, B with an accept,
    its link and an update, all synced."""
    srv = _setup(tmp_path, config, cli)
    _, linker = _key(cli, APP, "subjects:link")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    api = f"{base}/v1/apps/{APP}/operator"
    a = Device(base, srv, tmp_path / "phone-a")
    b = Device(base, srv, tmp_path / "phone-b")
    a.client.accept(["notifications"], age_confirmed=True)
    with running(srv["env"], port, workers=1):
        assert a.client.link_subject(_link_token(api, linker)).ok
        assert b.client.link_subject(_link_token(api, linker)).ok
        b.client.update_purposes({"notifications": False})
        assert b.client.sync().ok and a.client.sync().ok
        yield srv, base, a, b


def _client(srv: dict[str, Any], base: str, tmp_path: Path, transport: Hostile
            ) -> ConsentClient:
    """Phone A's store, read through the hostile transport."""
    return ConsentClient(base, APP, srv["root"], tmp_path / "phone-a",
                         bundled_manifest=srv["manifest"], transport=transport)


def _others(page: Page, b: Device) -> list[dict[str, Any]]:
    recs = [r for r in page["records"] if r["install_id"] == b.install()]
    assert len(recs) >= 2
    return recs


def _unhashable_id(page: Page, b: Device) -> tuple[int, dict[str, Any]]:
    page["records"].append({**_others(page, b)[0], "id": []})
    return 1, {}


def _receipt_not_encodable(page: Page, b: Device) -> tuple[int, dict[str, Any]]:
    page["records"].append({**_others(page, b)[0], "receipt": "lone"})
    page["receipts"]["lone"] = "\ud800"
    return 1, {}


def _unsigned_not_encodable(page: Page, b: Device) -> tuple[int, dict[str, Any]]:
    rec = _others(page, b)[0]
    rec["locale"] = "\ud800"
    rec["evidence"] = {"ui_locale": "\ud800"}
    return 0, {rec["id"]: {"locale": None, "evidence": None}}


def _unsigned_too_big_or_mistyped(page: Page, b: Device) -> tuple[int, dict[str, Any]]:
    rec = _others(page, b)[0]
    rec["evidence"] = {"note": "x" * 10_000}
    rec["manifest_seq"] = []
    return 0, {rec["id"]: {"evidence": None, "manifest_seq": None}}


def test_hostile_values_do_not_break_the_export(tmp_path: Path, config: dict[str, Any],
                                                cli: Any) -> None:
    """F1: an unhashable id, a receipt text or unsigned value that does not encode, an
    oversized or mistyped unsigned value, an error message that does not encode: the
    record is left out and counted, or the value nulled, or the devices are missing;
    never a crash. Every case is tried; the failures are listed together."""
    problems: list[str] = []
    with _linked(tmp_path, config, cli) as (srv, base, _, b):
        for case in (_unhashable_id, _receipt_not_encodable, _unsigned_not_encodable,
                     _unsigned_too_big_or_mistyped):
            want: list[tuple[int, dict[str, Any]]] = []

            def rewrite(page: Page, _: int, case: Any = case,
                        want: list[tuple[int, dict[str, Any]]] = want) -> Page:
                want.append(case(page, b))
                return page

            try:
                client = _client(srv, base, tmp_path, Hostile(rewrite))
                doc = json.loads(client.export_my_data().json)
                unverified, nulled = want[0]
                others = doc["other_devices"]
                assert (others["state"], others["unverified"]) == ("included", unverified)
                by_id = {r["id"]: r for r in doc["records"]}
                for rid, fields in nulled.items():
                    unsigned = by_id[rid]["unsigned"]
                    assert {n: unsigned[n] for n in fields} == fields, unsigned
                    if "manifest_seq" not in fields:  # a good value stays
                        assert isinstance(unsigned["manifest_seq"], int), unsigned
            except Exception as exc:  # each case reports, then all fail together
                problems.append(f"{case.__name__}: {type(exc).__name__}: {exc}")

        def error(page: Page, _: int) -> Response:
            body = json.dumps({"error": {"code": "x", "message": "\ud800"}}).encode()
            return Response(500, body, {})

        try:
            doc = json.loads(_client(srv, base, tmp_path, Hostile(error)).export_my_data().json)
            assert doc["other_devices"]["state"] == "missing" and doc["other_devices"]["reason"]
        except Exception as exc:
            problems.append(f"error message: {type(exc).__name__}: {exc}")
    assert not problems, "\n".join(problems)


def test_a_reused_receipt_id_cannot_swap_the_exported_text(
        tmp_path: Path, config: dict[str, Any], cli: Any) -> None:
    """F2: page 1 gives receipt "r1" its genuine text; page 2 repeats the record with "r1"
    holding other text. The export keeps the verified text and counts the repeat."""
    with _linked(tmp_path, config, cli) as (srv, base, _, b):
        target: dict[str, Any] = {}

        def swap(page: Page, n: int) -> Page:
            rec = _others(page, b)[-1]
            target.update(id=rec["id"], text=page["receipts"][rec["receipt"]])
            if n == 0:
                page["next_cursor"] = "page-2"
                return page
            forged = target["text"].replace('"', "'", 1)  # not the signed text
            return {"records": [rec], "receipts": {rec["receipt"]: forged},
                    "next_cursor": None}

        doc = json.loads(_client(srv, base, tmp_path, Hostile(swap)).export_my_data().json)
        assert doc["other_devices"]["state"] == "included", doc["other_devices"]
        assert doc["other_devices"]["unverified"] == 1
        rec = next(r for r in doc["records"] if r["id"] == target["id"])
        assert rec["receipt"] == target["text"]
        receipt = verify_receipt(rec["receipt"].encode(), load_root(srv["root"]).root,
                                 app_id=APP, install_id=b.install(), kind="consents")
        assert confirms(receipt, rec)


def _endless(pad: int = 0, cursor: Callable[[int], str] = lambda n: f"c{n}"
             ) -> Callable[[Page, int], Page]:
    def rewrite(page: Page, n: int) -> Page:
        page["next_cursor"] = cursor(n)
        if pad:
            page["padding"] = "x" * pad
        return page
    return rewrite


def test_the_export_stops_within_its_limits(tmp_path: Path, config: dict[str, Any],
                                           cli: Any) -> None:
    """F3: fresh cursors for ever, a repeated cursor, a page or a read too large, and a
    slow server: each ends the read as missing, with the reason, within the limits.
    Every case is tried; the failures are listed together."""
    problems: list[str] = []
    with _linked(tmp_path, config, cli) as (srv, base, a, _):
        def reason(rewrite: Callable[[Page, int], Page]) -> tuple[str, int]:
            t = Hostile(rewrite)
            doc = json.loads(_client(srv, base, tmp_path, t).export_my_data().json)
            assert doc["other_devices"]["state"] == "missing", doc["other_devices"]
            return str(doc["other_devices"]["reason"]), t.pages

        cases = {"more than 50 pages": (_endless(), 50),
                 "repeats a cursor": (_endless(cursor=lambda n: "same"), 2),
                 "over 4194304 bytes": (_endless(pad=5 * 1024 * 1024), 1),
                 "over 33554432 bytes": (_endless(pad=3 * 1024 * 1024), 11)}
        for words, (rewrite, pages) in cases.items():
            try:
                got, asked = reason(rewrite)
                assert words in got and asked == pages, (got, asked)
            except Exception as exc:  # each case reports, then all fail together
                problems.append(f"{words}: {type(exc).__name__}: {exc}")
        # A server answering each page just inside the transport's deadline: 25 s of the
        # injected clock a page; the read stops at the first check past 60 s.
        now = [0.0]

        def slow(page: Page, n: int) -> Page:
            now[0] += 25.0
            return _endless()(page, n)

        try:
            t = Hostile(slow)
            got = devices.other_devices(a.client.store, t, load_root(srv["root"]).root,
                                        base_url=base, app_id=APP, local_ids=[],
                                        time_limit=60.0, monotonic=lambda: now[0])
            assert got.state == "missing" and got.records == ()
            assert "longer than 60s" in str(got.reason)
            assert t.pages == 3 and now[0] == 75.0
        except Exception as exc:  # each case reports, then all fail together
            problems.append(f"time limit: {type(exc).__name__}: {exc}")
    assert not problems, "\n".join(problems)
    assert devices.MAX_PAGES == 50
