"""Load for bench/ingest.py: installs and their tokens, wrk runs of one-record batches
(a new record id per request, each request with one install's token), batches of 100 from
a few keep-alive connections."""

from __future__ import annotations

import http.client
import json
import re
import subprocess
import tempfile
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _util import need

CONNECTIONS = 4

_LUA = r"""
local lines = {}
local idx = 0
local n = 0

function setup(thread)
  n = n + 1
  thread:set("tid", n)
end

function init(args)
  for line in io.lines(args[1]) do
    local path, token, body = line:match("^([^\t]*)\t([^\t]*)\t(.*)$")
    table.insert(lines, {path, token, body})
  end
  math.randomseed(os.time() * 1000 + tid * 7919)
  idx = tid * 17
end

local function uuid4()
  return (string.gsub("xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx", "[xy]", function(c)
    local v = (c == "x") and math.random(0, 15) or math.random(8, 11)
    return string.format("%x", v)
  end))
end

function request()
  idx = idx % #lines + 1
  local l = lines[idx]
  local body = string.gsub(l[3], "__ID__", uuid4())
  return wrk.format("POST", l[1], {["Content-Type"] = "application/json",
                                   ["Authorization"] = "Bearer " .. l[2]}, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d %d\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99),
    e.status + e.connect + e.read + e.write + e.timeout))
end
"""


def _post(port: int, path: str, body: bytes, token: str | None = None) -> Any:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    conn.request("POST", path, body=body, headers=headers)
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    if resp.status not in (200, 201):
        raise RuntimeError(f"POST {path}: HTTP {resp.status}: {data[:300]!r}")
    return json.loads(data)


def record(m: dict[str, Any], record_id: str) -> dict[str, Any]:
    cur = m["current"]
    return {"id": record_id, "action": "accept", "version": cur["version"],
            "document_sha256": cur["locales"]["kk"]["sha256"], "locale": "kk",
            "purposes": {p["id"]: True for p in cur["purposes"]},
            "evidence": {"scrolled_to_end": True, "seconds_on_screen": 40},
            "age_confirmed": True, "guardian": None, "client_time": m["issued"],
            "manifest_seq": m["seq"]}


def batch_body(m: dict[str, Any], n: int) -> bytes:
    return json.dumps({"records": [record(m, str(uuid.uuid4())) for _ in range(n)]}).encode()


def register(port: int, apps: list[str], installs: int,
             manifest_of: Callable[[int, str], dict[str, Any]]) -> list[dict[str, Any]]:
    """Register ``installs`` installs spread over ``apps``; each with its own token and the
    one-record body template of its app (``__ID__`` is replaced by a new id per request)."""
    manifests = {a: manifest_of(port, a) for a in apps}
    plan = []
    for i in range(installs):
        app = apps[i % len(apps)]
        answer = _post(port, f"/v1/apps/{app}/installs", b"{}")
        template = json.dumps({"records": [record(manifests[app], "__ID__")]})
        plan.append({"app": app, "install_id": answer["install_id"],
                     "token": answer["token"], "template": template})
    return plan


def wrk_one_record(port: int, plan: list[dict[str, Any]], seconds: int,
                   warmup: bool = False) -> dict[str, float]:
    """One connection per install, each request a new one-record batch: records/s and
    median / p99 latency (ms), as wrk measured them."""
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "one.lua"
        script.write_text(_LUA)
        lines = Path(tmp) / "lines.tsv"
        lines.write_text("".join(f"/v1/apps/{p['app']}/consents\t{p['token']}\t"
                                 f"{p['template']}\n" for p in plan))
        out = subprocess.run(
            [need("wrk"), "-t2", f"-c{len(plan)}", f"-d{seconds}s", "--timeout", "30s",
             "-s", str(script), f"http://127.0.0.1:{port}/", "--", str(lines)],
            capture_output=True, text=True, check=True).stdout
    m = re.search(r"RESULT (\d+) (\d+) (\d+) (\d+) (\d+)", out)
    if not m:
        raise RuntimeError(f"cannot read wrk output:\n{out}")
    requests, duration, p50, p99, errors = (int(x) for x in m.groups())
    if (errors or "Non-2xx" in out) and not warmup:
        raise RuntimeError(f"wrk saw errors:\n{out}")
    return {"rps": requests / (duration / 1e6), "p50": p50 / 1000, "p99": p99 / 1000,
            "requests": requests}


def post_batches(port: int, bodies: list[bytes], plan: list[dict[str, Any]]) -> None:
    """Send ``bodies`` over CONNECTIONS keep-alive connections at once."""
    errors: list[str] = []

    def one(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        tokens = [p["token"] for p in plan[i::CONNECTIONS]]
        for j, body in enumerate(bodies[i::CONNECTIONS]):
            conn.request("POST", f"/v1/apps/{plan[0]['app']}/consents", body=body, headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {tokens[j % len(tokens)]}"})
            resp = conn.getresponse()
            data = resp.read()
            if resp.status != 200:
                errors.append(f"HTTP {resp.status}: {data[:300]!r}")
                return
        conn.close()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(CONNECTIONS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise RuntimeError(errors[0])
