"""The HTTP surface over the domains: Flask blueprints and what only HTTP needs.

- :mod:`.public` (root, manifests, documents, OpenAPI, health) and :mod:`.sync` (installs,
  consent records, history, requests): the blueprints; :mod:`.operator` (the operator's
  backend with an API key), its webhook routes :mod:`.webhooks`, and :mod:`.operator_schemas`;
- :mod:`.body`, :mod:`.schemas`, :mod:`.fast_validator`: reading and checking request bodies;
- :mod:`.openapi`: the OpenAPI document; :mod:`.ratelimit`; :mod:`.tokens`: install tokens;
- :mod:`.errors`: the one table from the :class:`server.errors.KelisimError` tree to HTTP,
  and the JSON error shape.
"""

__all__: list[str] = []
