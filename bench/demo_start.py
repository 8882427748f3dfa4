"""Demo start-up and the long policy, each against its reference in the same run.

1. Process start to the first frame drawn with the consent screen in it (the demo, offline
   from its one-file bundle, as on a first launch) against a bare Kivy app showing one
   Label, alternated, under the same X display, Python, environment and window size (the
   demo's phone shape, demo_app/launch.py: the demo chooses it itself, the bare app is
   given it through Kivy's environment). Each child reports from the window's ``on_flip``
   of its first frame after ``on_start``, once ``glFinish`` says the frame is drawn:
   layout, label textures and drawing included. (The
   moment the first clock tick runs, before any of that, is printed too, as "tick": this
   bench measured that until 24 Nov 2026.) The project's modules are byte-compiled first,
   as an installed app's are (pip and buildozer compile them; Kivy's already are), so
   that PYTHONDONTWRITEBYTECODE in the environment does not charge the demo a compile.
   Goal: median demo <= 1.3 x median bare.
2. A 2,000-block policy in the full-text view (a RecycleView): opening to its first frame,
   and opening to "scrolled to its end" (measured on screen, after layout) when scrolled
   there at once. Goals: <= 0.3 s and <= 1 s.

    python bench/demo_start.py [--runs 9]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from demo_app.launch import PHONE  # noqa: E402 - Kivy-free

BARE = """
import os
os.environ.setdefault("KIVY_NO_ARGS", "1")
from kivy.app import App
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.uix.label import Label
class Bare(App):
    def build(self):
        return Label(text="Jana Courier")
    def on_start(self):
        # As demo_app/main.py does under KELISIM_DEMO_EXIT_ON_FRAME.
        Clock.schedule_once(lambda dt: print("first-tick", flush=True), 0)
        Window.fbind("on_flip", self.drawn)
    def drawn(self, *_):
        from kivy.graphics.opengl import glFinish
        glFinish()
        print("first-frame", flush=True)
        self.stop()
Bare().run()
"""

LONG = """
import json, os, sys, time
os.environ.setdefault("KIVY_NO_ARGS", "1")
from kivy.config import Config
Config.set("graphics", "width", "360"); Config.set("graphics", "height", "640")
from kivy.app import App
from kivy.clock import Clock
from kivy.uix.floatlayout import FloatLayout
from client_sdk import ConsentClient
from client_sdk.kivy import PolicyModal
from client_sdk.kivy.policy_view import PolicyLine

class Long(App):
    def build(self):
        self.client = ConsentClient.from_bundle("https://offline.invalid", sys.argv[1],
                                                sys.argv[2], ("kk",))
        if sys.argv[3] == "warm":  # as when the consent screen already loaded and parsed it
            from client_sdk.kivy import theme
            from client_sdk.ui.markup import to_blocks
            to_blocks(self.client.document("kk"), theme.link_hex())
        Clock.schedule_once(self.open, 0.5)
        return FloatLayout()
    def open(self, _dt):
        self.t0 = time.perf_counter()
        self.modal = PolicyModal(self.client, self.client.current_version(), "kk")
        self.modal.open()
        self.first = None
        Clock.schedule_interval(self.watch, 0)
    def watch(self, _dt):
        view = self.modal.ids.policy
        drawn = any(isinstance(w, PolicyLine) and w.texture for w in view.walk())
        if self.first is None and drawn:
            self.first = time.perf_counter() - self.t0  # this frame draws the text
            view.scroll_y = 0
        if view.scrolled_to_end:
            end = time.perf_counter() - self.t0
            print(json.dumps({"first": self.first, "end": end, "blocks": len(view.data)}),
                  flush=True)
            self.stop()
            return False
Long().run()
"""


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Seconds from process start to the first clock tick and to the first drawn frame."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True, cwd=REPO)
    assert proc.stdout is not None
    tick = None
    for line in proc.stdout:
        if line.startswith("first-tick"):
            tick = time.perf_counter() - start
        elif line.startswith("first-frame") and tick is not None:
            elapsed = time.perf_counter() - start
            proc.wait(timeout=30)
            return tick, elapsed
    proc.wait(timeout=30)
    raise RuntimeError(f"{cmd} never reported a frame (exit {proc.returncode})")


def long_policy(tmp: Path, env: dict[str, str], kelisim: str) -> Path:
    """A Kazakh policy of 2,000 blocks (1,000 numbered sections), published and bundled."""
    demo = REPO / "demo_app" / "policy" / "jana-courier"
    app = tmp / "long-policy"
    (app / "1").mkdir(parents=True)
    (app / "app.toml").write_text((demo / "app.toml").read_text().replace(
        'id = "jana-courier"', 'id = "long-policy"', 1))
    toml = (demo / "2.0" / "version.toml").read_text().replace('label = "2.0"', 'label = "1"')
    (app / "1" / "version.toml").write_text(toml)
    para = "Деректер тек жеткізу үшін өңделеді және заңда көрсетілген мерзімде сақталады. "
    body = "# Ұзын саясат\n\n" + "\n".join(f"## {i}. Бөлім\n\n{para * 2}\n"
                                            for i in range(1, 1000))
    for tag in ("kk", "ru", "en", "uz", "ky"):
        (app / "1" / f"{tag}.md").write_text(body)
    subprocess.run([kelisim, "apps", "create", str(app)], env=env, check=True,
                   capture_output=True)
    subprocess.run([kelisim, "publish", str(app / "1")], env=env, check=True,
                   capture_output=True)
    out = tmp / "long.kelisim"
    subprocess.run([kelisim, "bundle", "long-policy", str(out)], env=env, check=True,
                   capture_output=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=9)
    ap.add_argument("--start-only", action="store_true", help="skip the long policy")
    ap.add_argument("--no-compile", action="store_true",
                    help="do not byte-compile the project's modules first")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="kelisim-bench-demo-"))
    env = {**os.environ, "KELISIM_INSTANCE_PATH": str(tmp / "instance"),
           "KIVY_NO_CONSOLELOG": "1", "KIVY_HOME": str(tmp / "kivy"),
           "PYTHONPATH": str(REPO)}
    env.pop("KELISIM_DATABASE_URL", None)
    (tmp / "kivy").mkdir()
    bare_script = tmp / "bare.py"  # Kivy reads the App's source file: it cannot be -c
    bare_script.write_text(BARE)
    long_script = tmp / "long.py"
    long_script.write_text(LONG)
    kelisim = str(Path(sys.executable).with_name("kelisim"))
    subprocess.run([kelisim, "demo-setup"], env=env, check=True, capture_output=True)
    bundle = tmp / "jana-courier.kelisim"
    subprocess.run([kelisim, "bundle", "jana-courier", str(bundle)], env=env, check=True,
                   capture_output=True)
    long_bundle = long_policy(tmp, env, kelisim)
    if not args.no_compile:
        subprocess.run([sys.executable, "-m", "compileall", "-q", "client_sdk", "demo_app"],
                       cwd=REPO, check=True, capture_output=True)
    xvfb = None
    if not env.get("DISPLAY"):
        if not shutil.which("Xvfb"):
            raise SystemExit("no DISPLAY and no Xvfb: run `make bench`, which installs it")
        for number in range(131, 180):
            if not Path(f"/tmp/.X{number}-lock").exists():
                break
        env["DISPLAY"] = f":{number}"
        xvfb = subprocess.Popen(["Xvfb", env["DISPLAY"], "-screen", "0", "1280x1024x24",
                                 "-nolisten", "tcp"], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while not Path(f"/tmp/.X11-unix/X{number}").exists():
            if time.monotonic() > deadline:
                raise SystemExit("Xvfb did not start")
            time.sleep(0.05)
    try:
        bare_times, demo_times, long_runs = [], [], []
        bare_env = {**env, "KCFG_GRAPHICS_WIDTH": str(PHONE[0]),
                    "KCFG_GRAPHICS_HEIGHT": str(PHONE[1])}
        timed([sys.executable, str(bare_script)], bare_env)  # warm the disk cache for both
        for i in range(args.runs):
            bare_times.append(timed([sys.executable, str(bare_script)], bare_env))
            demo_env = {**env, "KELISIM_DEMO_BUNDLE": str(bundle),
                        "KELISIM_DEMO_DATA": str(tmp / f"data{i}"),
                        "KELISIM_DEMO_SERVER": "http://127.0.0.1:9",
                        "KELISIM_DEMO_EXIT_ON_FRAME": "1"}
            demo_times.append(timed([sys.executable, "-m", "demo_app"], demo_env))
        for i in range(0 if args.start_only else 6):
            mode = ("warm", "cold")[i % 2]
            proc = subprocess.run([sys.executable, str(long_script), str(long_bundle),
                                   str(tmp / f"long{i}"), mode], env=env,
                                  capture_output=True, text=True, timeout=120, cwd=REPO)
            lines = [x for x in proc.stdout.splitlines() if x.startswith("{")]
            if not lines:
                raise SystemExit(f"the long-policy run failed:\n{proc.stderr[-3000:]}")
            long_runs.append({**json.loads(lines[-1]), "mode": mode})
    finally:
        if xvfb is not None:
            xvfb.terminate()
            xvfb.wait(timeout=10)
    bare = statistics.median(t[1] for t in bare_times)
    demo = statistics.median(t[1] for t in demo_times)
    ratio = demo / bare
    bare_tick = statistics.median(t[0] for t in bare_times)
    demo_tick = statistics.median(t[0] for t in demo_times)
    print(f"process start to the first drawn frame, median of {args.runs} "
          f"(first clock tick, before layout and drawing):")
    print(f"  bare Kivy app, one Label        {bare * 1000:8.0f} ms   (tick "
          f"{bare_tick * 1000:.0f} ms)")
    print(f"  Jana Courier, consent screen    {demo * 1000:8.0f} ms   (tick "
          f"{demo_tick * 1000:.0f} ms)")
    print(f"  ratio {ratio:.2f}   goal <= 1.3 {'ok' if ratio <= 1.3 else 'MISSED'}   "
          f"(tick ratio {demo_tick / bare_tick:.2f})")
    print(f"  load average {os.getloadavg()[0]:.2f}")
    if not long_runs:
        return
    warm = [r for r in long_runs if r["mode"] == "warm"]
    cold = [r for r in long_runs if r["mode"] == "cold"]
    first = statistics.median(r["first"] for r in warm)
    end = statistics.median(r["end"] for r in warm)
    cold_first = statistics.median(r["first"] for r in cold)
    cold_end = statistics.median(r["end"] for r in cold)
    print(f"policy of 2,000 blocks ({long_runs[0]['blocks']} lines), median of 3; opened "
          f"after the consent screen parsed it (cold: parsed on opening):")
    print(f"  open to first frame             {first * 1000:8.0f} ms   goal <= 300 "
          f"{'ok' if first <= 0.3 else 'MISSED'}   (cold {cold_first * 1000:.0f} ms)")
    print(f"  open to scrolled to its end     {end * 1000:8.0f} ms   goal <= 1000 "
          f"{'ok' if end <= 1.0 else 'MISSED'}   (cold {cold_end * 1000:.0f} ms)")


if __name__ == "__main__":
    main()
