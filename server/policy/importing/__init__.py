"""Importing an existing policy file into a version draft.

:mod:`.formats` reads a file into text, :mod:`.text` turns text into Markdown,
:mod:`.langdetect` says which language each part is in, :mod:`.importer` puts it together.
"""

__all__: list[str] = []
