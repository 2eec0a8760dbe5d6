"""The weekly digest reaches each team's mailbox through the outbox."""


from tests.insight.test_digest import week  # noqa: F401 (fixture)


def test_the_digest_reaches_each_team_mailbox_through_a_real_smtp_server(app, runner, smtp_server, send, week):  # noqa: F811
    result = runner.invoke(args=["digest", "send"])
    assert result.exit_code == 0, result.output
    smtp_server.received.clear()
    send()
    asr = [m for m in smtp_server.to(app.config["ASR_INTAKE_MAILBOX"]) if m.subject.startswith("Weekoverzicht")]
    keylane = [m for m in smtp_server.to(app.config["KEYLANE_MAILBOX"]) if m.subject.startswith("Weekoverzicht")]
    assert len(asr) == 1 and len(keylane) == 1
    assert asr[0].subject.startswith("Weekoverzicht a.s.r.:")
    assert keylane[0].subject.startswith("Weekoverzicht Keylane:")
    assert "Blijven liggen" in asr[0].text and "<h2>" in asr[0].html
