"""Entry point for `flask --app wsgi ...` and for gunicorn (`wsgi:app`)."""

from caseapp import create_app

app = create_app()
