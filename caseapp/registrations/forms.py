"""Forms of the detail page. Intake data is edited with the intake form itself
(same fields, same validators.py checks); the rest are small forms of their own.

Field names are plain (`policy_number`, `summary`, ...): each form is posted to
its own URL, so they never meet in one request."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import to_utc
from wtforms import DateField, Form, RadioField, SelectChoice, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, Optional, StopValidation, ValidationError

from ..dates import PLAUSIBLE_YEARS, today_local, utcnow
from ..intake.forms import IntakeForm
from ..models import Registration
from ..process import CHANNEL_LABELS, PREREQUISITES


def _strip(value):
    return " ".join(value.split()) if isinstance(value, str) else value


def _strip_lines(value):
    """Trim a multi-line text but keep its line breaks."""
    if not isinstance(value, str):
        return value
    lines = [" ".join(line.split()) for line in value.replace("\r\n", "\n").split("\n")]
    return "\n".join(lines).strip()


def _text(label, required, max_length: int, too_long, *, multiline: bool = False):
    """A trimmed text field of at most `max_length` characters; `required` is the
    message when it is left empty (None: optional). A textarea keeps its line breaks."""
    field_class, trim = (TextAreaField, _strip_lines) if multiline else (StringField, _strip)
    presence = DataRequired(required) if required is not None else Optional()
    return field_class(label, filters=[trim], validators=[presence, Length(max=max_length, message=too_long)])


class _ParsedField:
    """A value that failed to parse says so once; "required" is not added on top."""

    def pre_validate(self, form):
        if self.process_errors:
            raise StopValidation()


def _plausible(moment: datetime) -> datetime:
    """A date this desk can mean (dates.PLAUSIBLE_YEARS)."""
    if moment.year not in PLAUSIBLE_YEARS:
        raise ValueError(moment.year)
    return moment


class DutchDateField(_ParsedField, DateField):
    """A date from <input type="date"> (yyyy-mm-dd), or typed as dd-mm-jjjj."""

    FORMATS = ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y", "%d.%m.%Y")

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, format="%Y-%m-%d", **kwargs)

    def process_formdata(self, valuelist):
        raw = (valuelist[0] if valuelist else "").strip()
        self.data = None
        if not raw:
            return
        for fmt in self.FORMATS:
            try:
                self.data = _plausible(datetime.strptime(raw, fmt)).date()
                return
            except ValueError:
                continue
        raise ValueError(_("Vul een geldige datum in, bijvoorbeeld %(example)s.", example="31-01-2026"))


class DutchDateTimeField(_ParsedField, StringField):
    """A moment from <input type="datetime-local">, in Dutch time; data is naive UTC."""

    FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%d-%m-%Y %H:%M", "%Y-%m-%d %H:%M")

    def process_formdata(self, valuelist):
        raw = (valuelist[0] if valuelist else "").strip()
        self.raw_value = raw
        self.data = None
        if not raw:
            return
        for fmt in self.FORMATS:
            try:
                self.data = to_utc(_plausible(datetime.strptime(raw, fmt)))
                return
            except ValueError:
                continue
        raise ValueError(_("Vul een geldige datum en tijd in, bijvoorbeeld %(example)s.", example="31-01-2026 14:30"))

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return getattr(self, "local_value", "") or ""


class PolicyForm(Form):
    policy_number = _text(
        _l("Polisnummer"), _l("Vul het polisnummer in."), 40, _l("Een polisnummer is hoogstens 40 tekens lang.")
    )
    scheme = _text(
        _l("Regeling / product"), _l("Vul de regeling of het product in."), 120,
        _l("De regeling is hoogstens 120 tekens lang."),
    )
    start_date = DutchDateField(_l("Ingangsdatum"), validators=[DataRequired(_l("Vul de ingangsdatum in."))])
    note = _text(_l("Notitie"), None, 1000, _l("De notitie is hoogstens 1000 tekens lang."), multiline=True)

    def values(self) -> dict:
        return {**self.data, "note": self.note.data or None}


class ContactForm(Form):
    occurred_at = DutchDateTimeField(
        _l("Wanneer"), validators=[DataRequired(_l("Vul in wanneer het contact was."))]
    )
    channel = RadioField(
        _l("Hoe"),
        choices=[SelectChoice(key, label) for key, label in CHANNEL_LABELS.items()],
        validate_choice=False,
        validators=[
            InputRequired(_l("Kies hoe het contact was: telefoon, e-mail, Teams/overleg of anders.")),
            AnyOf(list(CHANNEL_LABELS), _l("Kies telefoon, e-mail, Teams/overleg of anders.")),
        ],
    )
    with_whom = _text(_l("Met wie"), _l("Vul in met wie u contact had."), 120, _l("Hoogstens 120 tekens."))
    summary = _text(
        _l("Samenvatting"), _l("Vat kort samen wat er besproken is."), 2000,
        _l("De samenvatting is hoogstens 2000 tekens lang."), multiline=True,
    )
    follow_up_date = DutchDateField(_l("Opvolgen op (optioneel)"), validators=[Optional()])

    def validate_occurred_at(self, field) -> None:
        # A contact that is logged has happened; a few minutes of clock skew are fine.
        if field.data and field.data > utcnow() + timedelta(minutes=10):
            raise ValidationError(_("Het contact ligt in de toekomst. Leg contact vast nadat het heeft plaatsgevonden."))

    def validate_follow_up_date(self, field) -> None:
        if field.data and field.data < today_local():
            raise ValidationError(_("De opvolgdatum ligt in het verleden. Kies vandaag of later."))

    def values(self) -> dict:
        return dict(self.data)

    @classmethod
    def blank(cls) -> "ContactForm":
        from flask_babel import to_user_timezone

        form = cls()
        form.occurred_at.local_value = to_user_timezone(utcnow()).strftime("%Y-%m-%dT%H:%M")
        return form


class FirstExchangeDateForm(Form):
    first_exchange_date = DutchDateField(
        _l("Datum eerste uitwisseling"), validators=[DataRequired(_l("Vul een datum in."))]
    )


class IntakeEditForm(IntakeForm):
    """The intake form without what only the public page has (honeypot, the
    processor's own prerequisite confirmations): the same fields, the same checks."""

    website = None

    @classmethod
    def from_registration(cls, registration: Registration) -> "IntakeEditForm":
        four_weekly_thirteenth = registration.pay_frequency == "four_weekly" and registration.thirteenth_month
        form = cls(
            formdata=None,
            data={
                "processor_name": registration.processor_name,
                "processor_email": registration.processor_email,
                "employer_name": registration.employer_name,
                "contract_number": registration.contract_number,
                "payroll_tax_number": registration.payroll_tax_number,
                "loket_employer_id": registration.loket_employer_id,
                "pay_frequency": registration.pay_frequency,
                "thirteenth_month": "yes" if registration.thirteenth_month else "no",
                # Confirmed by the processor at intake; kept when nothing changes.
                "confirm_four_weekly_thirteenth": four_weekly_thirteenth,
                "directors": [
                    {"name": d.name, "personnel_number": d.personnel_number} for d in registration.directors
                ],
            },
        )
        form.add_blank_director()
        return form

    def validate(self, extra_validators=None) -> bool:
        """The intake checks; refused input is shown again with an empty row to add a DGA."""
        if super().validate(extra_validators):
            return True
        self.add_blank_director()
        return False

    def add_blank_director(self) -> None:
        """One empty row to add a DGA; a row left empty is ignored, as on the intake page."""
        if not self.directors.entries or not self.directors.entries[-1].form.is_blank:
            if len(self.directors.entries) < self.directors.max_entries:
                self.directors.append_entry()

    def typed(self) -> list[tuple[str, str]]:
        """What the user typed, as (label, value) in words they read: choices by their label."""
        typed = []
        for field in self:
            if field.name in ("csrf_token", "confirm_four_weekly_thirteenth"):
                continue
            if field.name == "directors":
                typed.append((_("DGA’s"), ", ".join(f"{n} ({p})" for n, p in self.director_rows())))
            elif field.type == "RadioField":
                labels = {choice.value: str(choice.label) for choice in field.choices}
                typed.append((str(field.label.text), labels.get(field.data, str(field.data or ""))))
            else:
                typed.append((str(field.label.text), str(field.data or "")))
        return typed


for _prerequisite in PREREQUISITES:
    setattr(IntakeEditForm, f"prereq_{_prerequisite.key}", None)
