"""The Android/iOS packaging of the demo: buildozer.spec asks for exactly what the SDK
needs at run time, and packs the one-file bundle, the fonts and the kv rules."""

from __future__ import annotations

import configparser
import re
import tomllib
from importlib.metadata import requires
from pathlib import Path

from packaging.requirements import Requirement

from builders import REPO
from client_sdk.protocol.bundle import BUNDLE_SUFFIX
from demo_app.android_src import assemble

SPEC = REPO / "demo_app" / "buildozer.spec"
# python-for-android builds these with recipes of their own (their dependencies too).
RECIPES = {"python3", "kivy"}


def _name(req: str) -> str:
    return re.split(r"[<>=!~;\[ ]", req, maxsplit=1)[0].strip().lower().replace("_", "-")


def _spec() -> configparser.ConfigParser:
    spec = configparser.ConfigParser(interpolation=None)
    spec.read(SPEC)
    return spec


def _runtime_closure() -> set[str]:
    """The SDK's runtime dependencies (kelisim-sdk's core + its kivy extra) and theirs,
    without the packages a recipe builds."""
    project = tomllib.loads((REPO / "client_sdk" / "pyproject.toml").read_text())["project"]
    todo = [_name(r) for r in project["dependencies"] +
            project["optional-dependencies"]["kivy"]]
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        if name in RECIPES:
            continue
        for raw in requires(name) or []:
            req = Requirement(raw)
            env = {"extra": "", "sys_platform": "linux", "platform_system": "Linux",
                   "python_version": "3.11"}
            if req.marker is None or req.marker.evaluate(env):
                todo.append(_name(req.name))
    return seen


def test_requirements_are_the_sdks_runtime_dependencies() -> None:
    line = _spec()["app"]["requirements"]
    asked = {_name(r) for r in line.split(",")}
    # certifi: the SDK's HTTPS uses its CA file (Android's ssl has none of its own).
    assert asked == _runtime_closure() | {"python3", "certifi"}
    assert "cryptography" not in asked  # the pure-Python verifier (iOS has no wheel)


def test_the_bundle_fonts_and_rules_are_packed() -> None:
    app = _spec()["app"]
    exts = {e.strip() for e in app["source.include_exts"].split(",")}
    assert BUNDLE_SUFFIX.lstrip(".") in exts and {"py", "kv", "ttf", "png"} <= exts
    assert "INTERNET" in app["android.permissions"]


def test_the_source_dir_holds_what_the_spec_includes(tmp_path: Path) -> None:
    bundle = tmp_path / f"jana-courier{BUNDLE_SUFFIX}"
    bundle.write_text("{}")
    out = assemble(bundle, tmp_path / "android")
    assert (out / "main.py").read_text().count("main()") == 1
    exts = {e.strip() for e in _spec()["app"]["source.include_exts"].split(",")}
    shipped = {p.suffix.lstrip(".") for p in out.rglob("*") if p.is_file()}
    assert shipped <= exts, shipped - exts  # nothing silently dropped by the filter
    assert (out / "demo_app" / f"jana-courier{BUNDLE_SUFFIX}").exists()
    assert list((out / "client_sdk" / "kivy" / "fonts").glob("*.ttf"))
    assert (REPO / "demo_app" / _spec()["app"]["source.dir"]).resolve() == \
        (REPO / "build" / "android").resolve()


def test_the_docs_give_an_app_the_demo_specs_lines() -> None:
    """docs/integration.md and docs/packaging.md tell a team what to put in its own
    buildozer.spec: the same requirements and include filter as the demo's, which the
    tests above check against the SDK."""
    app = _spec()["app"]
    for doc in ("integration.md", "packaging.md"):
        lines = [line.strip() for line in (REPO / "docs" / doc).read_text().splitlines()]
        for key in ("requirements", "source.include_exts"):
            given = [x.split("=", 1)[1].strip() for x in lines if x.startswith(f"{key} = ")]
            assert given and set(given) == {app[key]}, (doc, key, given)
