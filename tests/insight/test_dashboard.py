"""/dashboard: figures from known histories, checked in the tables and in the SVG data points."""

import re
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta

import pytest

from caseapp.extensions import db
from caseapp.insight.stats import percentile
from tests.factories import moved, submitted, through

SVG = "{http://www.w3.org/2000/svg}"
PERIOD = "from=2025-03-03&to=2025-03-30"  # Monday 3 March to Sunday 30 March 2025: 28 daily points


def d(month, day, hour=9):
    return datetime(2025, month, day, hour, 0)  # naive UTC, 10:00 in Amsterdam


@pytest.fixture()
def scenario(make_history):
    """Six registrations whose figures are worked out by hand in the tests below."""
    return {
        # received 1, policy 2, setup 5, realised 9 days; realised 11 March (week 11), live 20 March
        "A": make_history([submitted(d(3, 3)), moved(d(3, 4), "received", "policy"), moved(d(3, 6), "policy", "setup"),
                           moved(d(3, 11), "setup", "realised"), moved(d(3, 20), "realised", "live")],
                          employer_name="Bakkerij Van Dam"),
        # received 4, policy 3, setup 7 of which 3 waiting on the processor; realised 17 March (week 12)
        "B": make_history([submitted(d(3, 3)), moved(d(3, 7), "received", "policy"), moved(d(3, 10), "policy", "setup"),
                           (d(3, 11), "waiting_set", {}), (d(3, 14), "waiting_cleared", {}),
                           moved(d(3, 17), "setup", "realised")], employer_name="Drukkerij Peters"),
        # received 2, then withdrawn in policy on 13 March
        "C": make_history([submitted(d(3, 10)), moved(d(3, 12), "received", "policy"), (d(3, 13), "withdrawn", {})],
                          employer_name="Tandartspraktijk Zuid"),
        # live since February: only counted, its events are not needed
        "D": make_history([submitted(d(2, 1)), *through(d(2, 3), "policy", "setup", "realised", "live", gap=timedelta(days=4))],
                          employer_name="Fysiotherapie Centrum"),
        "E": make_history([submitted(d(3, 24))], employer_name="Kinderopvang Het Nest"),
        "F": make_history([submitted(d(4, 10))], employer_name="Autobedrijf Smits"),  # after the period
    }


def _svgs(html: str) -> dict[str, ET.Element]:
    charts = {}
    for markup in re.findall(r'<svg class="chart__svg".*?</svg>', html, re.S):
        root = ET.fromstring(markup)
        charts[root.get("id")] = root
    return charts


def _marks(svg: ET.Element) -> dict[tuple, float]:
    return {
        (el.get("data-key"), el.get("data-series")): float(el.get("data-value"))
        for el in svg.iter()
        if el.get("data-value") is not None
    }


@pytest.mark.parametrize(
    "values, p, expected",
    [
        ([1, 2, 3, 4], 50, 2.5),  # Excel MEDIAN / PERCENTILE.INC
        ([1, 2, 3, 4], 90, 3.7),
        ([1, 2, 4], 90, 3.6),
        ([7], 90, 7),
        ([15, 20, 35, 40, 50], 40, 29),
        ([3, 1, 2], 0, 1),
        ([3, 1, 2], 100, 3),
    ],
)
def test_percentiles_interpolate_linearly_like_excel(values, p, expected):
    assert percentile(values, p) == pytest.approx(expected)


def test_percentile_of_nothing_is_none():
    assert percentile([], 50) is None


@pytest.fixture()
def staff(client, login_as):
    login_as("asr")
    return client


def test_dashboard_needs_a_login(client):
    assert client.get("/dashboard").status_code == 302


def test_registrations_per_step_now(staff, scenario):
    html = staff.get(f"/dashboard?{PERIOD}").get_data(as_text=True)
    marks = _marks(_svgs(html)["chart-steps"])
    # E and F new, C withdrawn (left out), B realised, A and D live
    assert {key: value for (key, _s), value in marks.items()} == {
        "received": 2, "policy": 0, "setup": 0, "realised": 1, "live": 2,
    }
    assert "Ingetrokken (niet in de grafiek)</th><td>1</td>" in html


def test_time_per_step_median_and_90th_percentile(staff, scenario):
    html = staff.get(f"/dashboard?{PERIOD}").get_data(as_text=True)
    marks = _marks(_svgs(html)["chart-by-step"])
    expected = {
        ("received", "median"): 2, ("received", "p90"): 3.6,  # A 1, B 4, C 2
        ("policy", "median"): 2.5, ("policy", "p90"): 2.9,  # A 2, B 3
        ("setup", "median"): 6, ("setup", "p90"): 6.8,  # A 5, B 7 (waiting counts for the step)
        ("realised", "median"): 9, ("realised", "p90"): 9,  # A 9
    }
    assert marks == pytest.approx(expected)
    assert "<th scope=\"row\">Nieuw</th><td>3</td><td>2,0</td><td>3,6</td>" in html


def test_time_per_party_until_realisation(staff, scenario):
    html = staff.get(f"/dashboard?{PERIOD}").get_data(as_text=True)
    marks = _marks(_svgs(html)["chart-by-party"])
    # A: a.s.r. 3, Keylane 5, processor 0 (8); B: a.s.r. 7, Keylane 4, processor 3 (14)
    assert marks == pytest.approx({
        ("asr", "median"): 5, ("asr", "p90"): 6.6,
        ("keylane", "median"): 4.5, ("keylane", "p90"): 4.9,
        ("processor", "median"): 1.5, ("processor", "p90"): 2.7,
        ("total", "median"): 11, ("total", "p90"): 13.4,
    })
    assert "<th scope=\"row\">Salarisverwerker</th><td>2</td><td>1,5</td><td>2,7</td>" in html


def test_realised_links_per_week(staff, scenario):
    html = staff.get(f"/dashboard?{PERIOD}").get_data(as_text=True)
    marks = _marks(_svgs(html)["chart-realised"])
    assert {key: value for (key, _s), value in marks.items()} == {
        "2025-03-03": 0, "2025-03-10": 1, "2025-03-17": 1, "2025-03-24": 0,
    }
    assert "<th scope=\"row\">wk 11</th><td>10-03-2025</td><td>1</td>" in html


def test_cumulative_flow_counts_per_step_per_day(staff, scenario):
    html = staff.get(f"/dashboard?{PERIOD}").get_data(as_text=True)
    flow = _svgs(html)["chart-flow"]
    bands = {
        el.get("data-key"): [int(v) for v in el.get("data-values").split()]
        for el in flow.iter(f"{SVG}polygon")
    }
    assert list(bands) == ["live", "realised", "setup", "policy", "received"]  # bottom band first
    assert all(len(values) == 28 for values in bands.values())

    def on(day):  # counts at the end of that day in March
        return {step: values[day - 3] for step, values in bands.items()}

    assert on(5) == {"live": 1, "realised": 0, "setup": 0, "policy": 1, "received": 1}
    assert on(12) == {"live": 1, "realised": 1, "setup": 1, "policy": 1, "received": 0}
    assert on(13)["policy"] == 0  # C withdrawn
    assert on(30) == {"live": 2, "realised": 1, "setup": 0, "policy": 0, "received": 1}
    assert "<th scope=\"row\">12-03-2025</th><td>0</td><td>1</td><td>1</td><td>1</td><td>1</td>" in html


def test_oldest_open_registrations_come_first(staff, scenario):
    html = staff.get(f"/dashboard?{PERIOD}").get_data(as_text=True)
    section = html[html.index('id="oldest-title"'):]
    order = [section.index(f'/registrations/{scenario[key].id}"') for key in ("B", "E", "F")]
    assert order == sorted(order)
    assert f'/registrations/{scenario["A"].id}"' not in section  # live
    assert f'/registrations/{scenario["C"].id}"' not in section  # withdrawn


def test_charts_are_accessible_svg_without_inline_styles(staff, scenario):
    html = staff.get(f"/dashboard?{PERIOD}").get_data(as_text=True)
    charts = _svgs(html)
    assert set(charts) == {"chart-steps", "chart-by-step", "chart-by-party", "chart-realised", "chart-flow"}
    for chart_id, svg in charts.items():
        assert svg.get("role") == "img"
        assert svg.get("aria-labelledby") == f"{chart_id}-title {chart_id}-desc"
        assert svg.find(f"{SVG}title").text and svg.find(f"{SVG}desc").text
        assert svg.find(f".//{SVG}style") is None
        assert all(el.get("style") is None for el in svg.iter())
    # patterns, not colour alone: the 90th percentile bars and the flow bands are hatched / dotted
    hatched = [el for el in charts["chart-by-step"].iter(f"{SVG}rect") if el.get("data-series") == "p90"]
    assert hatched and all(el.get("fill") == "url(#chart-by-step-hatch)" for el in hatched)
    assert charts["chart-by-step"].find(f".//{SVG}pattern[@id='chart-by-step-hatch']") is not None
    fills = {el.get("data-key"): el.get("fill") for el in charts["chart-flow"].iter(f"{SVG}polygon")}
    assert len(set(fills.values())) == 5
    assert "style=" not in html


def test_the_period_defaults_to_the_last_90_days(staff, scenario):
    html = staff.get("/dashboard").get_data(as_text=True)
    assert re.search(r'name="from" value="\d{4}-\d{2}-\d{2}"', html)
    flow = _svgs(html)["chart-flow"]
    assert len(flow.find(f"{SVG}polygon").get("data-values").split()) == 91


def test_a_long_period_is_drawn_per_week(staff, scenario):
    html = staff.get("/dashboard?from=2024-12-30&to=2025-06-29").get_data(as_text=True)
    polygon = _svgs(html)["chart-flow"].find(f"{SVG}polygon")
    assert len(polygon.get("data-values").split()) == 26  # Sundays 5 January .. 29 June
    assert "aan het eind van elke week" in html


@pytest.mark.parametrize(
    "query, message",
    [
        ("from=morgen&to=2025-03-30", "Vul bij ‘van’ een datum in"),
        ("from=2025-03-30&to=2025-03-01", "moet vóór de datum bij ‘tot en met’ liggen"),
        ("from=2015-01-01&to=2025-03-01", "hoogstens drie jaar"),
    ],
)
def test_a_wrong_period_is_refused_with_a_message(staff, query, message):
    response = staff.get(f"/dashboard?{query}")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'class="error-summary"' in html and message in html
    assert html.count("<title>Fout:") == 1
    assert "chart-steps" in html and "chart-flow" not in html  # "now" still shown


def test_dutch_dates_are_accepted_too(staff, scenario):
    response = staff.get("/dashboard?from=03-03-2025&to=30-03-2025")
    assert response.status_code == 200
    assert len(_svgs(response.get_data(as_text=True))["chart-flow"].find(f"{SVG}polygon").get("data-values").split()) == 28


def test_an_htmx_request_gets_only_the_results_block(staff, scenario):
    response = staff.get(f"/dashboard?{PERIOD}", headers={"HX-Request": "true", "HX-Request-Type": "partial"})
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<div id="dashboard-results"')
    assert "<html" not in html and "chart-flow" in html
    assert "HX-Request" in response.headers["Vary"]


def test_dashboard_costs_the_same_queries_for_few_and_many(staff, scenario, make_history, count_queries):
    db.session.expire_all()
    with count_queries() as small:
        assert staff.get(f"/dashboard?{PERIOD}").status_code == 200
    for n in range(30):
        start = d(3, 1) + timedelta(hours=7 * n)
        make_history([submitted(start), *through(start + timedelta(days=1), "policy", "setup", "realised", "live")])
    db.session.expire_all()
    with count_queries() as large:
        assert staff.get(f"/dashboard?{PERIOD}").status_code == 200
    # user, counts now, oldest open (who has the ball is on the row), live-before baseline,
    # events of the period
    assert len(small) == len(large) == 5


@pytest.mark.parametrize("raw", ["0001-01-01", "9999-12-31", "31-12-9999"])
def test_a_period_far_outside_the_years_of_this_desk_is_a_message_not_an_error(staff, raw):
    response = staff.get(f"/dashboard?from=2026-01-01&to={raw}")
    assert response.status_code == 422
    assert "Vul bij ‘tot en met’ een datum in" in response.get_data(as_text=True)
