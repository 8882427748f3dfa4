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


def test_the_kivy_ios_folder_holds_the_privacy_manifest_of_the_demo_policy(
        tmp_path: Path) -> None:
    """The demo's policy, built as publishing builds it, makes the PrivacyInfo.xcprivacy the
    kivy-ios path copies in, with the entries CPython's OpenSSL and SQLite need."""
    import plistlib

    from server.policy.labelfiles import PYTHON_REQUIRED_REASONS, Source, build_files
    from server.policy.publish import build_version_body
    from server.policy.source import load_app_dir, load_version_dir
    from server.policy.storelabels import labels_of

    policy = REPO / "demo_app" / "policy" / "jana-courier"
    body = build_version_body(load_app_dir(policy), load_version_dir(policy / "2.0", 10**6),
                              2, 2, "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z",
                              summaries_required=True)
    labels = labels_of(body)
    assert labels is not None and labels.problems == ()
    files = build_files(body, labels, Source("jana-courier", "Jana Courier", 2, "2.0", 1,
                                             "0" * 64), python_runtime=True)
    privacy = tmp_path / "privacy" / "PrivacyInfo.xcprivacy"
    privacy.parent.mkdir()
    privacy.write_bytes(files["PrivacyInfo.xcprivacy"])
    bundle = tmp_path / f"jana-courier{BUNDLE_SUFFIX}"
    bundle.write_text("{}")
    out = assemble(bundle, tmp_path / "ios", privacy)
    shipped = plistlib.loads((out / "PrivacyInfo.xcprivacy").read_bytes())
    assert shipped["NSPrivacyAccessedAPITypes"] == list(PYTHON_REQUIRED_REASONS)
    assert {e["NSPrivacyCollectedDataType"] for e in shipped["NSPrivacyCollectedDataTypes"]} \
        >= {"NSPrivacyCollectedDataTypePreciseLocation", "NSPrivacyCollectedDataTypeName"}
    assert not (out / "demo_app" / "privacy").exists()
