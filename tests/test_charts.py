"""lib.charts: the Routes small multiples, built as dicts, are valid plotly figures that show
the shares they are given."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import pytest

from lib import charts


def shares_frame() -> pd.DataFrame:
    # Quarter 2014Q1 in the VRAEM: air 3+1, land 1+3 -> 50% / 50%; Ucayali: river only.
    rows = [
        ("2014-01-01", "VRAEM", "air", 3),
        ("2014-02-01", "VRAEM", "air", 1),
        ("2014-01-01", "VRAEM", "land", 1),
        ("2014-03-01", "VRAEM", "land", 3),
        ("2014-04-01", "VRAEM", "air", 2),
        ("2014-05-01", "Ucayali", "river", 5),
        ("2014-01-01", "Huánuco", "land", 1),
    ]
    df = pd.DataFrame(rows, columns=["month", "area", "route", "n"])
    return df.assign(month=pd.to_datetime(df["month"]), n=df["n"].astype(float))


def season_frame() -> pd.DataFrame:
    rows = [
        (area, m, route, share)
        for area in ("VRAEM", "Ucayali")
        for m in range(1, 13)
        for route, share in (("air", 0.25), ("river", 0.75))
    ]
    return pd.DataFrame(rows, columns=["area", "month_of_year", "route", "share"])


@pytest.mark.parametrize("lang", ["en", "es"])
@pytest.mark.parametrize("simulated", [True, False])
def test_small_multiples_are_valid_plotly_figures(lang, simulated):
    for fig in (
        charts.route_shares(shares_frame(), lang=lang, simulated=simulated),
        charts.route_season(season_frame(), lang=lang, simulated=simulated),
    ):
        go.Figure(fig.to_dict())  # plotly's own validation raises on any wrong property
        marks = [a for a in fig.layout.annotations if a.name == "simulated-mark"]
        assert len(marks) == (1 if simulated else 0)
        assert fig.layout.template.layout.paper_bgcolor == "white"  # plotly_white spelt out


def test_route_shares_stack_to_the_quarter_shares():
    fig = charts.route_shares(shares_frame(), lang="en", simulated=False)
    titles = [a.text for a in fig.layout.annotations]
    assert titles == ["Huánuco", "Ucayali", "VRAEM"]  # one panel per area, sorted
    vraem = {t.legendgroup: t for t in fig.data if t.customdata[0] == "VRAEM"}
    assert set(vraem) == {"air", "land"}
    assert list(vraem["air"].x) == ["2014-01-01", "2014-04-01"]
    assert np.allclose(vraem["air"].y, [0.5, 1.0]) and np.allclose(vraem["land"].y, [0.5, 0.0])
    assert {t.yaxis for t in vraem.values()} == {"y3"} and len({t.stackgroup for t in fig.data}) == 3
    assert all(fig.layout[f"yaxis{n}"].range == (0, 1) for n in ("", "2", "3", "4"))  # empty cell too
    assert [t.showlegend for t in fig.data].count(True) == 1  # legend entries from the first panel


def test_route_season_shades_the_rainy_season_in_every_panel():
    fig = charts.route_season(season_frame(), lang="es", simulated=False)
    rects = [(s.xref, s.x0, s.x1) for s in fig.layout.shapes]
    assert sorted(rects) == [("x", 0.5, 4.5), ("x", 11.5, 12.5), ("x2", 0.5, 4.5), ("x2", 11.5, 12.5)]
    assert fig.layout.xaxis.ticktext[0] == "ene"
    assert {t.xaxis for t in fig.data if t.customdata[0] == "VRAEM"} == {"x2"}


def test_trusted_figures_survive_the_page_cache():
    fig = charts.route_shares(shares_frame(), lang="en", simulated=True)
    again = pickle.loads(pickle.dumps(fig))
    assert isinstance(again, charts.TrustedFigure)
    assert pio.to_json(again, validate=False) == pio.to_json(fig, validate=False)
    plain = charts.trusted(go.Figure(go.Scatter(x=[1, 2], y=[3, 4])))
    assert pickle.loads(pickle.dumps(plain)).data[0].y == (3, 4)
