"""Webhooks (issue 21 part 3; docs/webhooks.md): the operator's endpoints, the
transactional outbox of events, signed deliveries by ``kelisim worker``.

- :mod:`.events`: which event each consent-log record and request change makes (one table),
  and their payloads; written in the transaction that causes them.
- :mod:`.signing`: ``Kelisim-Webhook-Signature`` (HMAC-SHA256 over ``<timestamp>.<body>``).
- :mod:`.secrets`: endpoint secrets, encrypted at rest with the deployment's webhook key.
- :mod:`.endpoints`: endpoints registered, listed, paused, resumed, deleted; deliveries
  listed and replayed (console, operator API), audited.
- :mod:`.delivery`: fan-out of events into deliveries, leases, backoff, pausing.
- :mod:`.sender`: the HTTP POST itself (timeouts, size cap, no redirects, http(s) only).
- :mod:`.worker`: the loop of ``kelisim worker``.

No Flask here (tests/test_structure.py).
"""

__all__: list[str] = []
