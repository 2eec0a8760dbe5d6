"""Outbox: e-mail is queued in the transaction of the change that causes it and
sent afterwards. Placeholder queue functions until the outbox lands."""


def queue_setup_started(registration):
    pass


def queue_realised(registration):
    pass


def queue_first_exchange_date_changed(registration, old_date):
    pass


def queue_withdrawn(registration, reason):
    pass


def queue_waiting_on_processor(registration, reason):
    pass
