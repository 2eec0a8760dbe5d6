"""CSV export of the registrations that match the board's filters.

Excel-friendly for Dutch users: UTF-8 with a byte order mark (so Excel reads
UTF-8), `;` between fields (Dutch Excel uses the comma as decimal sign),
CRLF line endings, dates as dd-mm-jjjj, day counts with a decimal comma.
Cells that a spreadsheet would read as a formula (starting with =, +, -, @,
a tab or a carriage return) get a leading single quote (CSV injection).
Streamed: two queries (registrations, events), both read in chunks.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Iterable, Iterator, Mapping, Optional

import sqlalchemy as sa
from flask_babel import gettext as _

from ..dates import local_date
from ..extensions import db
from ..insight.clocks import PARTIES, Clock, days, iter_clocks
from ..models import Registration, User
from ..process import STEP_LABELS, TEAM_LABELS
from .filters import BoardFilters, filter_conditions

BOM = "\ufeff"
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
CHUNK = 500


# ---------------------------------------------------------------------------
# Which registrations: the board's own filters (filters.py).
# ---------------------------------------------------------------------------


def apply_filters(select: sa.Select, params: Mapping[str, Any], user: User) -> sa.Select:
    """Narrow a SELECT over Registration exactly as the board is narrowed (q, mine,
    waiting, team, withdrawn): filters.py owns the filter rules."""
    return select.where(*filter_conditions(BoardFilters.from_args(params), user))


# ---------------------------------------------------------------------------
# Cells
# ---------------------------------------------------------------------------


def neutralise(value: str) -> str:
    """Keep a spreadsheet from reading a cell as a formula."""
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


def dutch_date(value: Optional[date | datetime]) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = local_date(value)
    return value.strftime("%d-%m-%Y")


def dutch_days(value: Optional[float]) -> str:
    return "" if value is None else f"{value:.1f}".replace(".", ",")


@dataclass(frozen=True)
class Labels:
    """The translated words of the export, looked up once rather than per cell."""

    yes: str
    no: str
    steps: dict[str, str]
    parties: dict[str, str]

    @classmethod
    def current(cls) -> "Labels":
        return cls(
            yes=_("ja"),
            no=_("nee"),
            steps={key: str(label) for key, label in STEP_LABELS.items()},
            parties={key: str(label) for key, label in TEAM_LABELS.items()},
        )

    def yes_no(self, value: bool) -> str:
        return self.yes if value else self.no


def header() -> list[str]:
    return [
        _("Referentie"),
        _("Werkgever"),
        _("Salarisverwerker"),
        _("Stap"),
        _("Ingediend"),
        _("In stap sinds"),
        _("Eerste uitwisseling"),
        _("Gerealiseerd"),
        _("Live"),
        _("Dagen a.s.r."),
        _("Dagen Keylane"),
        _("Dagen salarisverwerker"),
        _("Aan zet"),
        _("Mogelijk dubbel"),
        _("Wacht op salarisverwerker"),
        _("Contractnummer niet A020"),
        _("Ingetrokken"),
    ]


def row(registration: Any, clock: Optional[Clock], labels: Labels) -> list[str]:
    """One CSV row; `registration` is a Registration or a row with the same attributes."""
    by_party = {party: days(clock.by_party[party]) for party in PARTIES} if clock else {}
    active = clock.active_party if clock else None
    yes_no = labels.yes_no
    return [
        registration.reference,
        registration.employer_name,
        registration.processor_name,
        labels.steps.get(registration.step, registration.step),
        dutch_date(registration.created_at),
        dutch_date(registration.step_entered_at),
        dutch_date(registration.first_exchange_date),
        dutch_date(registration.realised_at),
        dutch_date(registration.live_at),
        dutch_days(by_party.get("asr")),
        dutch_days(by_party.get("keylane")),
        dutch_days(by_party.get("processor")),
        labels.parties[active] if active else "",
        yes_no(registration.possible_duplicate),
        yes_no(registration.waiting_since is not None),
        yes_no(registration.contract_prefix_warning),
        yes_no(registration.withdrawn_at is not None),
    ]


def encode_rows(rows: Iterable[list[str]], with_bom: bool = True) -> Iterator[bytes]:
    """CSV bytes, a chunk at a time: BOM first, `;`, CRLF, formula-like cells neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    if with_bom:
        buffer.write(BOM)
    for count, cells in enumerate(rows, start=1):
        writer.writerow([neutralise(cell) for cell in cells])
        if count % CHUNK == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


EXPORT_COLUMNS = (
    Registration.id,
    Registration.reference,
    Registration.employer_name,
    Registration.processor_name,
    Registration.step,
    Registration.created_at,
    Registration.step_entered_at,
    Registration.first_exchange_date,
    Registration.realised_at,
    Registration.live_at,
    Registration.possible_duplicate,
    Registration.waiting_since,
    Registration.contract_prefix_warning,
    Registration.withdrawn_at,
)


def export_rows(params: Mapping[str, Any], user: User, now: datetime) -> Iterator[list[str]]:
    """The header and one row per matching registration, in id order, streamed."""
    yield header()
    labels = Labels.current()
    registrations = db.session.execute(
        apply_filters(sa.select(*EXPORT_COLUMNS), params, user)
        .order_by(Registration.id)
        .execution_options(yield_per=CHUNK)
    )
    clocks = iter_clocks(apply_filters(sa.select(Registration.id), params, user), now, chunk_size=CHUNK)
    # Both streams are in registration id order: walk them side by side.
    pending: Optional[tuple[int, Clock]] = next(clocks, None)
    for registration in registrations:
        while pending is not None and pending[0] < registration.id:
            pending = next(clocks, None)
        clock = pending[1] if pending is not None and pending[0] == registration.id else None
        yield row(registration, clock, labels)


def export_csv(params: Mapping[str, Any], user: User, now: datetime) -> Iterator[bytes]:
    return encode_rows(export_rows(params, user, now))


def filename(now: datetime) -> str:
    return f"aanmeldingen-{local_date(now).isoformat()}.csv"
