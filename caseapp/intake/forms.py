"""The public intake form. Field names are part of the public contract (DESIGN.md)."""

from __future__ import annotations

import re
from typing import Any, Callable

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from werkzeug.datastructures import FileStorage, MultiDict
from wtforms import (
    BooleanField,
    Field,
    FieldList,
    Form,
    FormField,
    HiddenField,
    RadioField,
    SelectChoice,
    StringField,
    TextAreaField,
)
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, ValidationError

from .. import validators
from ..process import PREREQUISITES, Answer, PayFrequency

PAY_FREQUENCIES = [SelectChoice(value, label) for value, label in PayFrequency.labels().items()]
YES_NO = [SelectChoice("yes", _l("Ja")), SelectChoice("no", _l("Nee"))]
MAX_DIRECTORS = 20


def domain(check: Callable[[str], str]):
    """Run a validators.py check on a field and keep its normalised value."""

    def _validate(form, field: Field) -> None:
        try:
            field.data = check(field.data)
        except validators.InvalidValue as error:
            raise ValidationError(str(error)) from None

    return _validate


def choice(label: Any, choices: list[SelectChoice], missing: Any, unknown: Any) -> RadioField:
    """A required choice: `missing` when none is made, `unknown` for a value not offered."""
    return RadioField(
        label,
        choices=choices,
        validate_choice=False,
        validators=[InputRequired(missing), AnyOf([c.value for c in choices], unknown)],
    )


class DirectorForm(Form):
    """One DGA row. An entirely empty row is ignored rather than refused."""

    name = StringField(_l("Naam"))
    personnel_number = StringField(_l("Personeelsnummer"))

    @property
    def is_blank(self) -> bool:
        return not (self.name.data or "").strip() and not (self.personnel_number.data or "").strip()

    def validate(self, extra_validators=None) -> bool:
        if self.is_blank:
            return True
        ok = True
        for field, check in ((self.name, validators.person_name), (self.personnel_number, validators.personnel_number)):
            try:
                field.data = check(field.data)
            except validators.InvalidValue as error:
                field.errors = [str(error)]
                ok = False
        return ok


class IntakeForm(FlaskForm):
    # A field people never see; bots fill it in.
    website = StringField(_l("Laat dit veld leeg"))

    processor_name = StringField(
        _l("Bedrijfsnaam salarisverwerker"),
        validators=[domain(lambda v: validators.company_name(v, str(_l("bedrijfsnaam van de salarisverwerker"))))],
    )
    processor_email = StringField(_l("E-mailadres salarisverwerker"), validators=[domain(validators.email_address)])
    employer_name = StringField(
        _l("Bedrijfsnaam te koppelen werkgever"),
        validators=[domain(lambda v: validators.company_name(v, str(_l("bedrijfsnaam van de werkgever"))))],
    )
    contract_number = StringField(_l("Raamwerkcontractnummer"), validators=[domain(validators.contract_number)])
    payroll_tax_number = StringField(_l("Loonheffingennummer"), validators=[domain(validators.payroll_tax_number)])
    loket_employer_id = StringField(_l("Werkgever ID (Loket.nl)"), validators=[domain(validators.loket_employer_id)])
    directors = FieldList(FormField(DirectorForm), min_entries=0, max_entries=MAX_DIRECTORS)
    pay_frequency = choice(
        _l("Verloningsfrequentie"),
        PAY_FREQUENCIES,
        _l("Kies hoe vaak de salarissen worden verwerkt: per maand of per vier weken."),
        _l("Kies per maand of per vier weken."),
    )
    thirteenth_month = choice(
        _l("Wordt er een 13e maand uitbetaald?"),
        YES_NO,
        _l("Kies of er een 13e maand wordt uitbetaald."),
        _l("Kies ja of nee."),
    )
    confirm_four_weekly_thirteenth = BooleanField(
        _l("Ik bevestig dat er naast de dertien vierwekelijkse perioden echt een 13e maand wordt uitbetaald.")
    )

    def validate_website(self, field: Field) -> None:
        if field.data:
            raise ValidationError(_l("Het formulier kon niet worden verwerkt. Laat het veld ‘Laat dit veld leeg’ leeg."))

    def validate_directors(self, field: FieldList) -> None:
        seen: dict[int, str] = {}
        for entry in field.entries:
            row = entry.form
            if row.is_blank or row.personnel_number.errors or not row.personnel_number.data:
                continue
            key = int(row.personnel_number.data)
            if key in seen:
                row.personnel_number.errors = list(row.personnel_number.errors) + [
                    str(_l("Dit personeelsnummer staat al bij een andere DGA. Elk personeelsnummer komt één keer voor."))
                ]
                raise ValidationError("duplicate personnel number")
            seen[key] = row.name.data

    def validate_confirm_four_weekly_thirteenth(self, field: Field) -> None:
        if self.pay_frequency.data == "four_weekly" and self.thirteenth_month.data == "yes" and not field.data:
            raise ValidationError(
                _l(
                    "U kiest vierwekelijks én een 13e maand. Bevestig dat er echt een 13e maand wordt "
                    "uitbetaald: dertien perioden van vier weken zijn geen 13e maand."
                )
            )

    # Filled in below: one BooleanField prereq_<key> per prerequisite of step 1.

    @property
    def contract_prefix_warning(self) -> bool:
        number = self.contract_number.data or ""
        if self.contract_number.errors or not number:
            return False
        return validators.contract_prefix_warning(number, current_app.config["CONTRACT_PREFIX"])

    def prerequisite_fields(self, group: str) -> list[tuple[Field, object]]:
        return [(self[f"prereq_{p.key}"], p) for p in PREREQUISITES if p.group == group]

    def director_rows(self) -> list[tuple[str, str]]:
        return [
            (entry.form.name.data, entry.form.personnel_number.data)
            for entry in self.directors.entries
            if not entry.form.is_blank
        ]

    def values(self) -> dict:
        """The normalised intake, as intake.service.IntakeData takes it."""
        return {
            "processor_name": self.processor_name.data,
            "processor_email": self.processor_email.data,
            "employer_name": self.employer_name.data,
            "contract_number": self.contract_number.data,
            "payroll_tax_number": self.payroll_tax_number.data,
            "loket_employer_id": self.loket_employer_id.data,
            "pay_frequency": self.pay_frequency.data,
            "thirteenth_month": self.thirteenth_month.data == "yes",
            "directors": self.director_rows(),
            "contract_prefix_warning": self.contract_prefix_warning,
        }

    def error_summary(self) -> list[tuple[str, str]]:
        """(field id, message) pairs in the order the fields appear on the page."""
        items: list[tuple[str, str]] = []
        for field in self:
            if field.name == "directors":
                for entry in field.entries:
                    for sub in entry.form:
                        items.extend((sub.id, message) for message in sub.errors)
                continue
            if isinstance(field.errors, dict):
                continue
            items.extend(_linked_errors(field, ignore="duplicate personnel number"))
        return items


def _linked_errors(field: Field, ignore: str | None = None) -> list[tuple[str, str]]:
    """A field's errors as (id to link to, message): a radio group links to its first choice."""
    target = f"{field.id}-0" if isinstance(field, RadioField) else field.id
    return [(target, message) for message in field.errors if message != ignore]


for _prerequisite in PREREQUISITES:
    setattr(
        IntakeForm,
        f"prereq_{_prerequisite.key}",
        BooleanField(
            _prerequisite.label,
            validators=[DataRequired(_l("Bevestig: %(label)s.", label=_prerequisite.label))],
        ),
    )


_DIRECTOR_FIELD = re.compile(r"^directors-(\d+)-(name|personnel_number)$")


def renumber_directors(formdata: MultiDict, drop: int | None = None, add: bool = False) -> MultiDict:
    """Copy of the posted form with the DGA rows numbered 0..n-1, one dropped or one added."""
    rows: dict[int, dict[str, str]] = {}
    rest = MultiDict()
    for key, value in formdata.items(multi=True):
        match = _DIRECTOR_FIELD.match(key)
        if match:
            rows.setdefault(int(match.group(1)), {})[match.group(2)] = value
        else:
            rest.add(key, value)
    kept = [row for index, row in sorted(rows.items()) if index != drop]
    if add and len(kept) < MAX_DIRECTORS:
        kept.append({"name": "", "personnel_number": ""})
    for index, row in enumerate(kept):
        rest.add(f"directors-{index}-name", row.get("name", ""))
        rest.add(f"directors-{index}-personnel_number", row.get("personnel_number", ""))
    return rest


ANSWERS = [SelectChoice(value, label) for value, label in Answer.labels().items()]


class AnswerForm(FlaskForm):
    """The processor's answer to the team's open request, on the status page
    (multipart: with an optional attachment). Field names are the public contract."""

    request_id = HiddenField()  # the request the page showed: an answer to an older one is refused
    answer = choice(
        _l("Is het geregeld?"), ANSWERS, _l("Kies ‘Geregeld’ of ‘Ik heb een vraag’."),
        _l("Kies ‘Geregeld’ of ‘Ik heb een vraag’."),
    )
    comment = TextAreaField(
        _l("Toelichting of vraag"), filters=[validators.lines],
        validators=[Length(max=2000, message=_l("Uw toelichting is hoogstens 2000 tekens lang."))],
    )
    attachment = FileField(_l("Schermafbeelding of PDF (optioneel)"))

    upload: validators.Upload | None = None

    def validate_comment(self, field: Field) -> None:
        if self.answer.data == Answer.QUESTION and not field.data:
            raise ValidationError(_l("Schrijf uw vraag op, dan kunnen wij die beantwoorden."))

    def validate_attachment(self, field: Field) -> None:
        """Checked by what the file is (validators.attachment), never by its name."""
        self.upload = None
        if not isinstance(field.data, FileStorage) or not field.data.filename:
            return  # no file chosen
        try:
            self.upload = validators.attachment(field.data.stream, field.data.filename)
        except validators.InvalidValue as error:
            raise ValidationError(str(error)) from None

    @property
    def file_chosen(self) -> bool:
        """A file came with the form (a browser cannot show it again after a refusal)."""
        return isinstance(self.attachment.data, FileStorage) and bool(self.attachment.data.filename)

    def error_summary(self) -> list[tuple[str, str]]:
        return [item for field in self for item in _linked_errors(field)]

    def values(self) -> dict[str, Any]:
        """As workflow.answer_request takes them."""
        raw = (self.request_id.data or "").strip()
        return {
            "answer": self.answer.data,
            "comment": self.comment.data or None,
            "upload": self.upload,
            "request_id": int(raw) if raw.isdigit() else None,
        }


class WithdrawForm(FlaskForm):
    """The processor withdraws the registration on the status page: a reason, then
    a confirmation (`confirm=yes`, sent by the confirmation page's form only)."""

    reason = TextAreaField(
        _l("Waarom trekt u de aanmelding in?"), filters=[validators.lines],
        validators=[DataRequired(_l("Geef een reden voor het intrekken.")),
                    Length(max=500, message=_l("De reden is hoogstens 500 tekens lang."))],
    )

    def error_summary(self) -> list[tuple[str, str]]:
        return [item for field in self for item in _linked_errors(field)]
