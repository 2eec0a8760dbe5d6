"""What every request's input must be before a route reads it.

- Ids and versions are plain ASCII digits within PostgreSQL's `integer` (a
  superscript ² is a "digit" to str.isdigit, and 2^31 overflows the column):
  `parse_id()` for form fields, and the `int` URL converter is bounded the same
  way, so /registrations/99999999999 is a plain 404.
- No NUL byte or other control character (tab and line breaks aside) in any
  field or query parameter: PostgreSQL refuses NUL in text, and nobody types
  the others. Such a request is answered 422 with a Dutch page; nothing is read
  further, nothing is stored.
"""

from __future__ import annotations

import re
from typing import Any, Optional

from flask import Flask, abort, request
from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1
_ASCII_NUMBER = re.compile(r"[0-9]{1,10}")
_UNUSABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def parse_id(raw: Any) -> Optional[int]:
    """An id or version (0 to MAX_ID) from a form field, or None for anything else."""
    if not isinstance(raw, str) or not _ASCII_NUMBER.fullmatch(raw.strip()):
        return None
    value = int(raw)
    return value if value <= MAX_ID else None


class BoundedIntConverter(IntegerConverter):
    """<int:...> in a URL: ASCII digits, at most MAX_ID (else the route does not match: 404)."""

    regex = r"[0-9]{1,10}"

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def refuse_unusable_characters() -> None:
    for values in request.values.listvalues():
        if any(_UNUSABLE.search(value) for value in values):
            abort(422)


def init_app(app: Flask) -> None:
    app.url_map.converters["int"] = BoundedIntConverter
    app.before_request(refuse_unusable_characters)
