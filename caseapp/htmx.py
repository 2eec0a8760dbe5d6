"""One URL serves the full page or, for an HTMX partial request, one block of it."""

from __future__ import annotations

import json
from typing import Any

from flask import Response, make_response, render_template, request
from jinja2_fragments.flask import render_block


def request_type() -> str | None:
    """How htmx asked: "partial" (a targeted swap), "full" (a boosted navigation or a
    history restore), or None when htmx did not send the request."""
    if request.headers.get("HX-Request") != "true":
        return None
    return "full" if request.headers.get("HX-Request-Type") == "full" else "partial"


def is_partial() -> bool:
    """The one question "does this request want a fragment?": a targeted HTMX swap."""
    return request_type() == "partial"


def render_view(template: str, block: str | None = None, status: int = 200, **context: Any) -> Response:
    """Render the whole page, or only `block` when HTMX asked for a partial."""
    if block is not None and is_partial():
        body = render_block(template, block, **context)
    else:
        body = render_template(template, **context)
    return make_response(body, status)


def trigger(response: Response, *events: str, **events_with_detail: Any) -> Response:
    """Set HX-Trigger so listeners elsewhere on the page can refresh themselves."""
    if events_with_detail:
        payload: dict[str, Any] = {name: None for name in events}
        payload.update(events_with_detail)
        response.headers["HX-Trigger"] = json.dumps(payload)
    elif events:
        response.headers["HX-Trigger"] = ", ".join(events)
    return response


def redirect_client(response: Response, url: str) -> Response:
    """Ask HTMX to navigate the whole page (used for expired sessions)."""
    response.headers["HX-Redirect"] = url
    return response


def init_app(app) -> None:
    @app.after_request
    def vary_on_htmx(response: Response) -> Response:
        response.vary.add("HX-Request")
        response.vary.add("HX-Request-Type")
        return response
