"""Test-only routes that exercise caseapp.security the way the staff login will.

Defined once at import (Flask-Limiter registers a decorated view by its name),
registered on a test app with `app.register_blueprint(probes)`.
"""

from __future__ import annotations

from flask import Blueprint, abort, redirect, request
from flask_login import current_user

from caseapp.extensions import db
from caseapp.models import User
from caseapp.security import end_session, login_limits, start_session

probes = Blueprint("probes", __name__, url_prefix="/_probe")
PASSWORD = "juist-wachtwoord"


def _user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


@probes.post("/login/<int:user_id>")
def login(user_id: int):
    return "logged in" if start_session(_user(user_id)) else ("inactive", 403)


@probes.get("/whoami")
def whoami():
    return current_user.email if current_user.is_authenticated else "anonymous"


@probes.post("/logout")
def logout():
    end_session()
    return "logged out"


@probes.post("/logout-this-browser")
def logout_this_browser():
    end_session(everywhere=False)
    return "logged out here"


@probes.post("/revoke/<int:user_id>")
def revoke(user_id: int):
    end_session(_user(user_id))
    return "revoked"


@probes.route("/login-form", methods=["GET", "POST"])
@login_limits()
def login_form():
    """Shaped like the real login: a redirect on success, the form again on failure."""
    if request.method == "POST" and request.form.get("password") == PASSWORD:
        return redirect("/_probe/whoami", code=303)
    return "login form", 200
