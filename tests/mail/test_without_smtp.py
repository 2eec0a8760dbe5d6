"""The default set-up has no SMTP server: e-mail stays in the outbox, nothing is lost."""

from __future__ import annotations

import pytest

from tests.mail.support import outbox


@pytest.fixture()
def app_config() -> dict:
    return {}  # no MAIL_SERVER, as out of the box


@pytest.mark.parametrize("args", [[], ["--loop"]])
def test_outbox_send_without_smtp_says_so_and_leaves_every_message_queued(make_registration, runner, args):
    make_registration()
    result = runner.invoke(args=["outbox", "send", *args])

    assert result.exit_code == 0, result.output
    assert "No SMTP server configured" in result.output
    assert "2 queued message(s) stay in the outbox" in result.output
    assert "/admin/outbox" in result.output
    assert [(m.status, m.attempts, m.last_error) for m in outbox()] == [("queued", 0, None)] * 2
