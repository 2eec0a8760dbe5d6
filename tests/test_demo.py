import sqlalchemy as sa

from caseapp.extensions import db
from caseapp.models import Registration, User
from caseapp.process import STEPS


def test_demo_data_fills_every_step_and_is_idempotent(runner):
    result = runner.invoke(args=["demo-data"])
    assert result.exit_code == 0, result.output
    steps = set(db.session.scalars(sa.select(Registration.step)))
    assert steps == set(STEPS)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) >= 3
    first = db.session.scalar(sa.select(sa.func.count()).select_from(Registration))

    again = runner.invoke(args=["demo-data"])
    assert again.exit_code == 0
    assert "already present" in again.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Registration)) == first
