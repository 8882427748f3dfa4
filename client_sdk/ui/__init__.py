"""Kivy-free text and formatting for consent screens (the widgets and the console use it).

UI strings per locale (:mod:`.strings`), CLDR dates, plurals and country names
(:mod:`.cldr`, :mod:`.fmt`), Markdown to label markup (:mod:`.markup`), what the widgets
say about a manifest (:mod:`.texts`), light and dark palettes (:mod:`.palette`).
"""

__all__: list[str] = []
