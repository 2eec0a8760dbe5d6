"""Error pages: Dutch, plain, and never a stack trace to the public."""

from flask import Flask, Response, make_response, render_template, request
from werkzeug.exceptions import HTTPException

from .htmx import is_partial


def render_error(error: HTTPException | None) -> Response:
    """The error page, or only its message for an HTMX partial request."""
    template = "errors/partial.html" if is_partial() else "errors/page.html"
    code = error.code if error is not None else 500
    return make_response(render_template(template, error=error), code)


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        return render_error(error)

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        from .extensions import db

        db.session.rollback()
        return render_error(None)
