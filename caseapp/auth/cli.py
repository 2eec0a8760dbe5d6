"""`flask --app wsgi users ...`: staff accounts are managed from the command line.

Messages are English like the other CLI commands; the people using this are
the administrators running the service.
"""

from __future__ import annotations

import click
import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask.cli import AppGroup

from ..extensions import db
from ..models import User
from ..process import ROLES
from ..security import revoke_sessions
from .passwords import hash_password

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024  # argon2 hashes anything, but nobody types more than this

users_cli = AppGroup("users", help="Manage staff accounts (roles: asr, keylane, admin).")


def normalise_email(raw: str) -> str:
    try:
        return validate_email(raw.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        raise click.BadParameter(f"{raw!r} is not a valid e-mail address ({error}).", param_hint="EMAIL") from None


def password_problem(password: str, email: str, name: str) -> str | None:
    """Why a password is refused, or None when it is acceptable."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"The password is too short: use at least {MIN_PASSWORD_LENGTH} characters (a few words work well)."
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"The password is longer than {MAX_PASSWORD_LENGTH} characters."
    if len(set(password)) < 5:
        return "The password is too weak: it repeats the same few characters."
    lowered = password.lower()
    local_part = email.split("@", 1)[0].lower()
    if lowered in {email.lower(), local_part, name.lower(), name.lower().replace(" ", "")}:
        return "The password is too weak: it is the e-mail address or the name of the account."
    if lowered in _COMMON:
        return "The password is too weak: it is one of the most common passwords."
    return None


# Common passwords of 12+ characters (shorter ones are refused by length anyway).
_COMMON = {
    "123456789012", "1234567890123", "qwertyuiopas", "qwerty123456", "password1234", "password12345",
    "wachtwoord12", "wachtwoord123", "wachtwoord1234", "welkom123456", "welkomwelkom", "passwordpassword",
    "aaaaaaaaaaaa", "abcdefghijkl", "abc123abc123", "iloveyou1234", "letmein12345", "000000000000",
}


@users_cli.command("create")
@click.argument("email")
@click.option("--name", required=True, help="Full name, shown in the app and the audit trail.")
@click.option(
    "--role",
    required=True,
    type=click.Choice(ROLES, case_sensitive=False),
    help="asr (a.s.r. employee), keylane (Keylane engineer) or admin.",
)
@click.option(
    "--password",
    help="The password (at least 12 characters). Leave out to be asked for it twice, hidden.",
)
def create_user(email: str, name: str, role: str, password: str | None) -> None:
    """Create a staff account."""
    email = normalise_email(email)
    name = " ".join(name.split())
    if not name:
        raise click.BadParameter("give the person's name.", param_hint="--name")
    if len(name) > 120:
        raise click.BadParameter("the name is at most 120 characters.", param_hint="--name")
    if db.session.scalar(sa.select(User.id).where(sa.func.lower(User.email) == email)) is not None:
        raise click.ClickException(f"An account for {email} already exists.")

    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt="Repeat the password")
    problem = password_problem(password, email, name)
    if problem:
        raise click.ClickException(problem)

    user = User(email=email, name=name, role=role.lower(), active=True, password_hash=hash_password(password))
    db.session.add(user)
    db.session.commit()
    click.echo(f"Created {user.role} account {user.email} ({user.name}).")


@users_cli.command("deactivate")
@click.argument("email")
def deactivate_user(email: str) -> None:
    """Deactivate an account; its open sessions stop working at once."""
    user = db.session.scalar(sa.select(User).where(sa.func.lower(User.email) == email.strip().lower()))
    if user is None:
        raise click.ClickException(f"There is no account for {email}.")
    was_active = user.active
    user.active = False
    # Ends every session server-side, also should the account be activated again:
    # the session id carries the session version, and this moves it on.
    revoke_sessions(user)
    db.session.commit()
    if was_active:
        click.echo(f"Deactivated {user.email}; existing sessions have ended.")
    else:
        click.echo(f"{user.email} was already inactive; any remaining sessions have ended.")


@users_cli.command("list")
def list_users() -> None:
    """List every account with its role and whether it is active."""
    users = db.session.scalars(sa.select(User).order_by(User.role, User.email)).all()
    if not users:
        click.echo("No accounts yet. Create one with: flask --app wsgi users create EMAIL --name NAME --role admin")
        return
    width = max(len(u.email) for u in users)
    for user in users:
        state = "active" if user.active else "inactive"
        click.echo(f"{user.email:<{width}}  {user.role:<7}  {state:<8}  {user.name}")
