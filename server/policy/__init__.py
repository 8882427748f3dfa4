"""Policies as code: from folders (or the console's drafts) to signed, published versions.

- :mod:`.source` and :mod:`.schema`: reading and validating app.toml and version.toml;
- :mod:`.guard`: which changes may not be published as minor or patch;
- :mod:`.publish`: registering apps and publishing versions;
- :mod:`.bundle`: the one-file app bundle; :mod:`.export`: the static (CDN) layout;
- :mod:`.importing`: an existing policy file (Markdown, text, .docx, PDF) into a draft.

Imports no Flask; raises only the :class:`server.errors.KelisimError` tree.
"""

__all__: list[str] = []
