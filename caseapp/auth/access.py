"""Who may reach what, at the door of a route: `requires(action)` asks
caseapp.permissions which roles may take the action. Page requests without a
session are redirected to the login page; HTMX requests get 401 with HX-Redirect
(htmx would otherwise swap the login page into a fragment). Logged-in users
without the role get 403."""

from __future__ import annotations

from functools import wraps
from typing import Callable
from urllib.parse import urlsplit

from flask import abort, make_response, redirect, request, url_for
from flask_login import current_user

from ..htmx import redirect_client, request_type
from ..permissions import roles_for


def _to_login():
    if request_type() is not None:  # a full page or a fragment, htmx follows HX-Redirect
        # Back to the page the user was on (not the fragment URL) after logging in.
        current = urlsplit(request.headers.get("HX-Current-URL", ""))
        next_url = current.path + (f"?{current.query}" if current.query else "") if current.path else None
        return redirect_client(make_response("", 401), url_for("auth.login", next=next_url))
    next_url = request.full_path.rstrip("?") if request.method == "GET" else None
    return redirect(url_for("auth.login", next=next_url))


def requires(action: str) -> Callable:
    """Require a logged-in, active staff user whose role may take `action` on some
    registration (the workflow checks the registration itself)."""
    roles = roles_for(action)

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return _to_login()
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


staff_required = requires("view")
admin_required = requires("manage_outbox")
