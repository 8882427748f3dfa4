"""Demo start-up: process start to the consent screen's first frame, against a bare Kivy
app showing one Label, in the same run, under the same X display.

Both are timed by this process, from just before the child is spawned to the moment the
child reports the first frame that draws its widget tree (it prints and quits). The demo
starts offline from a bundle, as on a first launch. Goal: demo <= 1.5 x bare.

    python bench/demo_start.py [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

BARE = """
import os
os.environ.setdefault("KIVY_NO_ARGS", "1")
from kivy.app import App
from kivy.clock import Clock
from kivy.uix.label import Label
class Bare(App):
    def build(self):
        return Label(text="Jana Courier")
    def on_start(self):
        Clock.schedule_once(lambda dt: (print("first-frame", flush=True), self.stop()), 0)
Bare().run()
"""


def timed(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True, cwd=REPO)
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("first-frame"):
            elapsed = time.perf_counter() - start
            proc.wait(timeout=30)
            return elapsed
    proc.wait(timeout=30)
    raise RuntimeError(f"{cmd} never reported a frame (exit {proc.returncode})")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="kelisim-bench-demo-"))
    env = {**os.environ, "KELISIM_INSTANCE_PATH": str(tmp / "instance"),
           "KIVY_NO_CONSOLELOG": "1", "KIVY_HOME": str(tmp / "kivy")}
    env.pop("KELISIM_DATABASE_URL", None)
    (tmp / "kivy").mkdir()
    bare_script = tmp / "bare.py"  # Kivy reads the App's source file: it cannot be -c
    bare_script.write_text(BARE)
    kelisim = str(Path(sys.executable).with_name("kelisim"))
    subprocess.run([kelisim, "demo-setup"], env=env, check=True, capture_output=True)
    subprocess.run([kelisim, "export-static", str(tmp / "bundle")], env=env, check=True,
                   capture_output=True)
    xvfb = None
    if not env.get("DISPLAY"):
        if not shutil.which("Xvfb"):
            raise SystemExit("no DISPLAY and no Xvfb: run `make bench`, which installs it")
        env["DISPLAY"] = ":131"
        xvfb = subprocess.Popen(["Xvfb", ":131", "-screen", "0", "1280x1024x24", "-nolisten",
                                 "tcp"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1)
    try:
        bare_times, demo_times = [], []
        timed([sys.executable, str(bare_script)], env)  # warm the disk cache for both
        for i in range(args.runs):
            bare_times.append(timed([sys.executable, str(bare_script)], env))
            demo_env = {**env, "KELISIM_DEMO_BUNDLE": str(tmp / "bundle"),
                        "KELISIM_DEMO_DATA": str(tmp / f"data{i}"),
                        "KELISIM_DEMO_SERVER": "http://127.0.0.1:9",
                        "KELISIM_DEMO_EXIT_ON_FRAME": "1"}
            demo_times.append(timed([sys.executable, "-m", "demo_app"], demo_env))
    finally:
        if xvfb is not None:
            xvfb.terminate()
            xvfb.wait(timeout=10)
    bare, demo = statistics.median(bare_times), statistics.median(demo_times)
    ratio = demo / bare
    print(f"process start to first frame, median of {args.runs}:")
    print(f"  bare Kivy app, one Label        {bare * 1000:8.0f} ms")
    print(f"  Jana Courier, consent screen    {demo * 1000:8.0f} ms")
    print(f"  ratio {ratio:.2f}   goal <= 1.5 {'ok' if ratio <= 1.5 else 'MISSED'}")


if __name__ == "__main__":
    main()
