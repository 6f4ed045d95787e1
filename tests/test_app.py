"""AppTest runs of every page: no params, valid params, hostile params; URL state in widgets."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from lib import queries as q
from lib.state import ViewState
from tests.conftest import run_page

ROOT = Path(__file__).resolve().parents[1]
PAGES = ["app.py", *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "pages").glob("*.py"))]
HOSTILE = [
    {"areas": "'; DROP TABLE events; --"},
    {"start": "2014-13", "end": "1900-01"},
    {"types": "<script>alert(1)</script>", "data": '" onmouseover=alert(1)'},
    {"areas": ",".join(["VRAEM"] * 10_000)},
    {"window": "-1", "page": "9" * 40, "policy": "../../etc/passwd"},
    {"lang": "xx", "present": "2", "month": "2099-99", "layer": "🛩️"},
]


@pytest.fixture(autouse=True)
def fixture_env(fixture_data_dir, monkeypatch):
    monkeypatch.setenv("PISTAS_DATA_DIR", str(fixture_data_dir))


def run(page: str, params: dict[str, str] | None = None) -> AppTest:
    return run_page(page, params)


@pytest.mark.parametrize("page", PAGES)
def test_page_runs_without_params(page):
    at = run(page)
    assert not at.exception, at.exception
    assert at.title, "every page has a title"


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("params", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_params_give_notices_not_exceptions(page, params):
    at = run(page, params)
    assert not at.exception, at.exception
    notices = " ".join(w.value for w in at.warning)
    assert "were not used" in notices or "no se usaron" in notices


@settings(max_examples=25, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "start",
                "end",
                "areas",
                "types",
                "routes",
                "data",
                "metric",
                "by",
                "window",
                "page",
                "lang",
                "present",
                "month",
                "treated",
                "control",
            ]
        ),
        st.text(max_size=40),
        min_size=1,
        max_size=4,
    )
)
def test_generated_hostile_queries_on_overview(params):
    os.environ["PISTAS_DATA_DIR"] = os.environ["PISTAS_DATA_DIR"]
    at = run("app.py", params)
    assert not at.exception


def test_url_state_shows_in_widgets_and_numbers(fixture_db):
    at = run("app.py", {"areas": "vraem", "end": "2014-12", "data": "simulated"})
    assert not at.exception
    assert at.multiselect(key="w_areas").value == ["VRAEM"]
    assert at.radio(key="w_data").value == "simulated"
    destroyed = next(m for m in at.metric if m.label == "Airstrips destroyed")
    expected = q.kpis(
        fixture_db,
        q.filters_for(ViewState(areas=("VRAEM",), end="2014-12"), q.data_context(fixture_db)),
        "simulated",
    )
    assert destroyed.value == f"{expected.airstrips_destroyed:,}" == "3"


def test_widget_change_writes_canonical_url():
    at = run("app.py")
    at.multiselect(key="w_areas").set_value(["VRAEM", "Huánuco"]).run()
    assert not at.exception
    assert at.query_params["areas"] == "Huánuco,VRAEM"


def test_spanish_labels():
    at = run("app.py", {"lang": "es"})
    assert "Pistas inhabilitadas" in [m.label for m in at.metric]


def test_simulated_banner_only_with_simulated_data():
    with_sim = run("app.py")
    reported = run("app.py", {"data": "reported"})
    assert any("Simulated data in view" in w.value for w in with_sim.warning)
    assert not any("Simulated data in view" in w.value for w in reported.warning)


def test_share_box_holds_the_canonical_link_of_the_view(fixture_db):
    at = run("app.py", {"areas": "vraem", "start": "2014-01"})
    box = next(w for w in at.text_input if w.label == "Share this view")
    query = box.value.split("?", 1)[1]
    expected = {"areas": "VRAEM", "start": "2014-01", "v": fixture_db.version()}
    assert dict(pair.split("=", 1) for pair in query.split("&")) == expected


def test_overview_kpis_on_the_page_are_the_reports(fixture_db):
    from lib import views
    from lib.i18n import t

    state = ViewState(areas=("VRAEM",), end="2014-12")
    at = run("app.py", state.to_query())
    shown = {m.label: m.value for m in at.metric}
    view = views.View(state, q.data_context(fixture_db), "en")
    report = views.overview_kpis(views.direct_query(fixture_db), view)
    tag = f" ({t('prov_simulated', 'en')})"
    assert len(report) == len(shown) == 7  # five simulated, two reported
    assert {label.removesuffix(tag): value for label, value in report} == shown
    seizures = next(m for m in at.metric if m.label == "Seizures")
    kg = q.kpis(fixture_db, view.filters, "simulated").seized_kg
    assert seizures.proto.delta == (t("kpi_kg", "en", kg=f"{kg:,.0f}") if kg is not None else "")


def test_impact_page_says_why_in_the_users_language_once_per_reason():
    # On the fixture, the VRAEM has no events after Law 30339: its own time series cannot run, and
    # no comparison area is left once the moved or untestable ones are screened out.
    es, en = run("pages/3_Impact.py", {"lang": "es"}), run("pages/3_Impact.py")
    assert not es.exception and not en.exception
    why_es = [w.value for w in es.warning if w.value.startswith("No estimado")]
    assert "No estimado: Serie temporal interrumpida: No hay eventos desde la norma" in why_es[0]
    assert any(
        w.startswith("No estimado: Diferencia en diferencias: Todos los demás ámbitos") for w in why_es
    )
    why_en = [w.value for w in en.warning if w.value.startswith("Not estimated")]
    sections = [w.split(":")[1].strip() for w in why_en]
    assert sections[0] == "Interrupted time series" and "Difference in differences" in sections
    assert len(set(why_en)) == len(why_en)  # one notice per reason
    assert "VRAEM" in why_en[0] and "drop to zero" in why_en[0]
