"""Staff authentication: session loading. Login routes and roles build on this."""

from __future__ import annotations

from ..extensions import db, login_manager
from ..inputs import parse_id
from ..models import User


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """Session ids are "<user id>:<session_version>"; an old version no longer logs in."""
    raw_id, _, raw_version = session_id.partition(":")
    user_id, version = parse_id(raw_id), parse_id(raw_version)
    if user_id is None or version is None:
        return None
    user = db.session.get(User, user_id)
    if user is None or not user.active or user.session_version != version:
        return None
    return user
