"""The simulated demo: deterministic, and calibrated to the sourced facts (data/README.md)."""

import pandas as pd
import pytest

from lib import simulate
from lib.build import BuildSpec, build


def test_same_seed_same_data_version(tmp_path):
    from tests.conftest import ROOT

    sourced = ROOT / "data" / "sourced"
    v1 = build(BuildSpec(sourced=sourced, out=tmp_path / "a"), log=lambda *_: None)
    v2 = build(BuildSpec(sourced=sourced, out=tmp_path / "b"), log=lambda *_: None)
    v3 = build(BuildSpec(sourced=sourced, out=tmp_path / "c", seed=7), log=lambda *_: None)
    assert v1 == v2
    assert v3 != v1


@pytest.fixture(scope="module")
def cur(demo_db):
    with demo_db.cursor() as (cursor, _):
        yield cursor


def sim(cur, sql, *params):
    return cur.execute(sql, list(params)).fetchone()[0]


def test_vraem_destroyed_jan_sep_2014_near_185(cur):
    got = sim(
        cur,
        """SELECT sum(n) FROM rollup WHERE provenance = 'simulated' AND area = 'VRAEM'
                      AND event_type = 'airstrip_destroyed' AND month BETWEEN '2014-01-01' AND '2014-09-01'""",
    )
    assert abs(got - 185) <= 0.15 * 185


def air_share(cur, area, year):
    return sim(
        cur,
        """SELECT sum(n) FILTER (WHERE route = 'air') / sum(n) FROM rollup
                       WHERE provenance = 'simulated' AND event_type = 'seizure' AND area = ?
                       AND year(month) = ?""",
        area,
        year,
    )


def test_vraem_air_share_falls_after_the_law(cur):
    assert air_share(cur, "VRAEM", 2014) > 0.8
    assert air_share(cur, "VRAEM", 2017) < air_share(cur, "VRAEM", 2014) - 0.3


def river_share(cur, area, month_of_year):
    return sim(
        cur,
        """SELECT sum(n) FILTER (WHERE route = 'river') / sum(n) FROM rollup
                       WHERE provenance = 'simulated' AND event_type = 'seizure' AND area = ?
                       AND month(month) = ?""",
        area,
        month_of_year,
    )


def test_ucayali_river_share_higher_in_the_rainy_season(cur):
    assert river_share(cur, "Ucayali", 2) > river_share(cur, "Ucayali", 8) + 0.15


def test_activity_moves_north_after_the_law(cur):
    def count(area, year, event_type):
        return sim(
            cur,
            """SELECT coalesce(sum(n), 0) FROM rollup WHERE provenance = 'simulated' AND area = ?
                           AND event_type = ? AND year(month) = ?""",
            area,
            event_type,
            year,
        )

    # Flights measure activity; few of Ucayali's strips are ever found (STRIP_FINDING), so its
    # destroyed strips stay a handful a year even as flights there grow.
    assert count("Ucayali", 2020, "flight_detected") > 3 * count("Ucayali", 2014, "flight_detected")
    assert count("Pichis-Palcazú", 2019, "airstrip_destroyed") > 3 * count(
        "Pichis-Palcazú", 2014, "airstrip_destroyed"
    )
    assert count("VRAEM", 2019, "airstrip_destroyed") < count("VRAEM", 2014, "airstrip_destroyed") / 3


def test_pichis_palcazu_flights_2019_within_f011_range(cur):
    per_month = sim(
        cur,
        """SELECT sum(n) / 12 FROM rollup WHERE provenance = 'simulated'
                            AND area = 'Pichis-Palcazú' AND event_type = 'flight_detected'
                            AND year(month) = 2019""",
    )
    assert 15 <= per_month <= 21


def test_strips_are_rebuilt_within_days_and_destroyed_again(cur):
    median_days = sim(cur, "SELECT median(days_to_rebuild) FROM strip_cycles WHERE provenance = 'simulated'")
    repeat = sim(cur, "SELECT count(*) FROM strip_cycles WHERE destroy_seq > 1")
    assert 1 <= median_days <= 10
    assert repeat > 100


def test_simulated_rows_say_so(cur):
    assert (
        sim(cur, "SELECT count(*) FROM events WHERE provenance = 'simulated' AND source_id IS NOT NULL") == 0
    )
    assert sim(cur, "SELECT count(*) FROM events WHERE provenance NOT IN ('simulated', 'reported')") == 0


def test_scale_sets_the_size_approximately():
    from tests.conftest import ROOT

    places = ROOT / "data" / "sourced" / "places.csv"
    scale = simulate.scale_for_events(60_000)
    total = sum(len(chunk) for _, chunk in simulate.generate(seed=1, scale=scale, places_csv=places))
    assert 0.9 * 60_000 <= total <= 1.1 * 60_000


def test_years_are_independent_chunks():
    from tests.conftest import ROOT

    places = simulate.load_places(ROOT / "data" / "sourced" / "places.csv")
    a = simulate.generate_year(2016, seed=3, scale=1.0, places=places)
    b = simulate.generate_year(2016, seed=3, scale=1.0, places=places)
    pd.testing.assert_frame_equal(a, b)
    assert a["date"].min().year >= 2015
