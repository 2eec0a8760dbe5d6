"""E-mail through a transactional outbox: queue in the transaction, send afterwards.

- messages.py builds each message the app sends from `templates/email/<name>.txt`
  and `.html` (which message a transition sends is caseapp.notifications');
- queue.py adds it to the caller's session: never a commit, so the message is
  stored with the change that caused it, or not at all;
- sender.py delivers what is due (`flask --app wsgi outbox send`, cli.py).

Several senders may run at once against PostgreSQL without sending a message
twice. A sender

1. claims a batch in a short transaction: it selects due rows with
   `FOR UPDATE SKIP LOCKED` (so senders do not wait on each other), then an
   UPDATE that re-checks the rows are still due stamps its claim token on them
   and moves `next_attempt_at` forward as a lease; commit;
2. per message: renews the lease (only if the token is still its own), sends
   through SMTP, and records the outcome (sent, or the error and when to retry),
   each step guarded by its token.

A message is only sent by the sender holding its unexpired lease, and the lease
is renewed right before each message, so OUTBOX_LEASE_SECONDS only has to
outlast one SMTP conversation (MAIL_TIMEOUT bounds each network step).
On SQLite the same statements are safe, but writers queue behind each other:
run a single sender there.
"""
