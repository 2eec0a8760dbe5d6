"""The staff menu: areas register their entry here, shown by role."""

from __future__ import annotations

from flask import Flask, current_app
from flask_babel import lazy_gettext as _l
from flask_login import current_user

ROLE_LABELS = {"asr": _l("a.s.r."), "keylane": _l("Keylane"), "admin": _l("beheerder")}

# (endpoint, label, roles that see it; empty = every staff role), in menu order.
MENU = [
    ("board.index", _l("Overzicht"), ()),
    ("insight.my_work", _l("Mijn werk"), ()),
    ("insight.dashboard", _l("Dashboard"), ()),
    ("admin.outbox_index", _l("Uitgaande e-mail"), ("admin",)),
]


def nav_items() -> list[tuple[str, object]]:
    endpoints = current_app.view_functions
    role = getattr(current_user, "role", None)
    return [
        (endpoint, label)
        for endpoint, label, roles in MENU
        if endpoint in endpoints and (not roles or role in roles)
    ]


def init_app(app: Flask) -> None:
    @app.context_processor
    def navigation():
        return {"nav_items": nav_items, "role_labels": ROLE_LABELS}
