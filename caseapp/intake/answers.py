"""Check your answers: the validated intake between `POST /aanmelden` and the check
page's `POST /aanmelden/controleren`.

The answers wait in the signed session cookie, not in the database: nothing is
stored before the last POST. They are kept normalised and in the shape of the
posted form, so the last POST re-validates them with the same IntakeForm (a
stale or altered session cannot store bad data) and "wijzigen" shows the form
filled in with them.

With them waits the id of this version of the answers. The status-link token
the registration will get is derived from it with the app's secret key
(status_token), so the token itself is never in the cookie, and its hash is a
unique column, which makes storing happen at most once per check page: a second
POST with the same answers (a double click, an old copy of the cookie) finds the
registration instead of making another (intake.service.create_registration_once).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from flask import current_app, session
from werkzeug.datastructures import MultiDict

from ..process import PREREQUISITES
from .forms import IntakeForm
from .service import INTAKE_FIELDS

SESSION_KEY = "intake_answers"
# The answers that are one value each (the form's fields of the same names as the
# registration's intake columns), and the checkboxes (kept as the names ticked).
VALUES = INTAKE_FIELDS
CHECKBOXES = ("confirm_four_weekly_thirteenth", *(f"prereq_{p.key}" for p in PREREQUISITES))
_ID = re.compile(r"^[A-Za-z0-9_-]{12,32}$")


def status_token(answers_id: str) -> str:
    """The status-link token of the registration these answers become: 256 bits,
    known only to the server (HMAC of the answers' id under the secret key)."""
    digest = hmac.new(current_app.secret_key.encode(), b"status-link:" + answers_id.encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode()


@dataclass(frozen=True)
class Pending:
    """Answers waiting on the check page: `id` names this version of them (the check
    page's form carries it), `token` is the status-link token they will be stored with."""

    id: str
    formdata: MultiDict

    @property
    def token(self) -> str:
        return status_token(self.id)

    def form(self) -> IntakeForm:
        """An IntakeForm filled in with the answers; validate() checks them again. The
        check page's own POST carries the CSRF token, so the form does not look for one."""
        return IntakeForm(formdata=self.formdata, meta={"csrf": False})


def keep(form: IntakeForm) -> None:
    """Put the answers of a validated form in the session, replacing earlier ones."""
    session[SESSION_KEY] = {
        "id": secrets.token_urlsafe(18),
        "values": {name: form[name].data for name in VALUES},
        "ticked": [name for name in CHECKBOXES if form[name].data],
        "directors": [list(row) for row in form.director_rows()],
    }


def pending() -> Pending | None:
    """The answers waiting in the session, or None. Whatever in them is not of the
    shape keep() writes is left out, so that validation refuses it."""
    raw = session.get(SESSION_KEY)
    if not isinstance(raw, dict):
        return None
    answers_id = raw.get("id")
    if not (isinstance(answers_id, str) and _ID.match(answers_id)):
        return None
    return Pending(answers_id, _formdata(raw))


def forget() -> None:
    session.pop(SESSION_KEY, None)


def _formdata(raw: dict) -> MultiDict:
    data = MultiDict()
    values = raw.get("values")
    if isinstance(values, dict):
        for name in VALUES:
            if isinstance(values.get(name), str):
                data[name] = values[name]
    ticked = raw.get("ticked")
    if isinstance(ticked, list):
        for name in CHECKBOXES:
            if name in ticked:
                data[name] = "y"
    directors = raw.get("directors")
    rows = [row for row in directors if _is_row(row)] if isinstance(directors, list) else []
    for index, (name, number) in enumerate(rows):
        data[f"directors-{index}-name"] = name
        data[f"directors-{index}-personnel_number"] = number
    return data


def _is_row(row: object) -> bool:
    return isinstance(row, list) and len(row) == 2 and all(isinstance(part, str) for part in row)
