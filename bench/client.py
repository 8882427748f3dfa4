"""Client SDK: warm decide(), the launch path against raw primitives, and a peer figure.

In one run, on the same bytes (the demo app's signed manifest):

- ``decide()`` on a warm client (goal: under 50 µs);
- the launch path: open the store, load the trusted manifest, verify it, decide, against
  the sum of the raw primitives (read the file, ``json.loads``, one Ed25519 verify);
  goal: at most 1.5 x the raw sum;
- the same launch path with securesystemslib's pure-Python Ed25519 (as on iOS, where
  ``cryptography`` does not exist), in a child process;
- peer figure: a first refresh (root walk, manifest, the negotiated documents) by the
  Kelisim client, and the comparable refresh by python-tuf's ngclient (root, timestamp,
  snapshot, targets, the same documents as targets, same bytes), both from static files
  on 127.0.0.1, interleaved run by run.

    python bench/client.py [--rounds 2000]
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from client_sdk import ConsentClient  # noqa: E402


def per_call(fn: Callable[[], object], rounds: int, repeat: int = 5) -> float:
    """Best-of-``repeat`` mean seconds per call."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(rounds):
            fn()
        best = min(best, (time.perf_counter() - start) / rounds)
    return best


def demo_instance(tmp: Path) -> tuple[bytes, bytes, Path]:
    env = {**os.environ, "KELISIM_INSTANCE_PATH": str(tmp / "instance")}
    env.pop("KELISIM_DATABASE_URL", None)
    kelisim = str(Path(sys.executable).with_name("kelisim"))
    subprocess.run([kelisim, "demo-setup"], env=env, check=True, capture_output=True)
    static = tmp / "static"
    subprocess.run([kelisim, "export-static", str(static)], env=env, check=True,
                   capture_output=True)
    root = (static / "v1/root/1.json").read_bytes()
    manifest = (static / "v1/apps/jana-courier/manifest.json").read_bytes()
    return root, manifest, static


class Offline:
    def request(self, method: str, url: str, *, body: bytes | None = None,
                headers: object = None, max_bytes: int) -> object:
        raise OSError("offline")


LAUNCH_CHILD = """
import sys, time
if sys.argv[1] == "pure":
    sys.modules["cryptography"] = None
sys.path.insert(0, sys.argv[2])
from pathlib import Path
from client_sdk import ConsentClient
root = Path(sys.argv[3]).read_bytes()
data = sys.argv[4]
rounds = int(sys.argv[5])
best = float("inf")
for _ in range(3):
    start = time.perf_counter()
    for _ in range(rounds):
        c = ConsentClient("https://x.invalid", "jana-courier", root, data)
        c.decide()
        c.close()
    best = min(best, (time.perf_counter() - start) / rounds)
print(best)
"""


def serve_static(folder: Path) -> tuple[ThreadingHTTPServer, str]:
    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    handler = partial(Quiet, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def tuf_repo(folder: Path, files: dict[str, bytes]) -> bytes:
    """A TUF repository (root, targets, snapshot, timestamp, ``files`` as targets)."""
    from securesystemslib.signer import CryptoSigner
    from tuf.api.metadata import (
        Metadata,
        MetaFile,
        Root,
        Snapshot,
        TargetFile,
        Targets,
        Timestamp,
    )
    from tuf.api.serialization.json import JSONSerializer

    expires = datetime.now(UTC).replace(microsecond=0) + timedelta(days=7)
    signers = {r: CryptoSigner.generate_ed25519() for r in
               ("root", "targets", "snapshot", "timestamp")}
    root = Root(expires=expires, consistent_snapshot=False)
    for role, signer in signers.items():
        root.add_key(signer.public_key, role)
    folder.mkdir(parents=True)
    (folder.parent / "targets").mkdir()
    targets = Targets(expires=expires)
    for name, data in files.items():
        (folder.parent / "targets" / name).write_bytes(data)
        targets.targets[name] = TargetFile.from_data(name, data)
    snapshot = Snapshot(expires=expires)
    snapshot.meta["targets.json"] = MetaFile(version=1)
    timestamp = Timestamp(expires=expires)
    timestamp.snapshot_meta = MetaFile(version=1)
    ser = JSONSerializer(compact=True)
    for name, signed in (("root", root), ("targets", targets), ("snapshot", snapshot),
                         ("timestamp", timestamp)):
        md = Metadata(signed)
        md.sign(signers[name])
        data = md.to_bytes(ser)
        (folder / f"{name}.json").write_bytes(data)
        if name == "root":
            (folder / "1.root.json").write_bytes(data)
            root_bytes = data
    return root_bytes


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=2000)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="kelisim-bench-client-"))
    root, manifest_raw, static = demo_instance(tmp)
    data = tmp / "app"
    warm = ConsentClient("https://x.invalid", "jana-courier", root, data,
                         bundled_manifest=manifest_raw, transport=Offline())  # type: ignore[arg-type]
    decide_s = per_call(warm.decide, args.rounds * 10)

    # The raw primitives on the same bytes.
    manifest_file = tmp / "manifest.json"
    manifest_file.write_bytes(manifest_raw)
    env = json.loads(manifest_raw)
    payload = base64.b64decode(env["payload"])
    ptype = env["payloadType"].encode()
    pae = b"DSSEv1 %d %b %d %b" % (len(ptype), ptype, len(payload), payload)
    sig = base64.b64decode(env["signatures"][0]["sig"])
    root_payload = json.loads(base64.b64decode(json.loads(root)["payload"]))
    keyid = env["signatures"][0]["keyid"]
    pub = Ed25519PublicKey.from_public_bytes(
        bytes.fromhex(root_payload["keys"][keyid]["keyval"]["public"]))

    def raw_read() -> bytes:
        return manifest_file.read_bytes()

    raw_s = (per_call(raw_read, args.rounds)
             + per_call(lambda: json.loads(payload), args.rounds)
             + per_call(lambda: pub.verify(sig, pae), args.rounds))

    def launch() -> None:
        c = ConsentClient("https://x.invalid", "jana-courier", root, data)
        c.decide()
        c.close()

    launch_s = per_call(launch, max(200, args.rounds // 5))

    import sqlite3

    def sqlite_first_read() -> None:
        db = sqlite3.connect(data / "kelisim.db", isolation_level=None)
        db.execute("SELECT value FROM meta WHERE key = 'manifest'").fetchall()
        db.close()

    sqlite_s = per_call(sqlite_first_read, max(200, args.rounds // 5))
    root_file = tmp / "root.json"
    root_file.write_bytes(root)
    pure = subprocess.run([sys.executable, "-c", LAUNCH_CHILD, "pure", str(REPO),
                           str(root_file), str(data), "50"],
                          capture_output=True, text=True, check=True)
    pure_s = float(pure.stdout.strip())

    # Peer figure: first refresh from static files, ours and python-tuf's.
    server, base = serve_static(static)
    doc_count = len(list((static / "v1/documents").iterdir()))

    def ours() -> None:
        d = tempfile.mkdtemp(dir=tmp)
        c = ConsentClient(base, "jana-courier", root, d, preferred_locales=("kk",))
        result = c.refresh()
        assert result.ok, result.error
        c.close()

    # The peer downloads the very documents a first refresh of ours downloads, as targets.
    probe = ConsentClient(base, "jana-courier", root, tmp / "probe", preferred_locales=("kk",))
    assert probe.refresh().ok and probe.manifest is not None
    shas = {d.sha256 for d in probe.manifest.current.locales.values()}
    fetched = {f"{sha}.md": (static / "v1/documents" / sha).read_bytes()
               for sha in sorted(probe.store.has_documents(shas))}
    probe.close()
    tuf_dir = tmp / "tuf"
    tuf_root = tuf_repo(tuf_dir / "metadata", fetched)
    tserver, tbase = serve_static(tuf_dir)
    from tuf.ngclient import Updater, UpdaterConfig

    def peer() -> None:
        d = Path(tempfile.mkdtemp(dir=tmp))
        (d / "root.json").write_bytes(tuf_root)
        up = Updater(str(d), f"{tbase}/metadata/", str(d), f"{tbase}/targets/",
                     config=UpdaterConfig(prefix_targets_with_hash=False), bootstrap=tuf_root)
        up.refresh()
        for name in fetched:
            info = up.get_targetinfo(name)
            assert info is not None
            up.download_target(info, str(d / name))

    # Interleaved, so that both see the same moments of a shared machine's load.
    ours_times: list[float] = []
    peer_times: list[float] = []
    for _ in range(30):
        ours_times.append(per_call(ours, 1, repeat=1))
        peer_times.append(per_call(peer, 1, repeat=1))
    server.shutdown()
    tserver.shutdown()
    doc_bytes = sum(len(b) for b in fetched.values())

    ours_med, peer_med = statistics.median(ours_times), statistics.median(peer_times)
    us = 1e6
    print(f"manifest: {len(manifest_raw)} bytes envelope, {len(payload)} bytes payload; "
          f"{doc_count} documents")
    print(f"decide() warm                 {decide_s * us:9.1f} µs     goal < 50 µs "
          f"{'ok' if decide_s * us < 50 else 'MISSED'}")
    print(f"raw sum (read+json+verify)    {raw_s * us:9.1f} µs")
    ratio = launch_s / raw_s
    print(f"launch path (cryptography)    {launch_s * us:9.1f} µs  ratio {ratio:.2f}  goal <= 1.5 "
          f"{'ok' if ratio <= 1.5 else 'MISSED'}")
    print(f"  of which: SQLite open + first read {sqlite_s * us:9.1f} µs (one SQLite file is "
          f"the store DESIGN.md fixes)")
    print(f"launch path (pure Python)     {pure_s * us:9.1f} µs  ratio {pure_s / raw_s:.2f}"
          f"  (iOS case, reported)")
    print(f"first refresh, Kelisim       {ours_med * 1e3:9.2f} ms  (median of 30; root walk, "
          f"manifest, {len(fetched)} document(s), {doc_bytes} bytes; durable: SQLite FULL)")
    print(f"first refresh, python-tuf    {peer_med * 1e3:9.2f} ms  (median of 30; root, "
          f"timestamp, snapshot, targets, the same {len(fetched)} file(s) as targets)")
    print(f"Kelisim / python-tuf          {ours_med / peer_med:9.2f}")


if __name__ == "__main__":
    main()
