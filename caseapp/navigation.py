"""The staff menu: areas register their entry here, shown to whoever may take its action."""

from __future__ import annotations

from flask import Flask, current_app
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from .permissions import may

# (endpoint, label, the action (caseapp.permissions) it offers), in menu order.
MENU = [
    ("board.index", _l("Overzicht"), "view"),
    ("insight.my_work", _l("Mijn werk"), "view"),
    ("insight.dashboard", _l("Dashboard"), "view"),
    ("admin.outbox_index", _l("Uitgaande e-mail"), "manage_outbox"),
]


def nav_items() -> list[tuple[str, object]]:
    endpoints = current_app.view_functions
    return [(endpoint, label) for endpoint, label, action in MENU if endpoint in endpoints and may(current_user, action)]


def init_app(app: Flask) -> None:
    @app.context_processor
    def navigation():
        return {"nav_items": nav_items}
