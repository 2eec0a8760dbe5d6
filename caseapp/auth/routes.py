"""/login and /logout for staff."""

from __future__ import annotations

from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Blueprint, current_app, redirect, request, url_for
from flask_login import current_user

from ..extensions import db
from ..htmx import render_view
from ..models import User
from ..security import end_session, login_limits, start_session
from .forms import LoginForm
from .passwords import hash_password, needs_rehash, verify_password

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only follow a `next` that stays on this site."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return url_for("board.index")


@bp.route("/login", methods=["GET", "POST"])
@login_limits()
def login():
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = LoginForm()
    if not form.validate_on_submit():
        status = 422 if request.method == "POST" else 200
        return render_view("auth/login.html", form=form, status=status, failed=False)

    email = form.email.data.strip().lower()
    user = db.session.scalar(sa.select(User).where(User.email == email))
    if not verify_password(user.password_hash if user else None, form.password.data) or not user.active:
        current_app.logger.warning(
            "failed login for %s from %s (%s)", email, request.remote_addr,
            "unknown account" if user is None else ("inactive account" if not user.active else "wrong password"),
        )
        return render_view("auth/login.html", form=form, status=422, failed=True)

    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(form.password.data)
        db.session.commit()
    start_session(user)
    current_app.logger.info("login %s", user.email)
    return redirect(_safe_next(request.args.get("next")), code=303)


@bp.post("/logout")
def logout():
    # Ends this session and every copy of its cookie (a new session version).
    end_session()
    return redirect(url_for("auth.login", logged_out=1), code=303)
