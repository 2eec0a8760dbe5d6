"""flask --app wsgi outbox send [--loop]"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Optional

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from ..extensions import db
from ..models import OutboxMessage
from .sender import run_loop, send_due, smtp_configured

outbox_cli = AppGroup("outbox", help="The e-mail outbox.")


@outbox_cli.command("send")
@click.option("--loop", is_flag=True, help="Keep running, sending what is due every --interval seconds, until SIGTERM.")
@click.option("--interval", type=click.FloatRange(min=0.1), default=None,
              help="Seconds between runs with --loop (default OUTBOX_INTERVAL_SECONDS).")
@click.option("--batch-size", type=click.IntRange(min=1), default=None,
              help="Messages claimed at a time (default OUTBOX_BATCH_SIZE).")
def send_command(loop: bool, interval: Optional[float], batch_size: Optional[int]) -> None:
    """Deliver queued e-mail that is due (through MAIL_SERVER)."""
    if not smtp_configured():
        waiting = db.session.scalar(
            sa.select(sa.func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "queued")
        )
        click.echo(
            f"No SMTP server configured (MAIL_SERVER is not set): {waiting} queued message(s) stay in "
            "the outbox. An administrator can read them at /admin/outbox."
        )
        return
    stop = threading.Event()
    with _stop_on_signals(stop):
        if loop:
            interval = interval or current_app.config["OUTBOX_INTERVAL_SECONDS"]
            click.echo(f"Outbox sender running every {interval:g} s; stop with SIGTERM.")
            run_loop(interval, batch_size, stop)
            click.echo("Outbox sender stopped.")
        else:
            click.echo(f"Outbox: {send_due(batch_size, stop)}.")


@contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """SIGTERM/SIGINT finish the message in hand, hand back the rest, and stop."""
    signals = (signal.SIGTERM, signal.SIGINT)
    previous = {number: signal.signal(number, lambda *_args: stop.set()) for number in signals}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
