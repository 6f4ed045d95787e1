"""The sourced CSVs against the facts file: coverage of fact_ids, each figure equal to its fact,
conflicting figures kept apart, the Devida zone panel and its geometry, and the new tables built.

The facts file lives outside the repository (`../shared/facts/facts.csv`, beside the checkout); the tests that read
it are skipped when it is absent. Figures are compared to the fact's `value`: the numbers in it
are parsed (thousand separators, "~", ">", ranges "a-b", lists "a / b", "a -> b"), converted to the
row's unit (t x 1000 = kg, % / 100 = share), and the row's figure must be one of them unless the
row's `derived` column says how it was obtained (see data/sourced/README.md).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from lib.schema import AREAS, REGIONS

ROOT = Path(__file__).parents[1]
SOURCED = ROOT / "data" / "sourced"
README = SOURCED / "README.md"
FACTS_CSV = ROOT.parent / "shared" / "facts" / "facts.csv"  # beside the checkout, as ../shared
PROVINCES_GEOJSON = ROOT.parent / "shared" / "geo" / "peru_provincias_light.geojson"
needs_facts = pytest.mark.skipif(not FACTS_CSV.exists(), reason="shared facts file not available")

TRACED_FILES = (
    "events_reported.csv",
    "policies.csv",
    "route_share_estimates.csv",
    "flight_estimates.csv",
    "coca.csv",
    "places.csv",
    "eradication.csv",
    "indicators.csv",
)
DERIVED = {"", "split", "part", "computed", "implied", "qualitative", "no_figure"}
PANEL_YEARS = range(2018, 2025)


def read(name: str) -> pd.DataFrame:
    return pd.read_csv(SOURCED / name, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def facts() -> pd.DataFrame:
    return pd.read_csv(FACTS_CSV, dtype=str, keep_default_na=False).set_index("fact_id")


_NUMBER = re.compile(r"(?<![\w.,])-\d[\d,]*(?:\.\d+)?|\d[\d,]*(?:\.\d+)?")


def numbers(text: str) -> list[float]:
    """Every number written in a fact's value: '~1,500' -> [1500]; '3-4' -> [3, 4]; '-1,908 (-5%)' -> [-1908, -5]."""
    text = re.sub(r"\bhalf\b", "50", text)  # "about half" is stored as a share of 0.5
    return [float(m.replace(",", "")) for m in _NUMBER.findall(text)]


def test_numbers_parser():
    assert numbers("~1,500") == [1500]
    assert numbers(">=50") == [50]
    assert numbers("3-4") == [3, 4]
    assert numbers("10,000-50,000") == [10000, 50000]
    assert numbers("20.5 / 14.2") == [20.5, 14.2]
    assert numbers("ANP 430 -> 414; ZA 14,426 -> 14,343") == [430, 414, 14426, 14343]
    assert numbers("-1,908 (-5%)") == [-1908, -5]
    assert numbers("19,981.74") == [19981.74]
    assert numbers("qualitative") == []
    assert numbers("about half") == [50]


def traced_ids() -> set[str]:
    return set().union(*(set(read(name)["fact_id"]) for name in TRACED_FILES))


def left_out_table() -> dict[str, str]:
    """fact_id -> reason, from the README's 'Facts left out' table."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## Facts left out", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\|\s*`?([A-Z]{1,2}\d{3})`?\s*\|\s*(.+?)\s*\|\s*$", section, flags=re.M)
    return dict(rows)


# ---- coverage -------------------------------------------------------------------------------
@needs_facts
def test_at_least_90_percent_of_facts_traced(facts):
    traced = traced_ids() & set(facts.index)
    assert len(traced) >= 0.9 * len(facts), f"{len(traced)} of {len(facts)} facts traced"


@needs_facts
def test_left_out_facts_are_listed_and_really_absent(facts):
    traced = traced_ids()
    listed = left_out_table()
    missing = set(facts.index) - traced
    assert missing == set(listed), {
        "untraced, not listed": sorted(missing - set(listed)),
        "listed, but traced": sorted(set(listed) - missing),
    }
    assert all(len(reason) > 10 for reason in listed.values())


def test_traced_fact_ids_exist(facts):
    assert traced_ids() <= set(facts.index)


# ---- figures equal their facts ------------------------------------------------------------
def _figures(name: str, row: pd.Series, unit: str) -> list[float]:
    """The row's figures in the fact's unit."""

    def n(col):
        return [float(row[col])] if row.get(col, "") != "" else []

    if name == "events_reported.csv":
        if row["event_type"] == "seizure":
            kg = float(row["quantity_kg"])
            return [kg / 1000 if unit.startswith("tonnes") else kg]
        return [float(row["count"])]
    if name == "route_share_estimates.csv":
        return [round(v * 100, 6) for v in n("share_low") + n("share") + n("share_high")]
    if name == "flight_estimates.csv":
        return sorted(set(n("rate_low") + n("rate_high")))
    if name in ("coca.csv", "eradication.csv"):
        return n("hectares")
    if name == "indicators.csv":
        return n("value_low") + n("value") + n("value_high")
    raise AssertionError(name)


NUMERIC_FILES = (
    "events_reported.csv",
    "route_share_estimates.csv",
    "flight_estimates.csv",
    "coca.csv",
    "eradication.csv",
    "indicators.csv",
)


@needs_facts
@pytest.mark.parametrize("name", NUMERIC_FILES)
def test_every_figure_equals_its_fact(facts, name):
    df = read(name)
    assert "derived" in df.columns, f"{name} needs a derived column"
    assert set(df["derived"]) <= DERIVED, set(df["derived"]) - DERIVED
    bad = []
    for _, row in df[df["derived"] == ""].iterrows():
        fact = facts.loc[row["fact_id"]]
        allowed = numbers(fact["value"])
        for fig in _figures(name, row, fact["unit"]):
            if not any(abs(fig - a) <= 1e-6 * max(1, abs(a)) for a in allowed):
                bad.append((row.iloc[0], row["fact_id"], fig, fact["value"]))
    assert not bad, bad


@needs_facts
def test_split_rows_sum_to_their_fact(facts):
    ev = read("events_reported.csv")
    split = ev[ev["derived"] == "split"]
    assert len(split) > 0
    for fid, parts in split.groupby("fact_id"):
        total = numbers(facts.loc[fid, "value"])[0]
        assert parts["count"].astype(int).sum() == total, fid


@needs_facts
def test_part_rows_are_figures_the_fact_names(facts):
    for name in NUMERIC_FILES:
        df = read(name)
        for _, row in df[df["derived"] == "part"].iterrows():
            fact = facts.loc[row["fact_id"]]
            named = numbers(fact["metric"]) + numbers(fact["quote"])
            assert any(abs(f - a) < 1e-6 for f in _figures(name, row, fact["unit"]) for a in named), row[
                "fact_id"
            ]


@needs_facts
def test_implied_events_are_single_reports(facts):
    ev = read("events_reported.csv")
    implied = ev[ev["derived"] == "implied"]
    for _, row in implied.iterrows():
        assert row["event_type"] != "seizure"
        value = numbers(facts.loc[row["fact_id"], "value"])
        # one aircraft or one place named: the count is what the fact's value says, or 1-2 for a dated report
        assert int(row["count"]) in ({int(v) for v in value if v == int(v)} | {1, 2}), row["event_id"]
        if row["quantity_kg"]:
            fact = facts.loc[row["fact_id"]]
            # the quantity is the fact's value, or named in its metric or quote (Spanish decimal commas too)
            named = numbers(f"{fact['value']} {fact['metric']}") + numbers(fact["quote"].replace(",", "."))
            assert any(abs(float(row["quantity_kg"]) - v) < 1e-6 for v in named), row["event_id"]


@needs_facts
def test_computed_figures():
    fe = read("flight_estimates.csv").set_index("estimate_id")
    assert float(fe.loc["fe-F015-2014", "rate_low"]) == 2 * float(fe.loc["fe-F015-2013", "rate_low"])
    assert float(fe.loc["fe-F010", "rate_low"]) == pytest.approx(58 / 4)
    rs = read("route_share_estimates.csv").set_index("estimate_id")
    assert float(rs.loc["rs-R024-air", "share"]) == pytest.approx(180_000 / 320_000)
    assert float(rs.loc["rs-R001-land_or_river", "share"]) == pytest.approx(
        1 - float(rs.loc["rs-R001-air", "share"])
    )


# ---- conflicts ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def conflicts() -> pd.DataFrame:
    return read("conflicts.csv")


def _rows_of(fid: str) -> list[tuple[str, pd.Series]]:
    out = []
    for name in NUMERIC_FILES:
        df = read(name)
        out += [(name, r) for _, r in df[df["fact_id"] == fid].iterrows()]
    return out


def test_conflicts_table(conflicts):
    assert list(conflicts.columns) == ["conflict_group", "fact_id", "what"]
    assert not conflicts.duplicated(["conflict_group", "fact_id"]).any()
    assert (conflicts.groupby("conflict_group").size() >= 2).all()
    assert conflicts["fact_id"].isin(traced_ids()).all()
    for required in (
        "airstrips-destroyed-2014",
        "ucayali-open-strips-2024",
        "atalaya-strips-2024",
        "flights-a-year",
        "planes-from-bolivia",
        "air-share-2018",
        "seizures-2019",
        "seizures-2020-all-drugs",
        "seizures-2020-cocaine",
        "eradication-2011-2016",
        "bajo-ucayali-coca-2021",
    ):
        assert required in set(conflicts["conflict_group"]), required


@needs_facts
def test_conflicting_facts_keep_their_own_rows_and_values(facts, conflicts):
    for group, members in conflicts.groupby("conflict_group"):
        values = {}
        for fid in members["fact_id"]:
            rows = [(n, r) for n, r in _rows_of(fid) if r["derived"] in ("", "part")]
            assert rows, f"{group}: {fid} has no row of its own"
            unit = facts.loc[fid, "unit"]
            values[fid] = {f for n, r in rows for f in _figures(n, r, unit)}
        # each row cites one fact, and no row anywhere holds the group's sum or mean
        firsts = [min(v) for v in values.values()]
        for bogus in (sum(firsts), sum(firsts) / len(firsts)):
            if any(abs(bogus - f) < 1e-9 for v in values.values() for f in v):
                continue  # the mean happens to equal one member's own value
            for name in NUMERIC_FILES:
                for _, r in read(name).iterrows():
                    if r["fact_id"] in values and r["derived"] in ("", "part"):
                        figs = _figures(name, r, facts.loc[r["fact_id"], "unit"])
                        assert all(abs(f - bogus) > 1e-9 for f in figs), (group, r.iloc[0])


def test_the_2014_airstrip_figures_stay_apart():
    ev = read("events_reported.csv").set_index("fact_id")
    counts = {fid: int(ev.loc[fid, "count"]) for fid in ("S002", "A004", "A006", "A042", "A044")}
    assert counts == {"S002": 185, "A004": 120, "A006": 54, "A042": 198, "A044": 54}


def test_seizure_conflicts_in_kg():
    ev = read("events_reported.csv").set_index("fact_id")
    kg = {fid: float(ev.loc[fid, "quantity_kg"]) for fid in ("Z002", "Z022", "Z024", "Z026", "Z025", "Z027")}
    assert kg == {"Z002": 63000, "Z022": 61434, "Z024": 60700, "Z026": 42500, "Z025": 38000, "Z027": 29300}


# ---- coca: the Devida zone panel and its geometry -----------------------------------------
@pytest.fixture(scope="module")
def coca() -> pd.DataFrame:
    return read("coca.csv")


@pytest.fixture(scope="module")
def zones() -> pd.DataFrame:
    return read("coca_zones.csv")


def test_devida_zone_panel_is_24_by_7(coca, zones):
    panel_zones = set(zones.loc[zones["in_devida_panel"] == "yes", "zone"])
    assert len(panel_zones) == 24
    panel = coca[
        (coca["level"] == "zone")
        & (coca["series"] == "DEVIDA")
        & coca["geography"].isin(panel_zones)
        & coca["year"].astype(int).isin(PANEL_YEARS)
    ]
    cells = set(zip(panel["geography"], panel["year"].astype(int), strict=True))
    assert len(cells) == 24 * 7 == 168
    # a cell without a figure says so; a figure is never invented for it
    empty = panel[panel["hectares"] == ""]
    assert (empty["derived"] == "no_figure").all() and empty["notes"].str.startswith("no figure").all()
    assert (panel.loc[panel["hectares"] != "", "derived"] != "no_figure").all()
    # more than one row in a cell only for a documented conflict
    multi = panel.groupby(["geography", "year"]).size()
    assert set(multi[multi > 1].index) == {("VRAEM", "2022"), ("Bajo Ucayali", "2021")}


def test_zone_panel_figures(coca):
    z = coca[coca["level"] == "zone"].set_index(["geography", "year", "fact_id"])["hectares"]
    assert z.loc[("VRAEM", "2024", "C179")] == "36345"
    assert z.loc[("Aguaytía", "2018", "C062")] == "1517"
    assert z.loc[("Tigre", "2024", "C176")] == "76"


def test_transcribed_devida_rows_cite_the_transcription(coca):
    src = read("sources.csv").set_index("source_id")
    recent = coca[
        (coca["series"] == "DEVIDA")
        & coca["year"].astype(int).isin([2023, 2024])
        & coca["level"].isin(["zone", "department"])
        & coca["fact_id"].str.match(r"^(C|CD)\d")
    ]
    transcribed = recent[
        recent["fact_id"].map(lambda f: int(re.sub(r"\D", "", f)) >= 62 or f.startswith("CD"))
    ]
    transcribed = transcribed[transcribed["fact_id"] != "C027"]
    assert len(transcribed) > 50
    for sid in set(transcribed["source_id"]):
        assert "github.com/pipaber/xgboost_deforestation" in src.loc[sid, "url"]
        assert "transcri" in src.loc[sid, "title"].lower()
    assert transcribed["notes"].str.contains("transcription").all()
    assert not transcribed["notes"].str.contains("official").any()


def test_coca_series_never_mixed(coca):
    assert set(coca["series"]) <= {"UNODC", "DEVIDA", "ONDCP", "other"}
    national = coca[(coca["level"] == "national") & coca["series"].isin(["UNODC", "DEVIDA"])]
    assert national["year"].is_unique
    dept = coca[coca["level"] == "department"]
    assert not dept.duplicated(["year", "geography", "series"]).any()
    assert set(dept.loc[dept["year"] == "2017", "series"]) == {"UNODC"}


def test_every_coca_zone_has_a_mapping(coca, zones):
    assert zones["zone"].is_unique
    assert set(coca.loc[coca["level"] == "zone", "geography"]) <= set(zones["zone"])
    assert set(zones["confidence"]) <= {"high", "medium", "low"}
    assert (zones["basis"] != "").all()
    for row in zones.itertuples():
        assert row.regions and set(row.regions.split(";")) <= set(REGIONS), row.zone


@pytest.mark.skipif(not PROVINCES_GEOJSON.exists(), reason="shared province boundaries not available")
def test_zone_provinces_exist_in_their_regions(zones):
    features = json.loads(PROVINCES_GEOJSON.read_text(encoding="utf-8"))["features"]
    by_region: dict[str, set[str]] = {}
    for f in features:
        by_region.setdefault(f["properties"]["dep_name"], set()).add(f["properties"]["name"])
    for row in zones.itertuples():
        for province in filter(None, row.provinces.split(";")):
            assert any(province in by_region[r] for r in row.regions.split(";")), (row.zone, province)


# ---- eradication and indicators -----------------------------------------------------------
def test_eradication_table():
    er = read("eradication.csv")
    assert er["eradication_id"].is_unique
    assert set(er["measure"]) <= {"eradicated", "goal_per_year"}
    assert set(er["level"]) <= {"national", "department", "other"}
    assert set(er.loc[er["level"] == "department", "geography"]) <= set(REGIONS)
    assert (pd.to_numeric(er["hectares"]) > 0).all()
    assert (pd.to_datetime(er["period_start"]) <= pd.to_datetime(er["period_end"])).all()
    by = er.set_index("fact_id")
    assert float(by.loc["E001", "hectares"]) == 35868 and float(by.loc["E010", "hectares"]) == 35000
    parts = er[er["fact_id"].isin(["E019", "E020", "E021", "E022", "E023"])]
    assert pd.to_numeric(parts["hectares"]).sum() < float(by.loc["E018", "hectares"])


INDICATOR_METRICS = {
    "congress_votes_for",
    "interception_stages",
    "hostile_aircraft_criterion",
    "procedures_deadline",
    "aircraft_shot_down",
    "air_routes_to_neutralise",
    "airstrip_size",
    "airstrip_rebuild_time",
    "airstrip_destruction_spending",
    "airstrip_rebuild_effort",
    "airstrips_by_location",
    "airstrips_known",
    "airstrip_destruction_operations",
    "planes_from_bolivia_share",
    "aircraft_seized_in_bolivia",
    "aircraft_wrecks_found",
    "drugs_incinerated",
    "drugs_destroyed",
    "drugs_seized_joint_operations",
    "seized_share_of_production",
    "cocaine_exported",
    "cocaine_flown_out",
    "drug_load",
    "flight_logistics",
    "pilot_fee",
    "destination_share",
    "coca_leaf_price",
    "courier_arrests_bound_for_mexico_share",
    "coca_leaf_production_share",
    "coca_area_share",
    "cocaine_production_potential",
    "coca_area_special",
    "coca_extent",
    "coca_zones_monitored",
    "coca_area_change",
    "vraem_extent",
}


def test_indicators_table():
    ind = read("indicators.csv")
    assert ind["indicator_id"].is_unique
    assert set(ind["metric"]) <= INDICATOR_METRICS, set(ind["metric"]) - INDICATOR_METRICS
    values = ind[["value_low", "value", "value_high"]].apply(lambda c: pd.to_numeric(c.mask(c == "")))
    assert values.notna().any(axis=1).all()
    assert (ind["unit"] != "").all()
    assert (pd.to_datetime(ind["period_start"]) <= pd.to_datetime(ind["period_end"])).all()
    ok_geo = set(REGIONS) | set(AREAS) | {"Perú", "Bolivia", "Perú–Bolivia", "Ucayali, Huánuco, Pasco"}
    assert set(ind["geography"]) <= ok_geo, set(ind["geography"]) - ok_geo


# ---- build: the new tables are queryable ------------------------------------------------
def test_build_loads_the_new_tables(demo_db):
    with demo_db.cursor() as (cur, _):
        n = {
            t: cur.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("eradication", "indicators", "coca_zones", "conflicts")
        }
        ha = cur.execute("SELECT hectares FROM eradication WHERE fact_id = 'E001'").fetchone()[0]
        panel = cur.execute(
            """SELECT count(DISTINCT (c.geography, c.year)) FROM coca c JOIN coca_zones z ON z.zone = c.geography
               WHERE c.level = 'zone' AND c.series = 'DEVIDA' AND z.in_devida_panel = 'yes'
                 AND c.year BETWEEN 2018 AND 2024"""
        ).fetchone()[0]
        reported = cur.execute("SELECT count(*) FROM events WHERE provenance = 'reported'").fetchone()[0]
    assert n == {t: len(read(f"{t}.csv")) for t in n}
    assert ha == 35868.0
    assert panel == 168
    assert reported == len(read("events_reported.csv"))


def test_fixture_build_without_the_new_files_has_empty_tables(fixture_db):
    with fixture_db.cursor() as (cur, _):
        for table in ("eradication", "indicators", "coca_zones", "conflicts"):
            assert cur.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0


def test_new_query_functions(demo_db):
    from lib import queries as q

    er = q.eradication(demo_db)
    assert set(er["measure"]) == {"eradicated"} and er["source_url"].notna().all()
    assert len(q.eradication(demo_db, "goal_per_year")) == 2
    assert set(q.indicators(demo_db, "pilot_fee")["fact_id"]) == {"R029", "R040"}
    panel = q.coca_zone_panel(demo_db)
    assert panel[["zone", "year"]].drop_duplicates().shape[0] == 168
    assert panel["hectares"].isna().sum() == (panel["derived"] == "no_figure").sum() == 42
    assert len(q.conflicts(demo_db)) == len(read("conflicts.csv"))
