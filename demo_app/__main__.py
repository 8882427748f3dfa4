"""``python -m demo_app``.

Kivy's window opens with its import, as in any Kivy app: phone-shaped unless the user gave
Kivy another size (demo_app/launch.py), set just before. Then the cyclic garbage collector
waits for the app's first frame (main.py turns it back on): until then start-up makes
objects that outlive it (modules, classes, the consent screen) and the collector would
only scan them over and over. Here, at the program's entry, not in main.py: importing
main.py (the tests do) must leave the collector alone.
"""

import gc
import os

os.environ.setdefault("KIVY_NO_ARGS", "1")

from demo_app.launch import open_phone_shaped

open_phone_shaped()

from kivy.core.window import Window  # noqa: E402, F401 - opens the window

gc.disable()

from demo_app.main import main  # noqa: E402

main()
