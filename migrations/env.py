"""Alembic environment: migrate the database of the current Flask app."""

from alembic import context
from flask import current_app

from caseapp.models import include_in_schema_compare

db = current_app.extensions["migrate"].db
options = current_app.extensions["migrate"].configure_args


def run_offline() -> None:
    context.configure(
        url=db.engine.url.render_as_string(hide_password=False),
        target_metadata=db.metadata,
        literal_binds=True,
        include_object=include_in_schema_compare(db.engine.dialect.name),
        **options,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    def skip_empty(context_, revision, directives):
        # `flask db migrate` with no model changes writes no empty revision.
        if getattr(context_.config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
            directives[:] = []

    with db.engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=db.metadata,
            process_revision_directives=skip_empty,
            # Indexes that exist on PostgreSQL only are not missing on SQLite.
            include_object=include_in_schema_compare(connection.dialect.name),
            **options,
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
