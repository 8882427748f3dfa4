"""The policy log is witnessed (issue 19 part 3): `kelisim worker` submits its checkpoints to
the root's witnesses like the consent logs', each cosignature moves the manifests' served
proofs to the cosigned checkpoint (computed then, not per request), and a device whose
root requires inclusion and one cosignature refuses the manifest until it is cosigned.
A real server, worker and witness process; SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import json
from contextlib import ExitStack
from pathlib import Path

import requests
from webhook_support import APP, WORKER_KEYS, serve
from webhook_support import worker as worker_process

from builders import server_env
from client_sdk import ConsentClient
from client_sdk.errors import SignatureError
from client_sdk.protocol.policylog import POLICY_PROOF_HEADER
from client_sdk.protocol.tlog import parse_tlog_proof, parse_vkey, verify_checkpoint
from livesrv import demo_setup, free_port, kelisim, kelisim_here, stop, until
from tests import witnesses

W1 = "witness.test/w1"


def test_policy_log_checkpoints_are_cosigned_and_the_device_waits_for_it(
        tmp_path: Path, database_url: str) -> None:
    directory = tmp_path / "w1"
    vkey = witnesses.init(directory, W1)
    wport = free_port()
    env = server_env(tmp_path / "instance", database_url, **WORKER_KEYS,
                     WITNESS_URLS=f"{W1}=http://127.0.0.1:{wport}",
                     WITNESS_POLL_INTERVAL="0.05", WITNESS_BACKOFF_BASE="0.05",
                     WITNESS_BACKOFF_CAP="0.3", WITNESS_TIMEOUT="3",
                     CACHE_CHECK_INTERVAL="0.05")
    demo_setup(env)
    pinned = kelisim_here(env, "root", "show", "--version", "1").strip().encode()
    kelisim_here(env, "root", "rotate", "--add-witness", vkey, "--witness-threshold", "1",
                 "--require-policy-inclusion")
    root = json.loads(kelisim_here(env, "root", "show", "--payload"))
    origin = "localhost/policies"
    log_key = parse_vkey(root["log"]["keys"][0])
    witnesses.run("witness", "add-log", "--origin", origin, "--key", root["log"]["keys"][0],
                  "--dir", str(directory))
    port = free_port()
    server = serve(env, port)
    url = f"http://127.0.0.1:{port}"
    device = ConsentClient(url, APP, pinned, tmp_path / "device")

    def cosigners(note: bytes) -> set[str]:
        verified = verify_checkpoint(note, origin=origin, log_key=log_key,
                                     witnesses=[parse_vkey(vkey)])
        return {name for name, _ in verified.cosigners}

    def served_proof_cosigned() -> bool:
        r = requests.get(f"{url}/v1/apps/{APP}/manifest.json", timeout=10)
        proof = parse_tlog_proof(base64.b64decode(r.headers[POLICY_PROOF_HEADER]))
        return cosigners(proof.checkpoint) == {W1}

    try:
        # No witness has seen the policy log yet: the device refuses the manifest.
        early = device.refresh()
        assert not early.ok and isinstance(early.error, SignatureError), early
        assert early.error.role == "witness"
        with ExitStack() as stack:
            stack.enter_context(witnesses.serving(directory, wport))
            stack.enter_context(worker_process(env))
            until(lambda: cosigners(requests.get(f"{url}/v1/policy-log/checkpoint",
                                                 timeout=10).content) == {W1},
                  "the policy log's cosigned checkpoint", 60)
            until(served_proof_cosigned, "the manifest's proof in the cosigned checkpoint", 60)
        result = device.refresh()
        assert result.ok and result.root_version == 2, result.error
        shown = witnesses.run("witness", "logs", "--dir", str(directory)).stdout
        assert origin in shown
    finally:
        stop(server)
    assert "Traceback" not in kelisim(env, "audit", "verify", APP)
