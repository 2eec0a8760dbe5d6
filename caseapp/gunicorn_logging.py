"""gunicorn's logger with status-link tokens masked (`logger_class` in gunicorn.conf.py).

Kept apart from caseapp.logs so the app itself never imports gunicorn.
"""

from __future__ import annotations

from gunicorn.glogging import Logger

from .logs import mask_tokens, protect_logger


class GunicornLogger(Logger):
    """Masks tokens in every access-log atom and in every error-log line."""

    def setup(self, cfg) -> None:
        super().setup(cfg)  # (re)creates the handlers, also on a configuration reload
        for logger in (self.error_log, self.access_log):
            protect_logger(logger)

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {key: mask_tokens(value) if isinstance(value, str) else value for key, value in atoms.items()}
