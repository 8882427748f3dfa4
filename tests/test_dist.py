"""The two distributions as a team gets them (issue 22): `make dist`'s wheels and sdists
(``python -m build``: each wheel is built from its sdist, so a file the sdist lacks is
missing from the wheel too), their file lists, and each wheel installed into a fresh
virtual environment, run from a temporary folder with no repository on its path:

- ``kelisim-sdk`` with its ``kivy`` extra opens the consent screen in a real window (the
  README's gate snippet, in ``build()``), from a bundle the installed server made;
- ``kelisim`` (the server) runs its ``kelisim`` command, migrations, console templates and
  static files from its own files.

Everything is built and installed once for the module (conftest.ONE_WORKER)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from pathlib import Path
from typing import Any

import pytest

from builders import DEMO, REPO
from livesrv import free_port, get, until

pytestmark = pytest.mark.slow

VERSION = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
SDK_FILES = {"pyproject.toml", "README.md"}  # client_sdk/'s build files, not the package's
ARTIFACTS = REPO / "test-artifacts" / "screens" / "dist"
_CACHES = ("__pycache__", "*.egg-info", "build", "dist", ".venv", ".git", "instance",
           "test-artifacts", ".*_cache", ".hypothesis")


def _clean_env(**extra: str) -> dict[str, str]:
    """This environment without anything that points Python at a repository."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTHON", "KELISIM_", "VIRTUAL_ENV", "KIVY_"))}
    return {**env, **extra}


def _source_files() -> list[str]:
    """The files a clone with this work in it holds: tracked and new, not ignored."""
    try:
        out = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"],
                             cwd=REPO, capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return []
    return sorted(f for f in out.decode().split("\0") if f and (REPO / f).is_file())


def _copy_sources(to: Path) -> list[str]:
    """Copy the repository (as a fresh clone has it) to ``to``: building writes into the
    source folder (egg-info), and a test must not write into the repository."""
    files = _source_files()
    if not files:  # not a git checkout: the tree without caches and build output
        shutil.copytree(REPO, to, ignore=shutil.ignore_patterns(*_CACHES))
        return sorted(str(p.relative_to(to)) for p in to.rglob("*") if p.is_file())
    for f in files:
        (to / f).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / f, to / f)
    return files


def _run(cmd: list[str], what: str, **kw: Any) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900, **kw)
    assert proc.returncode == 0, f"{what} failed ({proc.returncode}):\n" \
                                 f"{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}"
    return proc


def _all_ok(procs: dict[str, subprocess.Popen[str]]) -> None:
    """Wait for processes started side by side (two cores: builds and installs overlap
    well, each waits on the network or the disk for much of its time)."""
    failed = []
    for what, proc in procs.items():
        out, err = proc.communicate(timeout=900)
        if proc.returncode != 0:
            failed.append(f"{what} failed ({proc.returncode}):\n{out[-3000:]}\n{err[-5000:]}")
    assert not failed, "\n\n".join(failed)


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """`make dist`, in a copy of the repository: the SDK's and the server's sdist and wheel."""
    tmp = tmp_path_factory.mktemp("dist")
    src, out = tmp / "src", tmp / "dist"
    files = _copy_sources(src)
    env = _clean_env()
    builds = {f"python -m build {where}": subprocess.Popen(
        [sys.executable, "-m", "build", "--outdir", str(out), where], cwd=src, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for where in ("client_sdk", ".")}
    _all_ok(builds)
    built = {p.name: p for p in out.iterdir()}
    names = {"sdk_wheel": f"kelisim_sdk-{VERSION}-py3-none-any.whl",
             "sdk_sdist": f"kelisim_sdk-{VERSION}.tar.gz",
             "server_wheel": f"kelisim-{VERSION}-py3-none-any.whl",
             "server_sdist": f"kelisim-{VERSION}.tar.gz"}
    assert set(built) == set(names.values()), sorted(built)
    return {**{k: built[v] for k, v in names.items()}, "files": files, "tmp": tmp}


def _under(files: list[str], folder: str, prefix: str,
           skip: frozenset[str] | set[str] = frozenset()) -> set[str]:
    """``folder``'s files, renamed from ``folder/`` to ``prefix``, but ``skip``."""
    return {prefix + f.removeprefix(f"{folder}/") for f in files
            if f.startswith(f"{folder}/") and f.removeprefix(f"{folder}/") not in skip}


def _wheel(path: Path) -> tuple[set[str], dict[str, str]]:
    """A wheel's files outside its .dist-info, and the .dist-info's files by name."""
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        info = {n.split("/", 1)[1]: z.read(n).decode() for n in names
                if n.split("/", 1)[0].endswith(".dist-info")}
    return {n for n in names if not n.split("/", 1)[0].endswith(".dist-info")}, info


def _requires(metadata: str) -> list[str]:
    return [line.removeprefix("Requires-Dist: ") for line in metadata.splitlines()
            if line.startswith("Requires-Dist: ")]


def test_the_sdk_wheel_is_client_sdk_whole_and_nothing_else(dists: dict[str, Any]) -> None:
    files, info = _wheel(dists["sdk_wheel"])
    expected = _under(dists["files"], "client_sdk", "client_sdk/", SDK_FILES)
    assert files - expected == set(), "in the SDK's wheel but not in client_sdk/"
    assert expected - files == set(), "in client_sdk/ but missing from the SDK's wheel"
    # What the issue found missing, by name.
    kv = {f for f in files if f.endswith(".kv")}
    assert {f"client_sdk/kivy/{n}.kv" for n in ("base", "gate", "consent_screen",
                                                "consent_settings", "notice_banner",
                                                "policy_view", "confirm_dialog")} <= kv
    assert len([f for f in files if f.endswith(".ttf")]) == 4
    assert "client_sdk/py.typed" in files
    assert {f.split("/")[0] for f in files} == {"client_sdk"}  # no server, no demo_app
    assert "entry_points.txt" not in info  # no `kelisim` command
    assert "Name: kelisim-sdk" in info["METADATA"]
    requires = _requires(info["METADATA"])
    assert any(r.startswith("securesystemslib") and "extra" not in r for r in requires)
    assert any(r.startswith("kivy") and 'extra == "kivy"' in r for r in requires)
    assert any(r.startswith("cryptography") and 'extra == "crypto"' in r for r in requires)
    assert not any(r.startswith(("flask", "kelisim")) for r in requires)


def test_the_server_wheel_is_server_whole_and_owns_the_command(
        dists: dict[str, Any]) -> None:
    files, info = _wheel(dists["server_wheel"])
    expected = _under(dists["files"], "server", "server/")
    assert files - expected == set(), "in the server's wheel but not in server/"
    assert expected - files == set(), "in server/ but missing from the server's wheel"
    assert "server/admin/templates/admin/base.html" in files
    assert "server/admin/static/console.css" in files
    assert "server/migrations/env.py" in files and "server/py.typed" in files
    assert any(f.startswith("server/migrations/versions/") for f in files)
    assert {f.split("/")[0] for f in files} == {"server"}  # no client_sdk, no demo_app
    assert "kelisim = server.cli:main" in info["entry_points.txt"]
    assert f"kelisim-sdk=={VERSION}" in _requires(info["METADATA"])


def test_each_sdist_holds_its_own_project_only(dists: dict[str, Any]) -> None:
    def members(path: Path) -> set[str]:
        with tarfile.open(path) as t:
            return {m.name.split("/", 1)[1] for m in t.getmembers()
                    if m.isfile() and "/" in m.name}

    made = {"PKG-INFO", "setup.cfg"}
    sdk = {m for m in members(dists["sdk_sdist"]) if ".egg-info/" not in m} - made
    assert sdk == _under(dists["files"], "client_sdk", ""), "the SDK's sdist"
    server = {m for m in members(dists["server_sdist"]) if ".egg-info/" not in m} - made
    assert server == _under(dists["files"], "server", "server/") | \
        {"pyproject.toml", "README.md", "MANIFEST.in"}, "the server's sdist"


@pytest.fixture(scope="module")
def venvs(dists: dict[str, Any]) -> dict[str, Path]:
    """Two fresh virtual environments (no system site-packages), side by side: an app's,
    with the SDK's wheel and its kivy extra; a server's, with both wheels."""
    tmp: Path = dists["tmp"]
    sdk, server = dists["sdk_wheel"], dists["server_wheel"]
    envs = {"app": tmp / "app-venv", "server": tmp / "server-venv"}
    wants = {"app": [f"{sdk}[kivy]"], "server": [str(sdk), str(server)]}
    for venv in envs.values():
        # Without pip (ensurepip alone takes ~10 s): the test's pip installs into it.
        _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], f"venv {venv}")
    installs = {f"pip install {' '.join(wants[name])}": subprocess.Popen(
        [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install",
         "-q", "--disable-pip-version-check", *wants[name]], cwd=tmp, env=_clean_env(),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for name, venv in envs.items()}
    _all_ok(installs)
    return envs


def _probe(python: Path, cwd: Path) -> dict[str, Any]:
    """Where the fresh environment finds what: run from ``cwd``, without PYTHONPATH."""
    code = ("import importlib.util as u, json, sys\n"
            "spec = lambda n: (u.find_spec(n).origin if u.find_spec(n) else None)\n"
            "print(json.dumps({'path': sys.path, 'prefix': sys.prefix, **{n: spec(n) for n in "
            "('client_sdk', 'server', 'demo_app', 'flask', 'kivy')}}))")
    return json.loads(_run([str(python), "-c", code], "probe", cwd=cwd,
                           env=_clean_env()).stdout)


@pytest.fixture(scope="module")
def installed_server(venvs: dict[str, Path], dists: dict[str, Any]) -> dict[str, Any]:
    """The server venv's own `kelisim`: demo-setup on a copy of the demo policy, a bundle."""
    tmp: Path = dists["tmp"]
    work = tmp / "server-work"
    work.mkdir()
    kelisim = str(venvs["server"] / "bin" / "kelisim")
    env = _clean_env(KELISIM_INSTANCE_PATH=str(work / "instance"))
    # The demo's policy is not in the wheel: without --policy-dir the command says so,
    # before it makes an instance.
    refused = subprocess.run([kelisim, "demo-setup"], cwd=work, env=env, capture_output=True,
                             text=True, timeout=120)
    policy = work / "policy"
    shutil.copytree(DEMO, policy)
    _run([kelisim, "demo-setup", "--policy-dir", str(policy)], "kelisim demo-setup",
         cwd=work, env=env)
    bundle = work / "jana-courier.kelisim"
    _run([kelisim, "bundle", "jana-courier", str(bundle)], "kelisim bundle", cwd=work,
         env=env)
    return {"kelisim": kelisim, "env": env, "work": work, "bundle": bundle,
            "refused": refused, "probe": _probe(venvs["server"] / "bin" / "python", work)}


def test_the_installed_server_runs_from_its_own_files(
        installed_server: dict[str, Any], venvs: dict[str, Path]) -> None:
    probe = installed_server["probe"]
    site = str(venvs["server"])
    assert probe["server"].startswith(site) and probe["client_sdk"].startswith(site)
    assert probe["demo_app"] is None and probe["kivy"] is None
    assert not any(p.startswith(str(REPO)) for p in probe["path"]), probe["path"]
    refused = installed_server["refused"]
    assert refused.returncode == 2 and "--policy-dir" in refused.stderr, refused.stderr
    assert "Traceback" not in refused.stderr
    # demo-setup and bundle ran (the fixture): migrations from the wheel. Now the console's
    # templates and static files, served.
    port = free_port()
    proc = subprocess.Popen([installed_server["kelisim"], "serve", "--port", str(port),
                             "--workers", "1"], cwd=installed_server["work"],
                            env=installed_server["env"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        def up() -> bool:
            assert proc.poll() is None, "kelisim serve exited"
            try:
                return get(port, "/healthz")[0] == 200
            except OSError:
                return False

        until(up, "the installed server to answer", timeout=60)
        status, _, body = get(port, "/admin/login")
        assert status == 200 and b"<form" in body
        status, _, body = get(port, "/admin/static/console.css")
        assert status == 200 and body
        status, _, _ = get(port, "/v1/apps/jana-courier/manifest.json")
        assert status == 200
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    assert "Traceback" not in err, err[-3000:]


def test_the_sdk_wheel_alone_opens_the_consent_screen(
        venvs: dict[str, Path], installed_server: dict[str, Any], display: str,
        dists: dict[str, Any]) -> None:
    work = dists["tmp"] / "app-work"
    work.mkdir()
    python = venvs["app"] / "bin" / "python"
    probe = _probe(python, work)
    site = str(venvs["app"])
    assert probe["client_sdk"].startswith(site) and probe["kivy"].startswith(site)
    assert probe["server"] is None and probe["demo_app"] is None and probe["flask"] is None
    # tests/ui/readme_gate.py: the README's gate lines in an App's build(). Copied out of
    # the repository: a script's own folder is on its path.
    script = work / "team_app.py"  # Kivy reads the App's source file: it cannot be -c
    shutil.copyfile(REPO / "tests" / "ui" / "readme_gate.py", script)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "consent-from-the-sdk-wheel-en.png"
    shot.unlink(missing_ok=True)
    proc = _run([str(python), str(script), str(installed_server["bundle"]),
                 str(work / "data"), str(shot)], "the app from the SDK's wheel", cwd=work,
                env=_clean_env(DISPLAY=display, KIVY_HOME=str(work / "kivy"),
                               KIVY_NO_CONSOLELOG="1"))
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["shown_in_root"] is True and report["document_state"] == "ready"
    assert report["title"] and report["window"] == [400, 800]
    assert report["client_sdk"].startswith(site)
    assert not any(p.startswith(str(REPO)) for p in report["path"]), report["path"]
    assert report["server"] is False and report["flask"] is False
    assert shot.stat().st_size > 10_000


def test_vendoring_the_sdk_for_buildozer_keeps_what_the_spec_packs(
        dists: dict[str, Any]) -> None:
    """docs/packaging.md: an app vendors the SDK into its source folder with
    ``pip install --no-deps --target``; every file of it passes buildozer's
    ``source.include_exts`` filter as the docs give it (py.typed, a type checker's
    marker, is dropped harmlessly)."""
    target = dists["tmp"] / "vendored"
    _run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target",
          str(target), str(dists["sdk_wheel"])], "pip install --target", env=_clean_env())
    vendored = {p.relative_to(target).as_posix() for p in (target / "client_sdk").rglob("*")
                if p.is_file() and "__pycache__" not in p.parts}
    assert vendored == _wheel(dists["sdk_wheel"])[0]
    doc = (REPO / "docs" / "packaging.md").read_text()
    line = next(x.strip() for x in doc.splitlines()
                if x.strip().startswith("source.include_exts = "))
    exts = set(line.removeprefix("source.include_exts = ").split(","))
    assert {Path(f).suffix.lstrip(".") for f in vendored} - {"typed"} <= exts

