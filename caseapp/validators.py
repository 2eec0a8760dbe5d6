"""Dutch identifiers and other domain checks. Each function normalises a raw
value and returns it, or raises InvalidValue with a Dutch message for the user.
Forms, the detail page's edit form and the inline checks all call these; the
status page's answer form calls `attachment` for its upload."""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass
from typing import BinaryIO, Iterable

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from stdnum.nl import bsn

from .process import REQUEST_ITEM_KEYS

NAME_MIN, NAME_MAX = 2, 70  # Loket.nl's own limit for company names
_PAYROLL_TAX = re.compile(r"^(\d{9})L(\d{2})$")
_CONTRACT = re.compile(r"^[A-Z0-9]+$")
_HEX_UUID = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$")


class InvalidValue(ValueError):
    """A value a user typed that we cannot accept; str() is the Dutch message."""


def payroll_tax_number(raw: str | None) -> str:
    """Loonheffingennummer: 9 digits passing the 11-test, 'L', a 2-digit subnumber (not 00)."""
    value = re.sub(r"[\s.]", "", raw or "").upper()
    if not value:
        raise InvalidValue(_("Vul het loonheffingennummer in."))
    match = _PAYROLL_TAX.match(value)
    if not match:
        raise InvalidValue(
            _(
                "Een loonheffingennummer bestaat uit 9 cijfers, de letter L en 2 cijfers, "
                "bijvoorbeeld 123456782L01."
            )
        )
    digits, subnumber = match.groups()
    if not bsn.is_valid(digits):
        raise InvalidValue(
            _(
                "Dit loonheffingennummer bestaat niet: de eerste 9 cijfers voldoen niet aan de "
                "elfproef. Controleer het nummer op de loonaangifte."
            )
        )
    if subnumber == "00":
        raise InvalidValue(
            _("Subnummer L00 wordt niet gebruikt. Vul het subnummer van de werkgever in, bijvoorbeeld L01.")
        )
    return value


def loket_employer_id(raw: str | None) -> str:
    """Werkgever ID: the UUID Loket.nl's API uses for an employer, stored lower-case."""
    value = (raw or "").strip()
    if not value:
        raise InvalidValue(_("Vul de Werkgever ID in."))
    if value.isdigit():
        raise InvalidValue(
            _(
                "Dit lijkt het werkgeversnummer (alleen cijfers). Wij hebben de Werkgever ID nodig: "
                "een code van 36 tekens zoals b14acd0d-75d7-4fc8-8b22-4a3924585cab. U vindt die in "
                "Loket.nl onder Werkgever → Bedrijfsgegevens."
            )
        )
    if not _HEX_UUID.match(value):
        raise InvalidValue(
            _(
                "Een Werkgever ID is een code van 36 tekens (cijfers, letters a–f en streepjes), "
                "zoals b14acd0d-75d7-4fc8-8b22-4a3924585cab."
            )
        )
    return str(uuid.UUID(value))


def contract_number(raw: str | None) -> str:
    """Raamwerkcontractnummer: upper-cased, letters and digits only."""
    value = re.sub(r"\s", "", raw or "").upper()
    if not value:
        raise InvalidValue(_("Vul het raamwerkcontractnummer in."))
    if not _CONTRACT.match(value):
        raise InvalidValue(
            _("Een raamwerkcontractnummer bestaat alleen uit letters en cijfers, bijvoorbeeld A0201234.")
        )
    if len(value) > 30:
        raise InvalidValue(_("Een raamwerkcontractnummer is hoogstens 30 tekens lang."))
    return value


def contract_prefix_warning(number: str, prefix: str) -> bool:
    """True when a (valid) contract number does not start with the usual prefix."""
    return bool(prefix) and not number.startswith(prefix.upper())


def company_name(raw: str | None, label: str) -> str:
    value = " ".join((raw or "").split())
    if not value:
        raise InvalidValue(_("Vul de %(label)s in.", label=label))
    if len(value) < NAME_MIN:
        raise InvalidValue(_("De %(label)s is minstens %(n)d tekens lang.", label=label, n=NAME_MIN))
    if len(value) > NAME_MAX:
        raise InvalidValue(
            _("De %(label)s is hoogstens %(n)d tekens lang (de grens van Loket.nl).", label=label, n=NAME_MAX)
        )
    return value


def email_address(raw: str | None) -> str:
    value = (raw or "").strip()
    if not value:
        raise InvalidValue(_("Vul het e-mailadres in."))
    try:
        # No SMTPUTF8: a local part with é or ü cannot be delivered through every relay.
        # Stored in its ASCII form (an international domain as xn--...), as every relay takes it.
        return validate_email(value, check_deliverability=False, allow_smtputf8=False).ascii_email
    except EmailNotValidError:
        if not value.partition("@")[0].isascii():
            raise InvalidValue(
                _("Gebruik een e-mailadres met alleen gewone letters, cijfers en leestekens vóór de @ "
                  "(zonder é, ü en dergelijke): niet elke mailserver kan een ander adres bezorgen.")
            ) from None
        raise InvalidValue(
            _("Vul een geldig e-mailadres in, zoals salaris@bureau.nl.")
        ) from None


def person_name(raw: str | None) -> str:
    value = " ".join((raw or "").split())
    if not value:
        raise InvalidValue(_("Vul de naam van de DGA in."))
    if len(value) > 120:
        raise InvalidValue(_("De naam is hoogstens 120 tekens lang."))
    return value


def personnel_number(raw: str | None) -> str:
    value = re.sub(r"\s", "", raw or "")
    if not value:
        raise InvalidValue(_("Vul het personeelsnummer van de DGA in."))
    if not value.isdigit():
        raise InvalidValue(_("Een personeelsnummer bestaat alleen uit cijfers, zoals in Loket.nl."))
    if len(value) > 12:
        raise InvalidValue(_("Een personeelsnummer is hoogstens 12 cijfers lang."))
    return value



# --- requests to the processor ----------------------------------------------------------------


def lines(raw: str | None) -> str:
    """A text of several lines: each line trimmed, at most one blank line in a row."""
    trimmed = [" ".join(line.split()) for line in (raw or "").replace("\r\n", "\n").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(trimmed)).strip()


def request_message(raw: str | None) -> str:
    """The team's message to the processor (see `lines`), 1 to 2000 characters."""
    message = lines(raw)
    if not message:
        raise InvalidValue(_("Geef aan waarop u wacht, bijvoorbeeld ‘rechten ontbreken’."))
    if len(message) > 2000:
        raise InvalidValue(_("Het bericht is hoogstens 2000 tekens lang."))
    return message


def request_items(raw: Iterable[str]) -> list[str]:
    """The items of a request (process.REQUEST_ITEM_KEYS), at least one, in the list's order."""
    chosen = set(raw)
    unknown = sorted(chosen - set(REQUEST_ITEM_KEYS))
    if unknown:
        raise InvalidValue(_("Onbekend punt ‘%(key)s’. Kies de punten uit de lijst.", key=unknown[0][:40]))
    if not chosen:
        raise InvalidValue(_("Kies minstens één punt waarop u wacht. Gaat het om iets anders, kies dan "
                             "‘Iets anders’ en beschrijf het in het bericht."))
    return [key for key in REQUEST_ITEM_KEYS if key in chosen]


def one_line(text: str, limit: int) -> str:
    """`text` on one line, shortened to at most `limit` characters (with an ellipsis)."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


# --- attachments ----------------------------------------------------------------------------
# What a processor may attach to an answer: a screenshot or a PDF, recognised by its
# first bytes (never by its name), at most ATTACHMENT_MAX_BYTES. Served to staff only,
# as a download, with the content type found here.

ATTACHMENT_MAX_BYTES = 5 * 1024 * 1024
# The first bytes of each accepted kind of file -> (content type, file name extension).
ATTACHMENT_KINDS = {
    b"\x89PNG\r\n\x1a\n": ("image/png", ".png"),
    b"\xff\xd8\xff": ("image/jpeg", ".jpg"),
    b"%PDF-": ("application/pdf", ".pdf"),
}
ATTACHMENT_TYPES = tuple(content_type for content_type, _extension in ATTACHMENT_KINDS.values())


@dataclass(frozen=True)
class Upload:
    filename: str
    content_type: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def attachment(stream: BinaryIO, filename: str | None) -> Upload:
    """An uploaded file checked by content: PNG, JPEG or PDF, not empty, at most
    ATTACHMENT_MAX_BYTES. The name is kept without any folder, with the extension
    of what the file really is."""
    data = stream.read(ATTACHMENT_MAX_BYTES + 1)
    if len(data) > ATTACHMENT_MAX_BYTES:
        raise InvalidValue(_("De bijlage is groter dan 5 MB. Kies een kleiner bestand."))
    if not data:
        raise InvalidValue(_("De bijlage is leeg. Kies het bestand opnieuw."))
    kind = next((kind for magic, kind in ATTACHMENT_KINDS.items() if data.startswith(magic)), None)
    if kind is None:
        raise InvalidValue(
            _("De bijlage is geen PNG-, JPEG- of PDF-bestand. Voeg een schermafbeelding of een PDF toe.")
        )
    content_type, extension = kind
    stem = re.split(r"[\\/]", filename or "")[-1].rsplit(".", 1)[0]
    stem = " ".join("".join(c for c in stem if c.isprintable()).split())[:100] or _("bijlage")
    return Upload(stem + extension, content_type, data)
