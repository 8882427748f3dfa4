"""Assemble the folder buildozer packages (demo_app/buildozer.spec's ``source.dir``):

    python -m demo_app.android_src [BUNDLE]   # writes build/android/

It holds ``main.py`` (the entry point python-for-android runs as a script), the
``client_sdk`` and ``demo_app`` packages as they are in this repository, and the app's
one-file bundle (``kelisim bundle jana-courier ...``; default demo_app/jana-courier.kelisim).
The server package is left out: an app never imports it.
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
_SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", "bundle", "policy", "*.spec", "py.typed",
                               "*.kelisim", "pyproject.toml", "README.md", "*.egg-info",
                               "build")


def assemble(bundle: Path, out: Path = OUT) -> Path:
    """Write ``out`` afresh; raises FileNotFoundError when ``bundle`` is missing."""
    if not bundle.is_file():
        raise FileNotFoundError(f"no bundle at {bundle}: run `kelisim bundle jana-courier "
                                f"{bundle}` against the server the app will use")
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    shutil.copytree(REPO / "client_sdk", out / "client_sdk", ignore=_SKIP)
    shutil.copytree(REPO / "demo_app", out / "demo_app", ignore=_SKIP)
    shutil.copyfile(bundle, out / "demo_app" / "jana-courier.kelisim")
    (out / "main.py").write_text(ENTRY)
    return out


if __name__ == "__main__":
    default = REPO / "demo_app" / "jana-courier.kelisim"
    try:
        print(f"wrote {assemble(Path(sys.argv[1]) if len(sys.argv) > 1 else default)}")
    except FileNotFoundError as exc:
        sys.exit(str(exc))
