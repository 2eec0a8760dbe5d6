"""The card kit (caseapp/board/kit.py) writes exactly what the template helpers it
stands in for would: the icon() macro and url_for."""

from __future__ import annotations

import pytest
from flask import url_for

from caseapp.board.kit import UrlPattern, icon


def test_card_icons_are_the_markup_of_the_icon_macro(app):
    macro = app.jinja_env.get_template("board/_icons.html").module.icon
    for name in ("alert", "building", "arrow-right", "idcard"):
        assert str(icon(name)) == str(macro(name))


@pytest.mark.parametrize("query", [{}, {"q": "bakkerij", "mine": "1"}, {"q": "AW 7777777777777777777 & co"}])
def test_url_patterns_are_what_url_for_writes(app, query):
    with app.test_request_context("/board"):
        pattern = UrlPattern("board.move_form", "registration_id", direction="next", **query)
        detail = UrlPattern("registrations.detail", "registration_id")
        for registration_id in (1, 42, 123456):
            assert pattern(registration_id) == url_for(
                "board.move_form", registration_id=registration_id, direction="next", **query)
            assert detail(registration_id) == url_for("registrations.detail", registration_id=registration_id)
