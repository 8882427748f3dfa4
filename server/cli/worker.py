"""``kelisim worker``: the webhook delivery worker (server/webhooks/worker.py), its own
process beside ``kelisim serve`` (``make run`` starts both; docs/operations.md)."""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType

import click
from flask.cli import with_appcontext

from server.cli.common import require_migrated
from server.webhooks.worker import Worker

__all__ = ["worker"]


@click.command("worker")
@click.option("--once", is_flag=True,
              help="Deliver what is due now, submit to the witnesses once, then exit.")
@with_appcontext
def worker(once: bool) -> None:
    """Deliver webhook events and submit the logs' checkpoints to the witnesses until
    SIGTERM or SIGINT (then finish the attempts under way and exit). Several may run at
    once, on one machine or several."""
    k = require_migrated()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    stop = threading.Event()

    def _stop(signum: int, _frame: FrameType | None) -> None:
        logging.getLogger("kelisim.worker").info("signal %d: stopping", signum)
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    w = Worker(k.db, k.settings)
    click.echo(f"kelisim worker {w.owner}: delivering webhooks", err=True)
    w.run(stop, once=once)
    click.echo(f"kelisim worker {w.owner}: stopped ({w.sent} delivered, {w.failed} failed "
               f"attempts; {w.submitter.cosigned} cosignatures, {w.submitter.failed} failed "
               f"submissions)", err=True)
