"""The audit trail in readable Dutch: one entry per event, with who, what and,
for edits, the fields before and after."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Collection

from flask import url_for
from flask_babel import format_date, format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..models import Event
from ..process import (
    ANSWER_LABELS,
    CHANNEL_LABELS,
    PAY_FREQUENCY_LABELS,
    PREREQUISITE_LABELS,
    STEP_LABELS,
    request_item,
)

ACTOR_LABELS = {"processor": _l("salarisverwerker"), "system": _l("systeem")}

FIELD_LABELS = {
    "processor_name": _l("Bedrijfsnaam salarisverwerker"),
    "processor_email": _l("E-mailadres salarisverwerker"),
    "employer_name": _l("Bedrijfsnaam werkgever"),
    "contract_number": _l("Raamwerkcontractnummer"),
    "payroll_tax_number": _l("Loonheffingennummer"),
    "loket_employer_id": _l("Werkgever ID"),
    "pay_frequency": _l("Verloningsfrequentie"),
    "thirteenth_month": _l("13e maand"),
    "directors": _l("DGA’s"),
    "contract_prefix_warning": _l("Contractnummer wijkt af"),
    "possible_duplicate": _l("Mogelijk dubbel"),
    "policy_number": _l("Polisnummer"),
    "scheme": _l("Regeling / product"),
    "start_date": _l("Ingangsdatum"),
    "note": _l("Notitie"),
}
DATE_FIELDS = {"start_date"}


@dataclass
class Change:
    label: str
    before: str
    after: str


@dataclass
class Entry:
    event: Event
    who: str
    by_staff: bool
    title: str
    changes: list[Change] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    link: tuple[str, str] | None = None  # (url, text): the attachment of an answer


def actor_name(event: Event) -> str:
    if event.actor is not None:
        return event.actor.name
    return str(ACTOR_LABELS.get(event.actor_label or "system", ACTOR_LABELS["system"]))


def _date(value: Any) -> str:
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value[:10])
        except ValueError:
            return value
    return format_date(value, "d MMMM y") if isinstance(value, date) else str(value)


def _value(name: str, value: Any) -> str:
    if value is None or value == "" or value == []:
        return _("(leeg)")
    if isinstance(value, bool):
        return _("ja") if value else _("nee")
    if name == "pay_frequency":
        # Mid-sentence: "per maand".
        return str(PAY_FREQUENCY_LABELS[value]).lower() if value in PAY_FREQUENCY_LABELS else str(value)
    if name in DATE_FIELDS:
        return _date(value)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _changes(changes: dict[str, Any] | None) -> list[Change]:
    """Before/after per field. The trail is never rewritten, so an entry in another
    shape (a [before, after] pair, or a value a purge replaced) is shown, not refused."""
    rows = []
    for name, change in (changes or {}).items() if isinstance(changes, dict) else ():
        if isinstance(change, dict):
            before, after = change.get("before"), change.get("after")
        elif isinstance(change, (list, tuple)) and len(change) == 2:
            before, after = change
        else:
            before, after = None, change
        rows.append(Change(str(FIELD_LABELS.get(name, name)), _value(name, before), _value(name, after)))
    return rows


def _step(step: str | None) -> str:
    return str(STEP_LABELS.get(step, step or "?"))


def describe(event: Event, attachments: Collection[int] = ()) -> Entry:
    """`attachments`: the ids of the attachments that still exist (to link to)."""
    data = event.data or {}
    kind = event.kind
    entry = Entry(event=event, who=actor_name(event), by_staff=event.actor is not None, title=kind)

    if kind == "submitted":
        entry.title = _("Aanmelding ontvangen via het aanmeldformulier")
        if data.get("possible_duplicate_of"):
            entry.notes.append(
                _("Mogelijk dubbel met %(references)s.", references=", ".join(data["possible_duplicate_of"]))
            )
        if data.get("contract_prefix_warning"):
            entry.notes.append(_("Het raamwerkcontractnummer heeft niet het gebruikelijke begin."))
    elif kind == "step_changed":
        if data.get("direction") == "back":
            entry.title = _("Stap terug: van ‘%(from)s’ naar ‘%(to)s’", **{"from": _step(data.get("from")), "to": _step(data.get("to"))})
        else:
            entry.title = _("Naar ‘%(to)s’ (was ‘%(from)s’)", **{"from": _step(data.get("from")), "to": _step(data.get("to"))})
        if data.get("confirmed"):
            entry.notes.append(_("Keylane bevestigde dat de eerste uitwisseling heeft plaatsgevonden."))
    elif kind == "withdrawn":
        entry.title = _("Aanmelding ingetrokken")
    elif kind == "reopened":
        entry.title = _("Aanmelding heropend")
        if data.get("reason"):
            entry.notes.append(_("Was ingetrokken omdat: %(reason)s", reason=data["reason"]))
            data = {k: v for k, v in data.items() if k != "reason"}
    elif kind == "waiting_set":
        if data.get("reopened_from"):
            entry.title = _("Verzoek opnieuw uitgezet: wacht weer op de salarisverwerker")
        else:
            entry.title = _("Wacht op de salarisverwerker")
        if data.get("items"):
            asked = ", ".join(str(request_item(key).label) for key in data["items"])
            entry.notes.append(_("Gevraagd: %(items)s", items=asked))
    elif kind == "request_answered":
        entry.title = _("Antwoord van de salarisverwerker: %(answer)s",
                        answer=ANSWER_LABELS.get(data.get("answer"), data.get("answer") or "?"))
        if data.get("comment"):
            entry.notes.append(_("Toelichting: %(comment)s", comment=data["comment"]))
        if data.get("attachment_id") in attachments:
            url = url_for("registrations.attachment", registration_id=event.registration_id,
                          attachment_id=data["attachment_id"])
            entry.link = (url, _("Bijlage downloaden: %(name)s", name=data.get("attachment") or ""))
    elif kind == "reminder_sent":
        entry.title = _("Herinnering verstuurd aan de salarisverwerker")
        if data.get("number"):
            entry.notes.append(_("Herinnering %(number)s over het openstaande verzoek.", number=data["number"]))
    elif kind == "waiting_cleared":
        entry.title = _("Wacht niet meer op de salarisverwerker")
        data = {k: v for k, v in data.items() if k != "reason"}
    elif kind == "assigned":
        if data.get("assignee"):
            entry.title = _("Toegewezen aan %(name)s", name=data["assignee"])
        else:
            entry.title = _("Vrijgegeven: niemand toegewezen")
    elif kind == "first_exchange_date_set":
        after = data.get("after") or data.get("date")
        entry.title = _("Datum eerste uitwisseling: %(date)s", date=_date(after))
        if data.get("before"):
            entry.changes.append(Change(_("Datum eerste uitwisseling"), _date(data["before"]), _date(after)))
    elif kind == "intake_edited":
        entry.title = _("Aanmeldgegevens gewijzigd")
        entry.changes = _changes(data.get("changes"))
    elif kind == "intake_checked":
        entry.title = _("Aanmeldgegevens gecontroleerd")
    elif kind == "intake_unchecked":
        entry.title = _("Controle van de aanmeldgegevens ongedaan gemaakt")
    elif kind == "policy_added":
        if data.get("policy_number"):
            entry.title = _("Polis %(number)s toegevoegd", number=data["policy_number"])
            entry.notes.append(
                _("%(scheme)s, ingangsdatum %(date)s", scheme=data.get("scheme") or "-", date=_date(data.get("start_date")))
            )
        else:
            entry.title = _("Polis toegevoegd")
    elif kind == "policy_edited":
        entry.title = _("Polis %(number)s gewijzigd", number=data.get("policy_number") or "")
        entry.changes = _changes(data.get("changes"))
    elif kind == "policy_removed":
        entry.title = _("Polis %(number)s verwijderd", number=data.get("policy_number") or "")
    elif kind in ("check_ticked", "check_unticked"):
        label = PREREQUISITE_LABELS.get(data.get("key"), data.get("key"))
        entry.title = (_("Afgevinkt: %(label)s") if kind == "check_ticked" else _("Vinkje weggehaald: %(label)s")) % {
            "label": label
        }
    elif kind == "contact_logged":
        channel = CHANNEL_LABELS.get(data.get("channel"))
        if channel and data.get("with_whom"):
            entry.title = _("Contact (%(channel)s) met %(who)s", channel=channel, who=data["with_whom"])
        else:
            entry.title = _("Contact vastgelegd")
        if data.get("occurred_at"):
            moment = datetime.fromisoformat(data["occurred_at"])
            if abs((event.created_at - moment).total_seconds()) > 3600:  # logged afterwards: say when it was
                entry.notes.append(_("Contactmoment: %(when)s", when=format_datetime(moment, "d MMMM y HH:mm")))
        if data.get("follow_up_date"):
            entry.notes.append(_("Opvolgen op %(date)s", date=_date(data["follow_up_date"])))
    else:
        entry.title = kind.replace("_", " ")

    if data.get("reason"):
        entry.notes.insert(0, _("Reden: %(reason)s", reason=data["reason"]))
    return entry


def entries(events: list[Event], attachments: Collection[int] = ()) -> list[Entry]:
    """Newest first (the relationship's order)."""
    return [describe(event, attachments) for event in events]
