"""Checks on the sourced CSVs in data/sourced/: vocabulary, references and key figures."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from lib.schema import (
    AREA_REGIONS,
    AREAS,
    DATE_PRECISIONS,
    EVENT_COLUMNS,
    EVENT_TYPES,
    GEO_PRECISIONS,
    PERU_BBOX,
    PROVENANCES,
    REGIONS,
    ROUTES,
)

SOURCED = Path(__file__).parents[1] / "data" / "sourced"
FACTS_CSV = (
    Path(__file__).parents[2] / "shared" / "facts" / "facts.csv"
)  # ../shared beside the checkout; used only when present
FILES = (
    "sources.csv",
    "events_reported.csv",
    "policies.csv",
    "route_share_estimates.csv",
    "flight_estimates.csv",
    "coca.csv",
    "regions.csv",
    "places.csv",
    "eradication.csv",
    "indicators.csv",
    "coca_zones.csv",
    "conflicts.csv",
)
WITH_SOURCE = [f for f in FILES if f not in ("sources.csv", "regions.csv", "coca_zones.csv", "conflicts.csv")]
FACT_ID = re.compile(r"^[A-Z]{1,2}\d{3}$")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def read(name: str) -> pd.DataFrame:
    """A sourced CSV with every cell as text; empty cells are ''."""
    return pd.read_csv(SOURCED / name, dtype=str, keep_default_na=False)


def num(column: pd.Series) -> pd.Series:
    """Numbers from a text column; empty cells become NaN, anything else unparsable fails."""
    return pd.to_numeric(column.mask(column == ""), errors="raise")


@pytest.fixture(scope="module")
def events() -> pd.DataFrame:
    return read("events_reported.csv")


@pytest.fixture(scope="module")
def policies() -> pd.DataFrame:
    return read("policies.csv").set_index("policy_id")


@pytest.mark.parametrize("name", FILES)
def test_no_quotes_and_short_cells(name):
    df = read(name)
    assert len(df) > 0
    assert "quote" not in [c.lower() for c in df.columns]
    lengths = df.map(len)
    too_long = lengths.max().max()
    assert too_long <= 300, f"{name}: a cell has {too_long} characters"


def test_sources_unique_with_http_urls():
    src = read("sources.csv")
    assert list(src.columns) == ["source_id", "title", "publisher", "date", "url"]
    assert src["source_id"].is_unique
    assert src["url"].is_unique
    assert src["source_id"].str.fullmatch(r"[a-z0-9][a-z0-9-]*").all()
    assert src["url"].str.match(r"https?://").all()
    assert (src["title"] != "").all() and (src["date"] != "").all()


@pytest.mark.parametrize("name", WITH_SOURCE)
def test_every_source_id_exists(name):
    known = set(read("sources.csv")["source_id"])
    used = set(read(name)["source_id"])
    assert used <= known, f"{name}: unknown source_id {sorted(used - known)}"


@pytest.mark.parametrize("name", WITH_SOURCE)
def test_every_row_has_a_fact_id(name):
    ids = read(name)["fact_id"]
    assert ids.str.fullmatch(FACT_ID).all(), f"{name}: bad fact_id {set(ids[~ids.str.fullmatch(FACT_ID)])}"


@pytest.mark.skipif(not FACTS_CSV.exists(), reason="shared facts file not available")
@pytest.mark.parametrize("name", WITH_SOURCE)
def test_fact_ids_and_urls_match_the_facts_file(name):
    facts = pd.read_csv(FACTS_CSV, dtype=str).set_index("fact_id")
    url_of = read("sources.csv").set_index("source_id")["url"]
    df = read(name)
    assert set(df["fact_id"]) <= set(facts.index)
    for row in df.itertuples():
        assert url_of[row.source_id] == facts.loc[row.fact_id, "source_url"], row


def test_event_columns(events):
    assert list(events.columns) == list(EVENT_COLUMNS) + ["fact_id", "derived"]


def test_event_ids_unique(events):
    assert events["event_id"].is_unique
    assert events["event_id"].str.startswith("rep-").all()


@pytest.mark.parametrize(
    ("column", "allowed", "may_be_empty"),
    [
        ("area", AREAS, False),
        ("region", REGIONS, True),
        ("event_type", EVENT_TYPES, False),
        ("route", ROUTES, True),
        ("date_precision", DATE_PRECISIONS, False),
        ("geo_precision", GEO_PRECISIONS, False),
        ("provenance", ("reported",), False),
    ],
)
def test_event_values_allowed(events, column, allowed, may_be_empty):
    ok = set(allowed) | ({""} if may_be_empty else set())
    assert set(events[column]) <= ok, f"{column}: {set(events[column]) - ok}"
    assert set(events["provenance"]) <= set(PROVENANCES)


def test_event_counts_and_quantities(events):
    counts = pd.to_numeric(events["count"], errors="raise")
    assert (counts >= 1).all()
    assert (counts == counts.round()).all()
    kg = num(events["quantity_kg"])
    assert (kg.dropna() > 0).all()
    seizures = events[events["event_type"] == "seizure"]
    assert (seizures["quantity_kg"] != "").all()


def test_event_dates(events):
    assert events["date"].str.fullmatch(ISO_DATE).all()
    assert events["date_end"].str.fullmatch(ISO_DATE).all()
    start = pd.to_datetime(events["date"])
    end = pd.to_datetime(events["date_end"])
    assert (start <= end).all()
    month = events["date_precision"] == "month"
    assert (start[month].dt.day == 1).all()
    assert (end[month] == start[month] + pd.offsets.MonthEnd(0)).all()


def test_event_region_belongs_to_area(events):
    for row in events.itertuples():
        if row.region and row.area != "Nacional":
            assert row.region in AREA_REGIONS[row.area], row.event_id


def test_event_geography_is_consistent(events):
    has_xy = events["lat"] != ""
    assert (has_xy == (events["lon"] != "")).all()
    assert (events.loc[has_xy, "geo_precision"] == "exact").all()
    assert (events.loc[~has_xy, "geo_precision"] != "exact").all()
    lat = pd.to_numeric(events.loc[has_xy, "lat"])
    lon = pd.to_numeric(events.loc[has_xy, "lon"])
    assert lat.between(PERU_BBOX["lat_min"], PERU_BBOX["lat_max"]).all()
    assert lon.between(PERU_BBOX["lon_min"], PERU_BBOX["lon_max"]).all()
    district = events["geo_precision"] == "district"
    assert (events.loc[district, "district"] != "").all()


def test_vraem_2014_nine_month_count(events):
    row = events.set_index("event_id").loc["rep-S002"]
    assert row["event_type"] == "airstrip_destroyed"
    assert row["area"] == "VRAEM"
    assert int(row["count"]) == 185
    assert (row["date"], row["date_end"]) == ("2014-01-01", "2014-09-30")


def test_2014_airstrip_conflict_kept_as_separate_rows(events):
    vraem = events[(events["area"] == "VRAEM") & (events["event_type"] == "airstrip_destroyed")]
    counts = set(vraem[vraem["date"].str[:4] <= "2014"]["count"].astype(int))
    assert {185, 120, 54} <= counts


def test_sept_2016_northern_demolitions(events):
    hit = events[
        (events["date"] == "2016-09-03")
        & (events["date_end"] == "2016-09-07")
        & (events["count"].astype(int) == 23)
    ]
    assert len(hit) == 1
    assert hit["event_type"].iloc[0] == "airstrip_destroyed"


def test_rebuilt_strips(events):
    row = events.set_index("event_id").loc["rep-A001"]
    assert (row["event_type"], int(row["count"])) == ("airstrip_rebuilt", 49)


def test_policies_vocabulary(policies):
    assert policies.index.is_unique
    assert set(policies["kind"]) <= {
        "law",
        "regulation",
        "operation",
        "agreement",
        "programme",
        "meeting",
        "ruling",
    }
    assert set(policies["date_precision"]) <= set(DATE_PRECISIONS)
    assert policies["date"].str.fullmatch(ISO_DATE).all()
    assert (policies["title_es"] != "").all() and (policies["title_en"] != "").all()
    for scope in policies["scope"]:
        assert scope == "national" or set(scope.split(";")) <= set(AREAS), scope


@pytest.mark.parametrize(
    ("policy_id", "date"),
    [
        ("law-30339", "2015-08-20"),
        ("law-30339-published", "2015-08-29"),
        ("law-30339-protocol", "2016-01-04"),
        ("vraem-no-fly-zone", "2015-02-04"),
        ("air-bridge-halt", "2001-04-20"),
        ("air-bridge-suspension-1994", "1994-05-01"),
        ("us-peru-agreement-2023", "2023-08-24"),
        ("us-peru-agreement-approved", "2024-04-18"),
        ("us-peru-mou-2024", "2024-05-09"),
    ],
)
def test_policy_dates(policies, policy_id, date):
    assert policies.loc[policy_id, "date"] == date


def test_law_30339_kind_and_vote_conflict(policies):
    assert policies.loc["law-30339", "kind"] == "law"
    assert "N° 30339" in policies.loc["law-30339", "title_es"]
    assert policies.loc["air-bridge-suspension-1994", "date_precision"] == "month"
    notes = policies.loc["us-peru-agreement-approved", "notes"]
    assert "73" in notes and "67" in notes


def test_route_shares():
    rs = read("route_share_estimates.csv")
    assert rs["estimate_id"].is_unique
    assert set(rs["route"]) <= set(ROUTES) | {"land_or_river"}
    assert set(rs["area"]) <= set(AREAS)
    assert set(rs["provenance"]) == {"reported"}
    shares = rs[["share_low", "share", "share_high"]].apply(num)
    values = shares.stack().dropna()
    assert len(values) >= len(rs)
    assert values.between(0, 1).all()
    assert shares.notna().any(axis=1).all(), "every estimate gives at least one share"
    assert (shares["share_low"].fillna(0) <= shares["share"].fillna(1)).all()
    assert (shares["share"].fillna(0) <= shares["share_high"].fillna(1)).all()
    by_id = rs.set_index("estimate_id")
    assert float(by_id.loc["rs-R001-air", "share"]) == pytest.approx(0.9)
    r003 = by_id.loc[["rs-R003-air", "rs-R003-sea", "rs-R003-land"], "share"].astype(float)
    assert r003.sum() == pytest.approx(1.0, abs=1e-3)


def test_flight_estimates():
    fe = read("flight_estimates.csv")
    assert fe["estimate_id"].is_unique
    assert set(fe["per"]) <= {"day", "week", "month", "year"}
    assert set(fe["area"]) <= set(AREAS)
    low, high = pd.to_numeric(fe["rate_low"]), pd.to_numeric(fe["rate_high"])
    assert (low > 0).all() and (low <= high).all()
    f002 = fe.set_index("fact_id").loc["F002"]
    assert (float(f002["rate_low"]), float(f002["rate_high"]), f002["per"]) == (600, 1000, "year")


def test_coca_series_kept_apart():
    coca = read("coca.csv")
    assert set(coca["level"]) <= {"national", "department", "zone", "district"}
    assert set(coca["series"]) <= {"UNODC", "DEVIDA", "ONDCP", "other"}
    year = coca["year"].astype(int)
    hectares = num(coca["hectares"])
    assert (hectares.dropna() > 0).all()
    assert (coca.loc[hectares.isna(), "derived"] == "no_figure").all(), (
        "only an unmonitored panel cell has no figure"
    )
    assert (year[coca["series"] == "UNODC"] <= 2017).all()
    assert (year[coca["series"] == "DEVIDA"] >= 2018).all()
    assert (coca.loc[coca["level"] == "national", "geography"] == "Perú").all()
    assert set(coca.loc[coca["level"] == "department", "geography"]) <= set(REGIONS)
    national = coca[(coca["level"] == "national") & coca["series"].isin(["UNODC", "DEVIDA"])]
    assert national["year"].is_unique, "one UNODC/DEVIDA national figure per year"
    vraem_2022 = coca[(coca["geography"] == "VRAEM") & (year == 2022)]
    assert set(vraem_2022["hectares"].astype(int)) == {35106, 35709}


def test_regions_table():
    reg = read("regions.csv")
    assert list(reg["name"]) == list(REGIONS)
    assert list(reg["ubigeo"]) == [f"{i:02d}" for i in range(1, 26)]
    assert reg["iso_3166_2"].str.fullmatch(r"PE-[A-Z]{3}").all()
    for row in reg.itertuples():
        expected = [a for a, regs in AREA_REGIONS.items() if row.name in regs]
        assert (row.areas.split(";") if row.areas else []) == expected, row.name


def test_places():
    pl = read("places.csv")
    assert pl["place_id"].is_unique
    assert set(pl["kind"]) <= {"district_capital", "route_endpoint", "press_coordinate"}
    assert set(pl["region"]) <= set(REGIONS)
    for areas in pl["areas"]:
        assert not areas or set(areas.split(";")) <= set(AREAS), areas
    lat, lon = pd.to_numeric(pl["lat"]), pd.to_numeric(pl["lon"])
    assert lat.between(PERU_BBOX["lat_min"], PERU_BBOX["lat_max"]).all()
    assert lon.between(PERU_BBOX["lon_min"], PERU_BBOX["lon_max"]).all()
    capitals = pl[pl["kind"] == "district_capital"]
    for area in ("VRAEM", "Pichis-Palcazú", "Ucayali", "Huallaga"):
        assert capitals["areas"].str.split(";").apply(lambda a, area=area: area in a).any(), area
    assert (pl.loc[pl["region"] == "Puno", "areas"] == "Puno").sum() >= 1
