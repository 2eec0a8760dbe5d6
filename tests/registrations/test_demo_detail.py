"""The demo data tells a story the detail page can show."""

import sqlalchemy as sa

from caseapp.extensions import db
from caseapp.models import Event, Registration, User


def test_every_demo_registration_has_a_readable_detail_page(runner, desk):
    assert runner.invoke(args=["demo-data"]).exit_code == 0
    admin = db.session.scalar(sa.select(User).where(User.role == "admin"))
    desk.login(admin)
    registrations = db.session.scalars(sa.select(Registration)).all()
    for registration in registrations:
        response = desk.client.get(f"/registrations/{registration.id}")
        assert response.status_code == 200, registration.reference
        # Events happen in order, after the submission and not in the future.
        events = db.session.scalars(
            sa.select(Event).where(Event.registration_id == registration.id).order_by(Event.id)
        ).all()
        moments = [event.created_at for event in events]
        assert moments == sorted(moments), registration.reference
        assert moments[0] == registration.created_at
    assert any(r.possible_duplicate for r in registrations)
    kinds = set(db.session.scalars(sa.select(Event.kind)))
    assert {"submitted", "assigned", "step_changed", "policy_added", "intake_checked", "check_ticked",
            "contact_logged", "first_exchange_date_set", "waiting_set", "withdrawn"} <= kinds
