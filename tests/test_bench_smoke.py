"""The benchmark's code paths at a tiny size, so `make bench` cannot rot. No timing is asserted.

Runs bench.run end to end (build, random views, the DuckDB, pandas and AppTest workers in their own
processes, the DuckDB == pandas check, JSON and README output) on 2,000 and 3,000 simulated events.
"""

from __future__ import annotations

import json
from dataclasses import replace

import pandas as pd
import pytest

from bench import compare, pagesets, pandas_way
from bench.report import END, START
from bench.run import run
from bench.states import random_states
from lib import queries as q
from lib.state import ViewState

SIZES = [2000, 3000]


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    root = tmp_path_factory.mktemp("bench")
    readme = root / "README.md"
    readme.write_text(f"# Bench\n\nbefore\n\n{START}\nold table\n{END}\n\nafter\n")
    results = run(SIZES, 3, 1, root / "results.json", readme, root / "data", log=lambda *_: None)
    return root, results


def test_results_are_well_formed(smoke):
    root, results = smoke
    assert json.loads((root / "results.json").read_text()) == json.loads(json.dumps(results))
    meta = results["meta"]
    assert meta["machine"]["cpus"] and meta["versions"]["duckdb"] and meta["versions"]["pandas"]
    assert sorted(results["sizes"], key=int) == [str(s) for s in SIZES]
    for size in SIZES:
        r = results["sizes"][str(size)]
        assert r["data"]["events"] > 0 and r["data"]["disk_mb"] > 0 and r["data"]["build_seconds"] is not None
        assert len(r["states"]) == 3
        assert set(r["query_layer"]) == {"overview", "routes", "data", "map"}
        assert set(r["pandas"]) == set(r["pages"]) == set(r["pages_cached"]) == {"overview", "routes", "data"}
        assert set(r["pages_net"]) == {"overview", "routes", "data"}
        for block in (r["query_layer"], r["pandas"], r["pages"], r["pages_cached"]):
            for s in block.values():
                assert s["n"] == 3 and 0 < s["p50_ms"] <= s["p95_ms"] <= s["max_ms"]
        assert {"reported_facts", "events_by_month", "policies_in_range"} <= set(
            r["query_breakdown"]["overview"]
        )
        assert all(v > 0 for v in r["memory_mb"].values())
        for approach in ("duckdb", "pandas", "app"):
            assert r["cold_start_s"][approach]["seconds_from_spawn"] > 0
        # DuckDB's answers were asserted equal to pandas' for every query of every view.
        # (three pages × three states × at least three queries, except the reported-only Overview's two:
        # flight-rate estimates for the story and the reported rows by year)
        assert r["answers_compared"] >= 3 * 3 * 3 - 1
        assert set(r["speedup_p50"]) == {"overview", "routes", "data"} and r["memory_ratio"] > 0
    together = results["side_by_side"]
    assert sorted(together["pages"], key=int) == [str(s) for s in SIZES]
    assert all(s["n"] == 3 for by_page in together["pages"].values() for s in by_page.values())
    assert set(together["growth_p95"]) == {"overview", "routes", "data"}
    assert len(results["targets"]) == 4 + 3 + 1 + 3 + 3 + 1
    assert all(isinstance(t["met"], bool) and t["figure"] is not None for t in results["targets"])


def test_readme_table_replaced_between_markers(smoke):
    root, _ = smoke
    text = (root / "README.md").read_text()
    assert text.startswith("# Bench\n\nbefore\n\n") and text.endswith("\n\nafter\n")
    assert "old table" not in text and text.count(START) == text.count(END) == 1
    table = text.split(START)[1].split(END)[0]
    assert "query layer" in table and "pandas p50 / DuckDB p50" in table and "Targets:" in table
    assert "side by side" in table


def test_states_are_valid_distinct_and_seeded(fixture_db):
    ctx = q.data_context(fixture_db)
    states = random_states(ctx, 20, seed=7)
    assert states == random_states(ctx, 20, seed=7) and len(set(states)) == 20
    for state in states:
        assert ViewState.from_query(state.to_query(), ctx) == (state, [])


def test_pandas_way_equals_duckdb_on_the_fixture(fixture_db):
    """On the hand-checked fixture (period reports, NULL regions, repeated strips) for many views."""
    ctx = q.data_context(fixture_db)
    data = pandas_way.PandasData(fixture_db.built / fixture_db.version())
    for state in [ViewState(), ViewState(data="reported"), *random_states(ctx, 25, seed=3)]:
        for page in pagesets.PANDAS_PAGES:
            _, duck = pagesets.run_page(page, fixture_db, state, ctx)
            _, pand = pandas_way.run_page(page, data, state, ctx)
            compare.assert_page_equal(page, duck.results, pand.results)


def test_a_wrong_answer_is_caught(fixture_db):
    ctx = q.data_context(fixture_db)
    f = q.filters_for(ViewState(), ctx)
    series = q.events_by_month(fixture_db, f, by="area", event_type="seizure")
    wrong = series.assign(n=series["n"] + 1)
    with pytest.raises(compare.Mismatch):
        compare.assert_same("events_by_month", series, wrong)
    with pytest.raises(compare.Mismatch):
        compare.assert_same("events_by_month", series, series.iloc[1:])
    kpi = q.kpis(fixture_db, f, "simulated")
    with pytest.raises(compare.Mismatch):
        compare.assert_same("kpis", kpi, replace(kpi, seizures=(kpi.seizures or 0) + 1))
    compare.assert_same("events_by_month", series, series.sample(frac=1, random_state=1))  # order-free
    with pytest.raises(compare.Mismatch):  # but a page of rows keeps its order
        rows = q.events_page(fixture_db, f, 1)
        compare.assert_same("events_page", rows, rows.iloc[::-1].reset_index(drop=True))
    assert isinstance(series, pd.DataFrame)


@pytest.mark.parametrize("page", sorted(pagesets.APP_PAGES))
def test_pagesets_ask_what_the_pages_ask(page, fixture_data_dir, fixture_db, monkeypatch):
    """bench.pagesets mirrors each page by hand: fail when a page starts asking other queries."""
    import inspect

    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from lib.paths import REPO_ROOT

    monkeypatch.setenv("PISTAS_DATA_DIR", str(fixture_data_dir))
    asked: set[str] = set()

    def recorder(name, fn):
        def wrapped(*args, **kwargs):
            asked.add(f"kpis_{args[2]}" if name == "kpis" else name)
            return fn(*args, **kwargs)

        return wrapped

    for name, fn in inspect.getmembers(q, inspect.isfunction):
        if (
            not name.startswith("_")
            and fn.__module__ == q.__name__
            and list(inspect.signature(fn).parameters)[:1] == ["db"]
        ):
            monkeypatch.setattr(q, name, recorder(name, fn))
    ctx = q.data_context(fixture_db)
    for state in (ViewState(), ViewState(data="reported", areas=("VRAEM",)), ViewState(types=("seizure",))):
        asked.clear()
        st.cache_data.clear()
        at = AppTest.from_file(str(REPO_ROOT / "app.py"), default_timeout=60)
        if pagesets.APP_PAGES[page] != "app.py":
            at.switch_page(pagesets.APP_PAGES[page])
        for key, value in state.to_query().items():
            at.query_params[key] = value
        at.run()
        assert not at.exception
        _, timer = pagesets.run_page(page, fixture_db, state, ctx)
        assert asked - {"data_context", "sources_count"} == set(timer.results), state


def test_interactive_benchmark_server_times_and_payload(demo_data_dir, demo_db, monkeypatch):
    """bench.interactive's worker (a subprocess per checkout) and payload figures, on the demo build.

    The map payload is a size, not a time: the national deck of 10k demo events stays under 1.5 MB.
    """
    from bench import interactive

    monkeypatch.setenv("PISTAS_DATA_DIR", str(demo_data_dir))
    views = [{**s.to_query(), "v": demo_db.version()} for s in random_states(q.data_context(demo_db), 2, 3)]
    times = interactive.server_times({"this": interactive.REPO_ROOT}, views, rounds=2)
    assert set(times["this"]) == set(interactive.PAGES)
    assert all(figures["n"] == 2 and figures["p95"] > 0 for figures in times["this"].values())
    payload = interactive.map_payload()
    # Hexagons aggregate every located event (10k); the points view draws a repeatable sample of
    # about POINTS_DRAWN, each colour keeping its share and at least a few hundred (lib.map_view).
    from lib.map_view import POINTS_DRAWN

    assert payload["hex"]["events_drawn"] == 10_000
    assert POINTS_DRAWN <= payload["points"]["events_drawn"] < payload["hex"]["events_drawn"]
    assert payload["hex"]["deck_bytes"] < payload["points"]["deck_bytes"] < 1_500_000
