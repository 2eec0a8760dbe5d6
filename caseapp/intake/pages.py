"""The pages under a status link, shared by the status page's forms (routes.py,
withdrawal.py): the status page itself, its headers, the plain 404."""

from __future__ import annotations

from ..contacts import contact_for
from ..htmx import render_view
from .forms import AnswerForm, WithdrawForm
from .status import processor_steps


def not_found():
    # Deliberately plain: it says nothing about tokens.
    return "Niet gevonden", 404, {"Content-Type": "text/plain; charset=utf-8"}


def status_page(registration, token: str, form: AnswerForm, status: int = 200, notice: str | None = None,
                withdraw_form: WithdrawForm | None = None):
    return private(render_view(
        "intake/status.html", status=status, registration=registration, steps=processor_steps(registration),
        token=token, form=form, show_errors=status == 422, notice=notice, contact=contact_for(registration),
        withdraw_form=withdraw_form or WithdrawForm(formdata=None),
    ))


def private(response):
    """A page under the status link. The link is a credential: not passed on, not kept, not indexed."""
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response
