"""The board's filters: parsed from the query string, written back into every
link and form so the board URL is shareable and a move returns to the same
view; and the SQL they stand for, which the board and its CSV export share."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping, Optional
from urllib.parse import parse_qsl, urlencode

import sqlalchemy as sa

from ..models import Registration, User
from ..process import STEPS, TEAMS, team_steps

MAX_QUERY_LENGTH = 100


@dataclass(frozen=True)
class BoardFilters:
    q: str = ""
    mine: bool = False
    waiting: bool = False
    team: str = ""
    withdrawn: bool = False

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> "BoardFilters":
        q = " ".join((args.get("q") or "").split())[:MAX_QUERY_LENGTH]
        team = args.get("team") or ""
        return cls(
            q=q,
            mine=_flag(args.get("mine")),
            waiting=_flag(args.get("waiting")),
            team=team if team in TEAMS else "",
            withdrawn=_flag(args.get("withdrawn")),
        )

    @classmethod
    def from_query_string(cls, query_string: str) -> "BoardFilters":
        return cls.from_args(dict(parse_qsl(query_string or "", keep_blank_values=True)))

    def to_args(self) -> dict[str, str]:
        """Only what differs from the default, for url_for and hidden fields."""
        args: dict[str, str] = {}
        if self.q:
            args["q"] = self.q
        if self.mine:
            args["mine"] = "1"
        if self.waiting:
            args["waiting"] = "1"
        if self.team:
            args["team"] = self.team
        if self.withdrawn:
            args["withdrawn"] = "1"
        return args

    @property
    def query_string(self) -> str:
        return urlencode(self.to_args())

    @property
    def active(self) -> bool:
        return bool(self.to_args())

    @property
    def steps(self) -> tuple[str, ...]:
        """The columns shown: all steps, or the steps of one team."""
        if self.team:
            return team_steps(self.team)
        return STEPS


def _flag(value: Optional[str]) -> bool:
    return (value or "").strip().lower() in {"1", "true", "on", "yes", "y"}


def _like(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_condition(q: str) -> sa.ColumnElement[bool]:
    """Free text over employer, processor, reference, contract and payroll tax number.

    Case-insensitive. Every word must match one of the text fields; or the whole
    query, without spaces and dots, matches the loonheffingennummer or the
    contract number (so "1234.56.782 L01" finds 123456782L01).
    """
    words = q.split()[:6]
    text_fields = (
        Registration.employer_name,
        Registration.processor_name,
        Registration.reference,
        Registration.contract_number,
    )
    each_word = sa.and_(
        *(sa.or_(*(column.ilike(_like(word), escape="\\") for column in text_fields)) for word in words)
    )
    alternatives = [each_word]
    compact = re.sub(r"[\s.]", "", q).upper()
    if compact:
        alternatives.append(Registration.payroll_tax_number.like(_like(compact), escape="\\"))
    contract = re.sub(r"[^0-9A-Za-z]", "", q).upper()
    if contract:
        alternatives.append(Registration.contract_number.like(_like(contract), escape="\\"))
    return sa.or_(*alternatives)


def filter_conditions(filters: BoardFilters, user: User) -> list[sa.ColumnElement[bool]]:
    conditions: list[sa.ColumnElement[bool]] = [Registration.step.in_(filters.steps)]
    if not filters.withdrawn:
        conditions.append(Registration.withdrawn_at.is_(None))
    if filters.mine:
        conditions.append(Registration.assignee_id == user.id)
    if filters.waiting:
        conditions.append(Registration.waiting_since.is_not(None))
    if filters.q:
        conditions.append(search_condition(filters.q))
    return conditions
