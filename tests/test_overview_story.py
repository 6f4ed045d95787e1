"""The Overview leads with the seed's finding; reported data is drawn by year, one point per row."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from lib import story
from tests.conftest import run_page


@pytest.fixture(autouse=True)
def demo_env(demo_data_dir, monkeypatch):
    monkeypatch.setenv("PISTAS_DATA_DIR", str(demo_data_dir))


def charts(at) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def test_landing_view_states_the_finding_first():
    at = run_page("app.py")
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert at.title[0].value == "Drug flights shifted north after the VRAEM crackdown"
    first = charts(at)[0]
    names = {tr["name"] for tr in first["data"]}
    assert {"VRAEM", "Ucayali", "Pichis-Palcazú"} <= names
    texts = " ".join(a.get("text", "") for a in first["layout"]["annotations"])
    assert "Law 30339" in texts and "185 strips destroyed" in texts and "simulated data" in texts
    vraem = next(tr for tr in first["data"] if tr["name"] == "VRAEM")
    x = pd.to_datetime(pd.Series(vraem["x"]))
    assert (x.dt.month.isin([1, 4, 7, 10])).all()  # quarterly totals


def test_story_in_spanish():
    at = run_page("app.py", {"lang": "es"})
    assert at.title[0].value.startswith("Los vuelos ilícitos se desplazaron al norte")


def test_quarterly_sums_months():
    months = pd.DataFrame(
        {
            "month": pd.to_datetime(["2015-01-01", "2015-02-01", "2015-04-01"]),
            "group": "VRAEM",
            "n": [1, 2, 5],
        }
    )
    q = story.quarterly(months)
    assert q["n"].tolist() == [3, 5]


def test_reported_view_draws_sourced_rows_by_year():
    at = run_page("app.py", {"data": "reported", "areas": "VRAEM"})
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    explorer = next(c for c in charts(at) if "as reported" in c["layout"].get("title", {}).get("text", ""))
    points = [
        (x, y, c)
        for tr in explorer["data"]
        for x, y, c in zip(tr["x"], tr["y"], tr["customdata"], strict=True)
    ]
    by_id = {c[2]: (x, y, c[1]) for x, y, c in points}
    # S002: 185 strips in the VRAEM, Jan-Sep 2014: its own point in 2014, with its URL, not summed with A004's 120
    assert by_id["rep-S002"][:2] == (2014, 185)
    assert by_id["rep-A004"][:2] == (2014, 120)
    assert by_id["rep-S002"][2].startswith("https://")
    assert all(tr["mode"] == "markers" for tr in explorer["data"])  # no lines through overlapping reports
    hover = " ".join(h for tr in explorer["data"] for h in tr["hovertext"])
    assert "Peru Drug Flights Shift North" in hover


def test_empty_view_says_so():
    at = run_page("app.py", {"data": "reported", "areas": "Puno", "metric": "aircraft_interdicted"})
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    infos = " ".join(i.value for i in at.info)
    assert "Nothing to draw" in infos


def test_reported_story_shows_flight_rate_estimates_apart():
    at = run_page("app.py", {"data": "reported"})
    assert not at.exception, at.exception
    first = charts(at)[0]
    ids = {c[2] for tr in first["data"] for c in tr["customdata"]}
    assert {"fe-F011", "fe-F009", "fe-F025"} <= ids  # Pichis-Palcazú 2019, VRAEM 2013, VRAEM Jan 2016
    f011 = next(tr for tr in first["data"] if tr["name"] == "Pichis-Palcazú")
    i = [c[2] for c in f011["customdata"]].index("fe-F011")
    assert f011["y"][i] == pytest.approx((15 * 21) ** 0.5)  # 15–21 a month: the point sits inside its range
    assert first["layout"]["yaxis"]["type"] == "log"
