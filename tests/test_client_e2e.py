"""The SDK against the real server process: first launch to upcoming, offline at the end."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import pytest

from builders import new_version, server_env
from client_sdk import ConsentClient, Kind, NetworkError, RollbackError
from client_sdk.protocol.timeutil import format_time, utcnow
from livesrv import demo_setup, free_port, get, kelisim_here, running

pytestmark = pytest.mark.slow


def test_first_launch_to_upcoming_offline(tmp_path: Path) -> None:
    env = server_env(tmp_path / "instance")
    demo_setup(env)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    policy = tmp_path / "policy"
    with running(env, port):
        root1 = get(port, "/v1/root/1.json")[2]
        client = ConsentClient(url, "jana-courier", root1, tmp_path / "app",
                               preferred_locales=("kk-KZ", "ru"))
        assert client.refresh().ok
        d = client.decide()
        assert (d.kind, d.reasons, d.locale, d.version.label) == (
            Kind.PROMPT, ("first_launch",), "kk", "2.0")
        assert client.document().startswith("# Jana Courier құпиялылық саясаты")
        client.accept(["analytics"], evidence={"scrolled_to_end": True,
                                               "seconds_on_screen": 30}, age_confirmed=True)
        assert client.decide().kind is Kind.NONE and client.is_granted("analytics")

        kelisim_here(env, "publish", str(new_version(policy, "2.1", "minor", "Түзетулер")),
                "--app", "jana-courier")
        client_sees(client, "2.1")
        d = client.decide()
        assert d.kind is Kind.NOTICE
        assert [c.summary for c in d.changes] == ["Түзетулер (kk)"]
        client.acknowledge_notice()
        assert client.decide().kind is Kind.NONE

        kelisim_here(env, "publish", str(new_version(policy, "3.0", "major", "Жаңа мақсат",
                                                extra_purpose=True)), "--app", "jana-courier")
        client_sees(client, "3.0")
        d = client.decide()
        assert d.kind is Kind.PROMPT and d.reasons == ("significant_change",)
        assert [c.summary for c in d.changes] == ["Түзетулер (kk)", "Жаңа мақсат (kk)"]
        client.accept(age_confirmed=True)

        soon = utcnow() + timedelta(hours=1)
        kelisim_here(env, "publish", str(new_version(policy, "3.1", "minor", "Келесі айда",
                                                effective=format_time(soon))),
                "--app", "jana-courier")
        client_sees(client, "3.1", upcoming=True)
        d = client.decide()
        assert d.kind is Kind.UPCOMING and d.version.label == "3.1"
        assert d.changes[0].summary == "Келесі айда (kk)"
        client.acknowledge_notice()
        assert client.decide().kind is Kind.NONE
    # The server is gone; the clock passes the effective date: the switch happens offline.
    client.clock = lambda: soon + timedelta(minutes=1)
    result = client.refresh()
    assert isinstance(result.error, NetworkError)
    d = client.decide()
    assert d.version.label == "3.1" and not d.stale
    # 3.1 is minor and its heads-up was acknowledged: nothing more to show.
    assert d.kind is Kind.NONE
    assert [r.action for r in client.history()] == ["accept", "acknowledge", "accept",
                                                    "acknowledge"]


def client_sees(client: ConsentClient, label: str, upcoming: bool = False) -> None:
    for _ in range(30):  # a publish reaches every worker within CACHE_CHECK_INTERVAL (1 s)
        result = client.refresh()
        # Until then a worker that has not looked yet serves the older manifest: the client
        # refuses it as a rollback and keeps the newer one it verified.
        assert result.ok or isinstance(result.error, RollbackError), result
        m = client.manifest
        assert m is not None
        if (m.upcoming.label if upcoming and m.upcoming else m.current.label) == label:
            return
        time.sleep(0.1)
    raise AssertionError(f"client never saw {label}")


def test_upcoming_major_prompts_offline_after_its_date(tmp_path: Path) -> None:
    env = server_env(tmp_path / "instance")
    demo_setup(env)
    port = free_port()
    with running(env, port):
        client = ConsentClient(f"http://127.0.0.1:{port}", "jana-courier",
                               get(port, "/v1/root/1.json")[2], tmp_path / "app",
                               preferred_locales=("ru",))
        assert client.refresh().ok
        client.accept(age_confirmed=True)
        when = utcnow() + timedelta(days=2)
        kelisim_here(env, "publish", str(new_version(tmp_path / "p", "4.0", "major", "Важно",
                                                extra_purpose=True,
                                                effective=format_time(when))),
                "--app", "jana-courier")
        client_sees(client, "4.0", upcoming=True)
        assert client.decide().kind is Kind.UPCOMING
    client.clock = lambda: when + timedelta(seconds=1)
    d = client.decide()
    assert d.kind is Kind.PROMPT and d.reasons == ("significant_change",)
    assert d.changes[-1].summary == "Важно (ru)"
