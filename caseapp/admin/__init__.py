"""Administration pages (administrators only)."""

from .routes import bp

__all__ = ["bp"]
