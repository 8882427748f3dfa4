"""Assemble the folder buildozer packages (demo_app/buildozer.spec's ``source.dir``):

    python -m demo_app.android_src [BUNDLE [PRIVACY_MANIFEST]]   # writes build/android/

It holds ``main.py`` (the entry point python-for-android runs as a script), the
``client_sdk`` and ``demo_app`` packages as they are in this repository, and the app's
one-file bundle (``kelisim bundle jana-courier ...``; default demo_app/jana-courier.kelisim).
For kivy-ios, the privacy manifest the app bundle needs (``kelisim labels jana-courier --out
DIR --python-runtime``; default DIR demo_app/privacy) is copied in as
``PrivacyInfo.xcprivacy`` when it is there (docs/packaging.md). The server package is left
out: an app never imports it.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

__all__ = ["OUT", "assemble"]

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "build" / "android"
ENTRY = '''"""Jana Courier on a phone: python-for-android runs this file as a script."""
from demo_app.main import main

main()
'''
# What is not the app's code or data: caches, the demo's policy source and spec, and the
# SDK's build files (client_sdk/pyproject.toml, its README, what building left there).
_SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", "bundle", "policy", "privacy", "*.spec",
                               "py.typed", "*.kelisim", "pyproject.toml", "README.md", "*.egg-info",
                               "build")


PRIVACY = REPO / "demo_app" / "privacy" / "PrivacyInfo.xcprivacy"


def assemble(bundle: Path, out: Path = OUT, privacy: Path | None = None) -> Path:
    """Write ``out`` afresh, with ``privacy`` (a PrivacyInfo.xcprivacy) when given; raises
    FileNotFoundError when ``bundle`` or ``privacy`` is missing."""
    if privacy is not None and not privacy.is_file():
        raise FileNotFoundError(f"no privacy manifest at {privacy}: run `kelisim labels "
                                f"jana-courier --out {privacy.parent} --python-runtime`")
    if not bundle.is_file():
        raise FileNotFoundError(f"no bundle at {bundle}: run `kelisim bundle jana-courier "
                                f"{bundle}` against the server the app will use")
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    shutil.copytree(REPO / "client_sdk", out / "client_sdk", ignore=_SKIP)
    shutil.copytree(REPO / "demo_app", out / "demo_app", ignore=_SKIP)
    shutil.copyfile(bundle, out / "demo_app" / "jana-courier.kelisim")
    (out / "main.py").write_text(ENTRY)
    if privacy is not None:
        shutil.copyfile(privacy, out / "PrivacyInfo.xcprivacy")
    return out


if __name__ == "__main__":
    default = REPO / "demo_app" / "jana-courier.kelisim"
    manifest = Path(sys.argv[2]) if len(sys.argv) > 2 else (PRIVACY if PRIVACY.is_file()
                                                            else None)
    bundle_path = Path(sys.argv[1]) if len(sys.argv) > 1 else default
    try:
        print(f"wrote {assemble(bundle_path, OUT, manifest)}")
    except FileNotFoundError as exc:
        sys.exit(str(exc))
