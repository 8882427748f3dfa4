"""Fixtures of the SDK's sync tests: here ``client`` is the SDK's ConsentClient (not the
Flask test client of tests/conftest.py), refreshed from ``sim`` and syncing with
``server``, the sync API in memory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from client_sdk import ConsentClient
from simulator import BASE, NOW, Simulator
from syncsim import SyncServer


@pytest.fixture
def server(sim: Simulator) -> SyncServer:
    return SyncServer(sim)


@pytest.fixture
def client(sim: Simulator, tmp_path: Path) -> Iterator[ConsentClient]:
    c = ConsentClient(BASE, sim.app, sim.roots[0], tmp_path, transport=sim, clock=lambda: NOW)
    assert c.refresh().ok
    yield c
    c.close()
