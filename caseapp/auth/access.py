"""Who may open what. Staff pages are guarded here, not in the views."""

from __future__ import annotations

from functools import wraps
from typing import Any, Callable, TypeVar
from urllib.parse import urlencode

from flask import Response, abort, make_response, redirect, request
from flask_login import current_user

from ..htmx import is_htmx, redirect_client

# The staff login page (its route arrives with the auth area).
LOGIN_URL = "/login"

View = TypeVar("View", bound=Callable[..., Any])


def admin_required(view: View) -> View:
    """Only a logged-in administrator gets through.

    Not logged in: a page request is redirected to the login page; an HTMX
    request gets 401 with HX-Redirect, so htmx navigates the whole page instead
    of swapping a login form into a fragment. Logged in without the role: 403.
    """

    @wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return _login_required()
        if current_user.role != "admin":
            abort(403)
        return view(*args, **kwargs)

    return guarded  # type: ignore[return-value]


def _login_required() -> Response:
    if is_htmx():
        return redirect_client(make_response("", 401), LOGIN_URL)
    if request.method == "GET":
        return redirect(f"{LOGIN_URL}?{urlencode({'next': request.full_path.rstrip('?')})}")
    return redirect(LOGIN_URL)
