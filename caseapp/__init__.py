"""Registration desk for the Loket.nl ⇄ a.s.r. salary link."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from flask import Flask

from .config import Config, ProductionConfig

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict | None = None, config_class: type[Config] | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    if config_class is None:
        config_class = ProductionConfig if os.environ.get("CASEAPP_ENV") == "production" else Config
    app.config.from_object(config_class)
    if test_config is not None:
        app.config.from_mapping(test_config)

    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + os.path.join(app.instance_path, "caseapp.sqlite")
    if issubclass(config_class, ProductionConfig):
        ProductionConfig.check(app.config)

    _init_extensions(app)
    _register_blueprints(app)
    _register_cli(app)
    _load_vendor_manifest(app)
    return app


def _init_extensions(app: Flask) -> None:
    from . import auth, contacts, errors, htmx, inputs, logs, navigation, permissions, process, security  # noqa: F401 (auth: user loader)
    from .extensions import babel, csrf, db, limiter, login_manager, mail, migrate

    logs.init_app(app)  # first: the request id exists before any other hook runs
    inputs.init_app(app)  # before the blueprints: their routes use its bounded <int:>
    contacts.init_app(app)  # refuses contact settings that would break a mail header
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=lambda: app.config["BABEL_DEFAULT_LOCALE"])
    mail.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    htmx.init_app(app)
    navigation.init_app(app)
    errors.init_app(app)
    security.init_app(app)
    permissions.init_app(app)
    app.jinja_env.globals["process"] = process  # the vocabulary, for every template
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        _sqlite_pragmas(app)


def _sqlite_pragmas(app: Flask) -> None:
    """Foreign keys on, and a busy timeout so concurrent writers wait instead of failing."""
    import sqlalchemy as sa

    from .extensions import db

    with app.app_context():

        @sa.event.listens_for(db.engine, "connect")
        def _on_connect(dbapi_connection, _record):  # pragma: no cover - driver hook
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=10000")
            cursor.close()


def _register_blueprints(app: Flask) -> None:
    from .admin import bp as admin_bp
    from .auth.routes import bp as auth_bp
    from .board.routes import bp as board_bp
    from .health import bp as health_bp
    from .insight.routes import bp as insight_bp
    from .intake.routes import bp as intake_bp
    from .registrations.routes import bp as registrations_bp

    app.register_blueprint(health_bp)
    app.register_blueprint(intake_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(board_bp)
    app.register_blueprint(registrations_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(insight_bp)


def _register_cli(app: Flask) -> None:
    from .auth.cli import users_cli
    from .demo import demo_data_command
    from .insight.digest import digest_cli
    from .outbox.cli import outbox_cli
    from .reminders import reminders_cli
    from .retention import retention_cli

    app.cli.add_command(demo_data_command)
    app.cli.add_command(outbox_cli)
    app.cli.add_command(reminders_cli)
    app.cli.add_command(retention_cli)
    app.cli.add_command(digest_cli)
    app.cli.add_command(users_cli)


def _load_vendor_manifest(app: Flask) -> None:
    """static/vendor/manifest.json maps npm packages to their versioned file names."""
    manifest_path = Path(app.static_folder) / "vendor" / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    if not manifest:
        logging.getLogger(__name__).warning(
            "static/vendor is empty: run `npm ci && python scripts/vendor_assets.py`"
        )

    @app.context_processor
    def vendor_assets():
        return {"vendor": manifest}
