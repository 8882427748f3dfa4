"""A malicious log, at the level of the parties outside the operator: one log key, two
histories (a split view) shown to two auditors, and an old entry rewritten. The real witness
process refuses to cosign the second history; each auditor alone sees a well-signed log,
but the witnessed view (k of n cosignatures) or gossip between them (either one's state
meeting the other's mirror) reports the fork with both signed checkpoints as evidence."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from client_sdk.protocol.tlog import parse_vkey
from server.witness.errors import WitnessConflict, WitnessError
from server.witness.submit import add_checkpoint, cosign
from tests import witnesses
from tests.test_log_audit import audit
from tests.tlogsim import MemLog

ORIGIN = "kelisim.test/consents/split"


def test_split_view_and_a_rewritten_entry(tmp_path: Path) -> None:
    wdir = tmp_path / "witness"
    wkey = parse_vkey(witnesses.init(wdir))
    honest = MemLog(ORIGIN)
    witnesses.run("witness", "add-log", "--origin", ORIGIN, "--key",
                  honest.signer.verifier.vkey(), "--dir", str(wdir))
    honest.grow(300)
    with witnesses.serving(wdir) as (url, _):
        line, _ = cosign(url, honest.checkpoint(), 0, honest.consistency, witness_key=wkey)
        seen_by_everyone = honest.checkpoint() + line

        # Split view: the same key signs a second history from leaf 200 on.
        split = honest.fork(200, "for device B ")
        split.grow(150)  # size 350
        with pytest.raises(WitnessError) as refused:
            add_checkpoint(url, split.checkpoint(), 300, split.consistency(300),
                           witness_key=wkey)
        assert refused.value.status == 422
        with pytest.raises(WitnessConflict):  # pretending the witness never saw the log
            add_checkpoint(url, split.checkpoint(), 0, [], witness_key=wkey)

        # An old entry rewritten: leaf 5 changed, everything else the same, grown by one.
        rewritten = honest.fork(5, "")
        rewritten.append(b"entry 5, rewritten")
        rewritten.grow(295)
        assert rewritten.root(300) != honest.root(300)
        with pytest.raises(WitnessError) as refused:
            add_checkpoint(url, rewritten.checkpoint(), 300, rewritten.consistency(300),
                           witness_key=wkey)
        assert refused.value.status == 422

        honest.grow(100)  # the honest history goes on being cosigned
        line, old = cosign(url, honest.checkpoint(), 300, honest.consistency,
                           witness_key=wkey)
        assert old == 300
    listed = witnesses.run("witness", "logs", "--dir", str(wdir)).stdout.split("\t")
    assert listed[1:3] == ["400", "2"]  # cosigned up to 400; two refusals kept
    kept = witnesses.run("witness", "evidence", "--origin", ORIGIN, "--dir", str(wdir)).stdout
    assert split.checkpoint().decode() in kept and rewritten.checkpoint().decode() in kept
    assert kept.count("refused, size ") == 2 and "last cosigned:" in kept

    # Two auditors, each shown one history: alone, each sees a log its key signed...
    mirror_a = honest.publish(tmp_path / "a", honest.checkpoint() + line)
    mirror_b = split.publish(tmp_path / "b")
    state_a, state_b = tmp_path / "auditor-a.json", tmp_path / "auditor-b.json"
    assert audit(mirror_a, honest, "--state", str(state_a)).returncode == 0
    assert audit(mirror_b, split, "--state", str(state_b)).returncode == 0
    # ...but B's view has no witness cosignature, A's has.
    need_witness = ["--witness", wkey.vkey(), "--threshold", "1"]
    assert audit(mirror_a, honest, *need_witness).returncode == 0
    blind = audit(mirror_b, split, *need_witness)
    assert blind.returncode == 1 and "checkpoint signature (witness)" in blind.stderr
    # Gossip: each auditor's state meets the other's mirror: the fork, both ways.
    # A saw 400 and is shown 350: smaller, so a rollback; B saw 350 and is shown 400: a
    # tree that does not extend it, a fork.
    for mirror, state, mine, theirs, kind in ((mirror_b, state_a, honest, split, "rollback"),
                                              (mirror_a, state_b, split, honest, "fork")):
        found = audit(mirror, mine, "--state", str(state))
        assert found.returncode == 1 and f"FAILED at consistency: {kind}" in found.stderr
        evidence = json.loads(state.read_text())["evidence"][0]["checkpoints"]
        assert evidence[1] == (mirror / "checkpoint").read_text()
        assert evidence[0] == json.loads(state.read_text())["checkpoints"][0]["note"]
        assert evidence[0] != evidence[1] and theirs.origin == mine.origin
    # The rewritten history against the auditor who saw the honest one at 300.
    state_r = tmp_path / "auditor-r.json"
    witnessed_300 = MemLog(ORIGIN, honest.signer)
    witnessed_300.hashes, witnessed_300.size = honest.fork(300, "").hashes, 300
    assert audit(witnessed_300.publish(tmp_path / "h300", seen_by_everyone), honest,
                 "--state", str(state_r)).returncode == 0
    found = audit(rewritten.publish(tmp_path / "r"), rewritten, "--state", str(state_r))
    assert found.returncode == 1 and "fork" in found.stderr
    assert seen_by_everyone.decode() in found.stderr
    assert rewritten.checkpoint().decode() in found.stderr
