"""Who the processor contacts about a registration: the team that owns its step
now, with the name, e-mail address and phone number from the settings.

The one place that answers "the contact for this registration now"; every
e-mail to the processor names it (and replies go to it: Reply-To), and so does
the status page. The name and address go into a mail header, so they are
checked when the app starts (check_settings): a line break in a name could add
a header of its own. And a name may hold no "specials" (`, : ; @ < > ( ) [ ] "
\\`) either: a long Reply-To is folded again on its way out (Flask-Mail hands
it to the `email` package's SMTP policy), which drops the quotes around the
name, and `Team, Bcc: iemand@example.nl` would then read as other addresses.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from email.errors import HeaderParseError
from email.headerregistry import Address
from typing import Any, Optional

from email_validator import EmailNotValidError, validate_email
from flask import current_app

from .models import Registration
from .process import TEAM_LABELS, TEAMS, Team, owner_of

# team -> (name, e-mail, phone, the mailbox the e-mail address defaults to)
SETTINGS: dict[str, tuple[str, str, str, str]] = {
    Team.ASR.value: ("ASR_CONTACT_NAME", "ASR_CONTACT_EMAIL", "ASR_CONTACT_PHONE", "ASR_INTAKE_MAILBOX"),
    Team.KEYLANE.value: ("KEYLANE_CONTACT_NAME", "KEYLANE_CONTACT_EMAIL", "KEYLANE_CONTACT_PHONE", "KEYLANE_MAILBOX"),
}
MAX_NAME_LENGTH = 100
# Letters (any script), digits, spaces and the few marks a team name needs: all of
# them read the same with or without quotes around the name (see above).
NAME = re.compile(r"[\w .'’&/+-]+")
PHONE = re.compile(r"\+?[0-9][0-9 ()./-]{4,29}")

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Contact:
    team: str  # "asr" or "keylane"
    name: str
    email: Optional[str]
    phone: Optional[str]

    @property
    def team_label(self) -> Any:
        return TEAM_LABELS[self.team]

    @property
    def who(self) -> str:
        """The name, with the team's added when the name does not say it (a person's name, say)."""
        team = str(self.team_label)
        return self.name if team.lower() in self.name.lower() else f"{self.name} ({team})"

    @property
    def reply_to(self) -> Optional[str]:
        """The Reply-To of e-mail about this step: `name <address>`; None without an address.

        A name that could not stand in a header unquoted (only a setting changed
        after start-up can be one) is left out: the address alone."""
        if not self.email:
            return None
        try:
            return str(Address(display_name=self.name if _header_safe(self.name) else "", addr_spec=self.email))
        except (ValueError, IndexError, HeaderParseError):
            log.error("%s contact address %r is not one e-mail address: no Reply-To", self.team, self.email)
            return None

    @property
    def phone_uri(self) -> Optional[str]:
        """A `tel:` link for the phone number as written in the settings."""
        return "tel:" + re.sub(r"[^0-9+]", "", self.phone) if self.phone else None


def contact_for(registration: Registration) -> Contact:
    """The contact for `registration` now: the team that owns its step; a.s.r.,
    which runs the desk, once the registration is live or withdrawn."""
    team = None if registration.is_withdrawn else owner_of(registration.step)
    return team_contact(team or Team.ASR.value)


def team_contact(team: str) -> Contact:
    """A team's contact, from the settings (checked at start-up; kept to one line
    here too, so a setting changed at run time cannot break a header either)."""
    name, email, phone = _values(team, current_app.config)
    return Contact(team=team, name=_one_line(name), email=_one_line(email) or None, phone=_one_line(phone) or None)


def check_settings(config: Mapping[str, Any]) -> None:
    """Refuse to start with a contact that would not make a safe header or a usable address."""
    for team in TEAMS:
        name_setting, email_setting, phone_setting, mailbox_setting = SETTINGS[team]
        name, email, phone = _values(team, config)
        if not name.strip() or len(name) > MAX_NAME_LENGTH or not _header_safe(name):
            raise RuntimeError(
                f"{name_setting} must be a name of at most {MAX_NAME_LENGTH} characters on one line: "
                "letters, digits, spaces and . - ' & / + only (it goes into the Reply-To header)"
            )
        if email:
            source = email_setting if config.get(email_setting) else mailbox_setting
            try:
                if _has_control_characters(email):
                    raise EmailNotValidError("it contains a line break or another control character")
                validate_email(email, check_deliverability=False)
            except EmailNotValidError as error:
                raise RuntimeError(f"{source} is not a usable e-mail address: {error}") from None
        if phone and (_has_control_characters(phone) or not PHONE.fullmatch(phone)):
            raise RuntimeError(f"{phone_setting} must be a phone number: digits, spaces and + ( ) . / - only")


def init_app(app: Any) -> None:
    check_settings(app.config)


def _values(team: str, config: Mapping[str, Any]) -> tuple[str, str, str]:
    name_setting, email_setting, phone_setting, mailbox_setting = SETTINGS[team]
    email = config.get(email_setting) or config.get(mailbox_setting) or ""
    return str(config.get(name_setting) or ""), str(email), str(config.get(phone_setting) or "")


def _header_safe(name: str) -> bool:
    return bool(NAME.fullmatch(name)) and not _has_control_characters(name)


def _has_control_characters(value: str) -> bool:
    """Line breaks of any kind (CR, LF, U+2028, ...), tabs and other control characters."""
    return any(unicodedata.category(character) in ("Cc", "Cf", "Zl", "Zp") for character in value)


def _one_line(value: str) -> str:
    return " ".join(value.split())
