"""ConsentSettings and the data subject's requests in a real window (test_kivy_requests.py
says what each result must be): the operator's answer arrives by a sync and is shown in
the user's language; a rectification needs a note; a deletion offers to withdraw consent
in the same step; a copy of the user's data is saved to a folder and the status says
where. Screenshots in every UI language, light and dark, text scale 1.0 and 1.6.

Config: ``data`` (the store the test process filed requests in), ``bundle``, ``url``,
``export_dir``."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from driver import Driver, Steps, client, in_window, labels, tap

from client_sdk.kivy import DARK, LIGHT, ConsentSettings, theme

LOCALES = ("kk", "ru", "en", "uz", "ky")


def scenario(d: Driver, cfg: dict[str, Any]) -> Steps:
    r = d.result
    c = client(Path(cfg["data"]), Path(cfg["bundle"]), ("ru",), url=cfg["url"])
    synced: list[bool] = []
    settings = ConsentSettings(c, export_dir=cfg["export_dir"])
    settings.bind(on_synced=lambda _w, res: synced.append(res.ok))
    d.show(settings)
    yield 0
    r["before_sync"] = [x for x in labels(settings.ids.content) if "·" in x]
    settings.sync_now()
    yield from d.until(lambda: len(synced) >= 1, "answer synced")
    r["after_sync"] = labels(settings.ids.content)
    r["requests"] = [(q.kind, q.status, q.answer) for q in c.requests()]
    d.shot("settings-answered-ru")
    # Rectification: the dialog asks what to correct; Confirm without a note does nothing.
    yield from d.press(settings.ids.rectification_button)
    dialog = settings.dialog
    r["rect_dialog"] = dialog is not None and in_window(dialog) and in_window(dialog.ids.note)
    r["rect_withdraw_row"] = "withdraw_row" in dialog.ids and \
        dialog.ids.withdraw_row.parent is not None
    tap(dialog.ids.ok)
    yield 0
    r["rect_empty_kept_open"] = in_window(dialog)
    r["rect_empty_requests"] = len(c.requests())
    dialog.ids.note.text = "Фамилия: Нурланова"
    tap(dialog.ids.ok)
    yield from d.until(lambda: len(synced) >= 2, "rectification synced")
    r["rect_filed"] = [(q.kind, q.note, q.status) for q in c.requests()][-1]
    # Deletion: the dialog offers (ticked) to withdraw consent in the same step.
    yield from d.press(settings.ids.deletion_button)
    dialog = settings.dialog
    r["del_withdraw_shown"] = in_window(dialog.ids.withdraw_row)
    r["del_withdraw_ticked"] = dialog.ids.withdraw_box.active
    d.shot("deletion-dialog-ru")
    tap(dialog.ids.ok)
    yield from d.until(lambda: len(synced) >= 3, "deletion synced")
    last = c.requests()[-1]
    r["del_filed"] = (last.kind, last.withdraw, last.status)
    r["consent_after_deletion"] = c.consent_state().status
    r["withdraw_button_disabled"] = settings.ids.withdraw_button.disabled
    # The export: off the UI thread (held here until the window has drawn a frame with
    # the button disabled and the "saving" status), then saved into the folder, and the
    # status says where.
    release = threading.Event()
    export_my_data = c.export_my_data

    def held(*args: Any, **kwargs: Any) -> Any:
        release.wait(60)
        return export_my_data(*args, **kwargs)

    c.export_my_data = held  # type: ignore[method-assign]
    yield from d.press(settings.ids.export_button)
    yield from d.settle()  # frames go on while the export waits
    r["export_while_saving"] = [settings.exporting, settings.ids.export_button.disabled,
                                settings.status]
    release.set()
    yield from d.until(lambda: not settings.exporting, "export saved")
    r["export_status"] = settings.status
    r["export_button_after"] = settings.ids.export_button.disabled
    r["export_files"] = sorted(p.name for p in Path(cfg["export_dir"]).iterdir())
    # The same screen in every language, light and dark, text scale 1.0 and 1.6.
    shown: dict[str, list[str]] = {}
    for palette, name in ((LIGHT, "light"), (DARK, "dark")):
        theme.use(palette)
        for scale in (1.0, 1.6):
            theme.text_scale = scale
            for tag in LOCALES:
                c.preferred_locales = (tag,)
                settings.refresh_view()
                yield from d.settle()
                heading = next(w for w in settings.ids.content.children
                               if settings.words("requests") in getattr(w, "text", ""))
                settings.ids.scroll.scroll_to(heading, animate=False)
                yield from d.settle()
                shown[tag] = labels(settings.ids.content)
                d.shot(f"settings-{tag}-{name}-{scale:.1f}")
    r["shown"] = shown
    theme.use(LIGHT)
    theme.text_scale = 1.0
    c.close()
