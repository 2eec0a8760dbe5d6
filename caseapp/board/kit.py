"""What the card template repeats for every card, prepared once per page.

A board shows up to 250 cards. Per card, the template used to translate about
ten fixed phrases (flask-babel's gettext costs ~10 µs a call), call a macro for
every icon, build two or three URLs with url_for and ask for the CSRF token:
about three quarters of the time the board took. `card_kit(filters)` does all
of that once per request and filter set; the card template (board/_card.html)
only looks things up: `kit.to_step[...]`, `kit.detail_url(card.id)`, `kit.icon(...)`.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Callable

from flask import current_app, g, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from .. import workflow
from .service import BoardFilters


@lru_cache(maxsize=64)
def icon(name: str) -> Markup:
    """A line icon from the page's sprite: what the icon() macro of board/_icons.html
    writes (a test keeps the two the same), without a macro call per icon."""
    return Markup('<svg class="icon" aria-hidden="true" focusable="false"><use href="#icon-%s"></use></svg>') % escape(name)


class UrlPattern:
    """url_for(endpoint, **values) with one integer argument left open.

    Built once with a placeholder number; filling in a card's id is then string
    concatenation. Werkzeug writes an int argument as its decimal digits, so the
    result is exactly what url_for would return for that id.
    """

    _PLACEHOLDER = "7777777777777777777"

    def __init__(self, endpoint: str, key: str, **values):
        url = url_for(endpoint, **{key: int(self._PLACEHOLDER)}, **values)
        # The first occurrence is in the path, before any query string a user wrote.
        self._head, found, self._tail = url.partition(self._PLACEHOLDER)
        if not found:
            raise ValueError(f"{endpoint}: {key} does not appear in the URL")

    def __call__(self, value: int) -> str:
        return f"{self._head}{int(value)}{self._tail}"


class CardKit:
    """Texts, URLs and the CSRF token for the cards of one page with these filters."""

    def __init__(self, filters: BoardFilters):
        args = filters.to_args()
        labels = {step: str(label) for step, label in workflow.STEP_LABELS.items()}

        self.icon = icon
        self.step_label = labels
        self.detail_url: Callable[[int], str] = UrlPattern("registrations.detail", "registration_id")
        self.back_url: Callable[[int], str] = UrlPattern("board.move_form", "registration_id", direction="back", **args)
        self.next_url: Callable[[int], str] = UrlPattern("board.move_form", "registration_id", direction="next", **args)
        self.move_url = url_for("board.move")
        self.board_query = filters.query_string
        self.csrf_token = generate_csrf()

        self.today = _("vandaag")
        self.in_step = _("in deze stap")
        self.processor = _("Salarisverwerker")
        self.contract = _("Raamwerkcontractnummer")
        self.assignee = _("Behandelaar")
        self.unassigned = _("Niet toegewezen")
        self.signals = _("Signalen")
        self.withdrawn = _("Ingetrokken")
        self.duplicate = _("Mogelijk dubbel")
        self.waiting = _("Wacht op salarisverwerker")
        self.no_prefix_contract = _("Geen %(prefix)s-contract", prefix=current_app.config["CONTRACT_PREFIX"])
        self.dga = _("DGA")
        self.back = _("Terug")
        self.pending = _("wacht")
        self.to_step = {step: _("Naar %(step)s", step=label) for step, label in labels.items()}
        self.back_to_step = {step: _("naar %(step)s", step=label) for step, label in labels.items()}
        self._days: dict[int, str] = {}
        self._points: dict[int, str] = {}

    def days(self, number: int) -> str:
        if number not in self._days:
            self._days[number] = ngettext("%(num)d dag", "%(num)d dagen", number)
        return self._days[number]

    def points(self, number: int) -> str:
        if number not in self._points:
            self._points[number] = ngettext("nog %(num)d punt", "nog %(num)d punten", number)
        return self._points[number]


def card_kit(filters: BoardFilters) -> CardKit:
    """The kit for this request and these filters (made on first use, then reused)."""
    kits = g.setdefault("board_card_kits", {})
    kit = kits.get(filters)
    if kit is None:
        kit = kits[filters] = CardKit(filters)
    return kit
