"""Insight for the teams: who has the ball, what is stuck, how fast we are.

Public API (for the board, the detail page and the outbox; the CSV export of the
board's selection is the board's, caseapp.board.export):

- clocks.compute_clock(events, now) -> Clock: pure, over [(created_at, kind, data)].
- clocks.load_clocks(ids, now) -> {id: Clock}: one query (ids: list or SELECT of ids).
- rules.load_insight(ids, now) -> {id: Insight}: who has the ball now (kept on the
  registration row by the workflow as ball_since) plus the stale / due / waiting
  rules, one query. The board reads the same columns in its card query
  (rules.assess_row) and writes the line on its cards (templates/board/_card.html).
- digest.build_digest(team, now) -> DigestMessage(recipient, subject, text, html).

Routes (routes.py): /my (insight.my_work), /dashboard (insight.dashboard).
CLI: `flask digest send [--team] [--print]`. Working days: caseapp.dates.
"""
