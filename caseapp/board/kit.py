"""What the card template repeats for every card, prepared once per page.

A board shows up to 250 cards. Per card, the template used to translate about
ten fixed phrases (flask-babel's gettext costs ~10 µs a call), call a macro for
every icon and for the ball-in-court line, build two or three URLs with url_for
and ask for the CSRF token: most of the time the board took. `card_kit(filters)`
does all of that once per request and filter set, and words that depend on a
number (days, working days, a date) once per number; the card template
(board/_card.html) only looks things up: `kit.to_step[...]`,
`kit.detail_url(card.id)`, `kit.icon(...)`, `kit.held_for(...)`.

And most cards look the same from one view to the next: `kit.cards(...)` keeps
each card's HTML per process (CardCache) under everything it depends on, so a
board view renders only the cards that changed.
"""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from datetime import date
from functools import lru_cache
from typing import Callable, Iterable, Optional

from flask import current_app, g, request, url_for
from flask_babel import format_date, get_locale, ngettext
from flask_babel import gettext as _
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from .. import process
from .filters import BoardFilters
from .service import Card


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
        # Everything besides a card that its HTML depends on: the language, the
        # filters (in its URLs), where the app is mounted, the contract prefix.
        self.cache_key = (str(get_locale()), filters, request.script_root, current_app.config["CONTRACT_PREFIX"])
        args = filters.to_args()
        labels = {step: str(label) for step, label in process.STEP_LABELS.items()}

        self.icon = icon
        self.detail_url: Callable[[int], str] = UrlPattern("registrations.detail", "registration_id")
        self.back_url: Callable[[int], str] = UrlPattern("board.move_form", "registration_id", direction="back", **args)
        self.next_url: Callable[[int], str] = UrlPattern("board.move_form", "registration_id", direction="next", **args)
        self.move_url = url_for("board.move")
        self.board_query = filters.query_string
        self.csrf_token = generate_csrf()
        self._template = current_app.jinja_env.get_template("board/_card.html")

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
        self.answer_received = _("Antwoord ontvangen")
        self.no_prefix_contract = _("Geen %(prefix)s-contract", prefix=current_app.config["CONTRACT_PREFIX"])
        self.dga = _("DGA")
        self.back = _("Terug")
        self.pending = _("wacht")
        self.to_step = {step: _("Naar %(step)s", step=label) for step, label in labels.items()}
        self.back_to_step = {step: _("naar %(step)s", step=label) for step, label in labels.items()}

        # The ball-in-court line (caseapp.insight.rules.Insight).
        self.has_ball = {
            party: _("%(party)s aan zet", party=label) for party, label in process.TEAM_LABELS.items()
        }
        self.nobody = _("Niemand aan zet")
        self.less_than_a_day = _("minder dan een dag")
        self._words: dict[tuple[str, object], str] = {}

    def _word(self, kind: str, value: object, make: Callable[[], str]) -> str:
        key = (kind, value)
        word = self._words.get(key)
        if word is None:
            word = self._words[key] = make()
        return word

    def days(self, number: int) -> str:
        return self._word("days", number, lambda: ngettext("%(num)d dag", "%(num)d dagen", number))

    def points(self, number: int) -> str:
        return self._word("points", number, lambda: ngettext("nog %(num)d punt", "nog %(num)d punten", number))

    def held_for(self, whole_days: Optional[int]) -> str:
        """How long someone has had the ball, in whole days."""
        if whole_days is None:
            return "–"
        return self.days(whole_days) if whole_days >= 1 else self.less_than_a_day

    def stale(self, working_days: int) -> str:
        return self._word("stale", working_days, lambda: ngettext(
            "Blijft liggen: %(num)d werkdag", "Blijft liggen: %(num)d werkdagen", working_days
        ))

    def due(self, day: date) -> str:
        return self._word("due", day, lambda: _("Opvolgen sinds %(date)s", date=format_date(day, "d MMM")))

    def waiting_long(self, working_days: int) -> str:
        return self._word("waiting", working_days, lambda: ngettext(
            "Wacht %(num)d werkdag op de salarisverwerker", "Wacht %(num)d werkdagen op de salarisverwerker",
            working_days,
        ))

    def escalated(self, working_days: int) -> str:
        return self._word("escalated", working_days, lambda: ngettext(
            "Geëscaleerd: verzoek %(num)d werkdag open", "Geëscaleerd: verzoek %(num)d werkdagen open", working_days,
        ))

    def cards(self, cards: Iterable[Card], enhance: bool, focus: Optional[int] = None) -> Markup:
        """The HTML of these cards, each from the cache when it was rendered before.

        A card's HTML is a function of its Card, this kit's cache_key, `enhance`
        and whether it has the focus; those are the cache key. The CSRF token is
        the one thing that differs per session: cached cards hold a placeholder,
        filled in here.
        """
        # Not while templates reload on change (development): an edited card would not show.
        cache = None if current_app.jinja_env.auto_reload else current_app.extensions.get("board_card_cache")
        parts = []
        for card in cards:
            key = (self.cache_key, card, enhance, card.id == focus)
            html = cache.get(key) if cache is not None else None
            if html is None:
                html = self._template.render(card=card, kit=self._cacheable, enhance=enhance, focused=key[3])
                if cache is not None:
                    cache.put(key, html)
            parts.append(html.replace(_CSRF_VALUE, f'value="{self.csrf_token}"') if card.ready else html)
        return Markup("\n".join(parts))

    @property
    def _cacheable(self) -> "CardKit":
        """This kit with a placeholder for the session's CSRF token."""
        kit = getattr(self, "_cacheable_kit", None)
        if kit is None:
            kit = self._cacheable_kit = copy.copy(self)
            kit.csrf_token = CSRF_PLACEHOLDER
        return kit


# In a cached card's move form instead of the session's CSRF token.
CSRF_PLACEHOLDER = "__board-card-csrf-token__"
# Replaced as the whole attribute: text a user typed on a card is escaped, so it
# can contain the placeholder but never `value="` around it.
_CSRF_VALUE = f'value="{CSRF_PLACEHOLDER}"'


class CardCache:
    """Rendered cards, least recently used first out; shared by the threads of a process.

    The board re-renders the same up to 250 cards on every view while few of them
    change; rendering them is most of what a board view costs. Keys are whole
    Cards (see CardKit.cards), so a card changed in any way it shows is a new
    key and the old entry simply ages out.
    """

    def __init__(self, size: int):
        self.size = size
        self._items: OrderedDict[tuple, str] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> Optional[str]:
        with self._lock:
            html = self._items.get(key)
            if html is not None:
                self._items.move_to_end(key)
            return html

    def put(self, key: tuple, html: str) -> None:
        with self._lock:
            self._items[key] = html
            while len(self._items) > self.size:
                self._items.popitem(last=False)


def init_app(app) -> None:
    """Give the app (in this process) a card cache of BOARD_CARD_CACHE_SIZE cards; 0: none."""
    size = int(app.config.get("BOARD_CARD_CACHE_SIZE", 0))
    if size > 0:
        app.extensions["board_card_cache"] = CardCache(size)


def card_kit(filters: BoardFilters) -> CardKit:
    """The kit for this request and these filters (made on first use, then reused)."""
    kits = g.setdefault("board_card_kits", {})
    kit = kits.get(filters)
    if kit is None:
        kit = kits[filters] = CardKit(filters)
    return kit
