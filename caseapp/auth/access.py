"""Who may reach what. Page requests without a session are redirected to the
login page; HTMX partial requests get 401 with HX-Redirect (htmx would otherwise
swap the login page into a fragment). Logged-in users without the role get 403."""

from __future__ import annotations

from functools import wraps
from typing import Callable
from urllib.parse import urlsplit

from flask import abort, make_response, redirect, request, url_for
from flask_login import current_user

from ..htmx import is_htmx, redirect_client


def _to_login():
    if is_htmx():
        # Back to the page the user was on (not the fragment URL) after logging in.
        current = urlsplit(request.headers.get("HX-Current-URL", ""))
        next_url = current.path + (f"?{current.query}" if current.query else "") if current.path else None
        return redirect_client(make_response("", 401), url_for("auth.login", next=next_url))
    next_url = request.full_path.rstrip("?") if request.method == "GET" else None
    return redirect(url_for("auth.login", next=next_url))


def roles_required(*roles: str) -> Callable:
    """Require a logged-in, active staff user with one of `roles` (admin always passes)."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return _to_login()
            if roles and current_user.role not in roles and current_user.role != "admin":
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


staff_required = roles_required()
admin_required = roles_required("admin")
