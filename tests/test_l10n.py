"""Numbers, dates, tables and charts in the page's language (Babel/CLDR, Plotly's locale)."""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd
import pytest

from lib import l10n, views
from lib import queries as q
from lib.db import Database
from lib.i18n import MONTHS
from lib.impact import reading
from lib.state import ViewState
from tests.conftest import run_page


@pytest.mark.parametrize(
    ("value", "digits", "en", "es"),
    [
        (3809, 0, "3,809", "3.809"),
        (1234567, 0, "1,234,567", "1.234.567"),
        (0.714, 2, "0.71", "0,71"),
        (5, 1, "5.0", "5,0"),
        (None, 0, "—", "—"),
        (float("nan"), 1, "—", "—"),
    ],
)
def test_numbers_follow_one_convention_per_language(value, digits, en, es):
    assert l10n.number(value, "en", digits) == en and l10n.number(value, "es", digits) == es


def test_ratios_in_readings_use_the_same_convention():
    assert reading.number(0.47, "es") == "0,47" and reading.number(12345.6, "es") == "12.346"
    assert reading.number(1.25, "en") == "1.2" or reading.number(1.25, "en") == "1.3"


def test_months_and_dates_in_spanish_as_peru_writes_them():
    assert (
        l10n.month(dt.date(2013, 9, 1), "es") == "set 2013"
        and l10n.month(dt.date(2013, 7, 1), "en") == "Jul 2013"
    )
    assert l10n.date(dt.date(2015, 8, 20), "es") == "20 ago 2015"


def test_charts_get_plotlys_spanish_locale_in_their_config():
    cfg = l10n.plotly_config("es")
    fmt = cfg["locales"]["es"]["format"]
    assert cfg["locale"] == "es" and fmt["shortMonths"][8] == "set" and fmt["decimal"] == ","
    assert l10n.plotly_config("en") == {}


def test_tables_read_in_the_language_with_blanks_not_none():
    df = pd.DataFrame({"area": ["VRAEM", None], "rate_ratio": [0.3, None], "provenance": ["simulated", None]})
    shown = l10n.display_table(df, "es")
    assert list(shown.columns) == ["Ámbito", "Razón de tasas", "Procedencia"]
    assert shown["Ámbito"].tolist() == ["VRAEM", ""] and shown["Procedencia"].iloc[1] == ""
    assert list(l10n.display_table(df, "en").columns) == ["Area", "Rate ratio", "Provenance"]


def test_spanish_overview_kpis_use_spanish_separators(demo_data_dir, monkeypatch):
    monkeypatch.setenv("PISTAS_DATA_DIR", str(demo_data_dir))
    at = run_page("app.py", {"lang": "es"})
    assert not at.exception
    values = [m.value for m in at.metric]
    db = Database(demo_data_dir / "built")
    k = q.kpis(db, q.filters_for(ViewState(lang="es"), q.data_context(db)), "simulated")
    assert l10n.number(k.flights_detected, "es") in values  # e.g. 4.123, never 4,123
    assert not [v for v in values if re.fullmatch(r"\d{1,3}(,\d{3})+", v)], values  # no English thousands


def test_spanish_impact_page_reads_as_spanish(demo_data_dir, monkeypatch):
    monkeypatch.setenv("PISTAS_DATA_DIR", str(demo_data_dir))
    at = run_page("pages/3_Impact.py", {"lang": "es", "metric": "flight_detected"})
    assert not at.exception
    texts = " ".join(str(m.value) for m in (*at.markdown, *at.caption))
    assert "**(a) En el VRAEM:**" in texts and "filas simuladas" in texts
    assert "filas simulados" not in texts and "en VRAEM" not in texts


def test_time_placebos_are_named_in_spanish(demo_db):
    view = views.View(ViewState(metric="flight_detected"), q.data_context(demo_db), "es")
    analysis = views.impact_analysis(views.direct_query(demo_db), view)
    fig = dict(analysis.figures)["impact_placebos"]
    labels = [y for tr in fig.data for y in (tr.y or ())]
    fake = [y for y in labels if y.startswith("Fecha ficticia: ")]
    assert fake and all(y.split(": ")[1].split()[0] in MONTHS["es"] for y in fake), fake
