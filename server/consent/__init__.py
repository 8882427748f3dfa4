"""The consent log: what apps send and what the operator reads back.

- :mod:`.installs`: installs and their token generations;
- :mod:`.ingest` with :mod:`.groupcommit` and :mod:`.rawsql`: records appended in groups;
- :mod:`.chain`: the per-app hash chain and its audit; :mod:`.checks`: records against the
  signed versions they name (the SDK's own rules, :mod:`client_sdk.protocol.rules`);
- :mod:`.requests`: data-subject requests, from intake to resolution;
- :mod:`.history`, :mod:`.export`, :mod:`.statistics`: reading the log;
- :mod:`.apikeys` and :mod:`.current`: the operator API's keys, and an install's current
  consent as the operator's backend reads it.

Imports no Flask; raises only the :class:`server.errors.KelisimError` tree.
"""

__all__: list[str] = []
