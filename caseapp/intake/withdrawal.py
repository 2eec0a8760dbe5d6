"""The processor withdraws the registration on the status page: a reason, a
confirmation page ("Weet u het zeker?"), then the withdrawal. No JavaScript needed:
POST /status/<token>/intrekken with `reason` shows the confirmation; its form
posts the same with `confirm=yes`, which withdraws and answers 303."""

from __future__ import annotations

from flask import current_app, flash, redirect, request, url_for
from flask_babel import gettext as _

from .. import workflow
from ..changes import WorkflowError
from ..htmx import render_view
from ..security import limit_per_ip
from . import service
from .forms import AnswerForm, WithdrawForm
from .pages import not_found, private, status_page


@limit_per_ip("RATELIMIT_STATUS")
def withdraw(token: str):
    registration = service.find_by_token(token, with_requests=True)
    if registration is None:
        return not_found()
    form = WithdrawForm()
    if registration.is_withdrawn and request.form.get("confirm") == "yes":
        flash(_("Deze aanmelding was al ingetrokken. U hoeft niets opnieuw te versturen."), "info")
        return redirect(url_for("intake.status", token=token), code=303)
    if not form.validate():
        return status_page(registration, token, AnswerForm(formdata=None), status=422, withdraw_form=form)
    if request.form.get("confirm") != "yes":
        try:  # the same refusals as the withdrawal itself, before asking "are you sure?"
            workflow.check_withdrawable(registration)
        except WorkflowError as refused:
            return status_page(registration, token, AnswerForm(formdata=None), status=refused.status_code,
                               notice=str(refused))
        return private(render_view("intake/withdraw_confirm.html", registration=registration, token=token,
                                   form=form))
    try:
        service.withdraw(token, form.reason.data)
    except workflow.AlreadyWithdrawn:
        flash(_("Deze aanmelding was al ingetrokken. U hoeft niets opnieuw te versturen."), "info")
    except WorkflowError as refused:
        current = service.find_by_token(token, with_requests=True) or registration
        return status_page(current, token, AnswerForm(formdata=None), status=refused.status_code,
                           notice=str(refused))
    else:
        current_app.logger.info("registration %s withdrawn by the processor", registration.reference)
        flash(_("Uw aanmelding is ingetrokken. Wij werken er niet verder aan; u krijgt een bevestiging per e-mail."),
              "success")
    return redirect(url_for("intake.status", token=token), code=303)
