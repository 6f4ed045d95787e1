"""Tests for lib.impact (policy-impact statistics) and lib.impact_charts (their figures).

The coverage tests plant a known effect in seeded simulated series and check that the 95 %
intervals contain it in at least 90 % of 200 datasets (a little slack below 95 % for the
Monte Carlo error of 200 draws); with no planted effect they must contain 1.
"""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.stats import binomtest

from lib.i18n import IMPACT_CAVEATS as CAVEAT_TEXT
from lib.impact import (
    DiDResult,
    ImpactError,
    ITSResult,
    before_after,
    difference_in_differences,
    displacement,
    interrupted_time_series,
    route_share_shift,
)
from lib.impact_charts import (
    displacement_figure,
    event_study_figure,
    forest_figure,
    its_figure,
    placebo_figure,
    route_shift_figure,
)

POLICY = date(2015, 8, 20)  # Law 30339; policy month August 2015
N_DATASETS = 200


def _months(window: int) -> pd.DatetimeIndex:
    return pd.date_range("2015-08-01", periods=2 * window, freq="MS") - pd.DateOffset(months=window)


def its_data(seed: int, ratio: float, window: int = 30, alpha: float = 0.05) -> pd.DataFrame:
    """One area: trend, seasonality, level change `ratio` from the policy month, NB noise."""
    rng = np.random.default_rng(seed)
    months = _months(window)
    t = np.arange(2 * window) - window
    mu = 15.0 * np.exp(0.004 * t + 0.3 * np.sin(2 * np.pi * months.month / 12))
    mu = mu * np.where(t >= 0, ratio, 1.0)
    mu = rng.gamma(1 / alpha, alpha * mu)  # gamma-Poisson mixture = negative binomial
    return pd.DataFrame({"month": months, "area": "Ucayali", "n": rng.poisson(mu)})


def did_data(seed: int, ratio: float, window: int = 24) -> pd.DataFrame:
    """Treated Ucayali plus 4 controls with area levels, shared seasonality, trend and shocks."""
    rng = np.random.default_rng(seed)
    months = _months(window)
    t = np.arange(2 * window) - window
    common = 0.003 * t + 0.3 * np.sin(2 * np.pi * months.month / 12) + rng.normal(0, 0.15, t.size)
    parts = []
    for area, base in [
        ("Ucayali", 12.0),
        ("VRAEM", 20.0),
        ("Puno", 8.0),
        ("Huallaga", 15.0),
        ("Pichis-Palcazú", 10.0),
    ]:
        effect = np.where(t >= 0, ratio, 1.0) if area == "Ucayali" else 1.0
        mu = base * np.exp(common) * effect
        parts.append(pd.DataFrame({"month": months, "area": area, "n": rng.poisson(mu)}))
    return pd.concat(parts, ignore_index=True)


CONTROLS = ["VRAEM", "Puno", "Huallaga", "Pichis-Palcazú"]


def tiny(before: list[int], after: list[int], area: str = "Ucayali") -> pd.DataFrame:
    """Counts for months just before and from August 2015."""
    months = pd.date_range("2015-08-01", periods=len(after), freq="MS")
    months = months.append(pd.date_range(end="2015-07-01", periods=len(before), freq="MS"))
    return pd.DataFrame({"month": months, "area": area, "n": [*after, *before]})


# ---------------------------------------------------------------------------------------
# Planted effects: interval coverage.


# Interval coverage under AR(1), negative-binomial and the generators' own noise: tests/test_impact_coverage.py


def test_its_detects_planted_drop_and_builds_consistent_frame() -> None:
    res = interrupted_time_series(its_data(7, 0.5, alpha=0.01), POLICY, 30)
    assert isinstance(res, ITSResult)
    assert res.level_ci[1] < 1  # a halving with ~15 events a month is unmistakable
    assert res.policy_month == pd.Timestamp("2015-08-01")
    assert (res.months_before, res.months_after) == (30, 30)
    f = res.frame
    assert len(f) == 60 and f["post"].sum() == 30
    pre = f[~f["post"]]
    np.testing.assert_allclose(pre["counterfactual"], pre["fitted"])  # no policy terms before
    assert pre["cum_effect"].isna().all()
    assert res.cumulative_effect == pytest.approx(f["cum_effect"].iloc[-1])
    assert res.cumulative_ci[0] <= res.cumulative_effect <= res.cumulative_ci[1]
    assert (f["cf_low"] <= f["cf_high"]).all()
    # The same input gives the same bands: the page can cache and compare.
    again = interrupted_time_series(its_data(7, 0.5, alpha=0.01), POLICY, 30)
    pd.testing.assert_frame_equal(f, again.frame)


def test_its_short_series_drops_seasonality_with_caveat() -> None:
    res = interrupted_time_series(its_data(3, 0.6, window=12), POLICY, 12)
    assert not res.seasonality
    assert "no_seasonality" in res.caveats


def test_did_placebos_and_event_study() -> None:
    res = difference_in_differences(did_data(11, 0.5), "Ucayali", CONTROLS, POLICY, 24)
    assert isinstance(res, DiDResult)
    assert res.ci[1] < 1
    kinds = res.placebos["kind"].value_counts()
    assert kinds["space"] == len(CONTROLS)  # every control as a fake treated area
    assert kinds["time"] >= 1
    # Fake dates sit in disjoint windows before the real policy: no placebo reuses another's months.
    fakes = sorted(res.placebos.loc[res.placebos["kind"] == "time", "policy_month"])
    assert all((b - a).days > 2 * 365 // 2 for a, b in zip(fakes, fakes[1:], strict=False))
    assert "Ucayali" not in set(res.placebos.loc[res.placebos["kind"] == "space", "treated"])
    assert (res.placebos["policy_month"] <= res.policy_month).all()
    time_rows = res.placebos[res.placebos["kind"] == "time"]
    assert (time_rows["policy_month"] < res.policy_month).all()
    # A halving stands out among placebos run on data without any effect.
    assert not res.placebos["as_large"].any()
    n_time = int((res.placebos["kind"] == "time").sum())
    # The rank p-value is at its floor, and the floor is stated: with few placebos it is > 0.05.
    assert res.time_placebo_p == res.time_placebo_floor == pytest.approx(1 / (1 + n_time))
    assert res.space_placebo_floor == pytest.approx(1 / (1 + len(CONTROLS)))
    assert "placebo_floor" in res.caveats
    assert "placebo_large" not in res.caveats and "few_areas" in res.caveats
    study = res.event_study
    assert study["reference"].sum() == 1
    assert study.loc[study["reference"], "bin"].item() == -1
    assert len(study) == 16  # 8 quarters before, 8 after
    after = study[~study["lead"]]
    assert (after["rate_ratio"] < 1).mean() > 0.8
    assert 0 <= res.pretrend_p <= 1


def test_did_flags_pretrend_when_treated_already_diverging() -> None:
    data = did_data(5, 1.0)
    months = pd.to_datetime(data["month"])
    rel = (months.dt.year - 2015) * 12 + months.dt.month - 8
    treated_pre = (data["area"] == "Ucayali") & (rel < 0)
    # Treated counts climb steeply before the policy: parallel trends clearly fail.
    data.loc[treated_pre, "n"] = (data.loc[treated_pre, "n"] * np.exp(0.06 * (rel[treated_pre] + 24))).round()
    res = difference_in_differences(data, "Ucayali", CONTROLS, POLICY, 24, placebos=False)
    assert res.pretrend_p < 0.05
    assert "pretrend" in res.caveats


def test_did_drops_control_without_events() -> None:
    data = did_data(2, 0.6)
    data.loc[data["area"] == "Puno", "n"] = 0
    res = difference_in_differences(data, "Ucayali", CONTROLS, POLICY, 24, placebos=False)
    assert "Puno" not in res.control
    assert "control_dropped" in res.caveats


def test_did_large_placebo_is_flagged() -> None:
    # No real effect in Ucayali, but one control triples at the policy date. It contaminates
    # the comparison, and its own space placebo is larger than the real estimate: flagged.
    data = did_data(4, 1.0)
    months = pd.to_datetime(data["month"])
    after = months >= pd.Timestamp("2015-08-01")
    data.loc[(data["area"] == "VRAEM") & after, "n"] *= 3
    res = difference_in_differences(data, "Ucayali", CONTROLS, POLICY, 24)
    assert res.placebos["as_large"].any() and res.space_placebo_p > res.space_placebo_floor
    assert "placebo_large" in res.caveats


# ---------------------------------------------------------------------------------------
# Before / after: exact, hand-checked.


def test_before_after_rate_ratio_exact_on_tiny_fixture() -> None:
    data = tiny(before=[2, 2, 2, 2, 2], after=[6, 6, 6, 6, 6])  # 10 in 5 months, 30 in 5
    row = before_after(data, POLICY, 5).iloc[0]
    assert row["events_before"] == 10 and row["events_after"] == 30
    assert row["rate_before"] == 2.0 and row["rate_after"] == 6.0
    assert row["rate_ratio"] == 3.0
    # Exact conditional interval: given 40 events, "after" is Binomial(40, q) with
    # q = R / (R + 1) for equal exposures; Clopper-Pearson on q maps to R = q / (1 - q).
    exact = binomtest(30, 40, 0.5)
    q = exact.proportion_ci(confidence_level=0.95, method="exact")
    assert row["ci_low"] == pytest.approx(q.low / (1 - q.low), rel=1e-9)
    assert row["ci_high"] == pytest.approx(q.high / (1 - q.high), rel=1e-9)
    # By hand from the beta quantiles: Beta(30, 11) 2.5 % = 0.588038, Beta(31, 10) 97.5 % =
    # 0.873085, so R = 0.588038 / 0.411962 = 1.4274 and 0.873085 / 0.126915 = 6.8793.
    assert row["ci_low"] == pytest.approx(1.4274, abs=1e-4)
    assert row["ci_high"] == pytest.approx(6.8793, abs=1e-4)
    assert row["p_value"] == pytest.approx(exact.pvalue, rel=1e-9)
    assert row["note"] == ""


def test_before_after_unequal_exposure_after_clipping() -> None:
    # 4 months before (Apr-Jul), 2 after (Aug-Sep) in the data; window 4 is clipped after.
    data = tiny(before=[3, 3, 3, 3], after=[1, 2])
    table = before_after(data, POLICY, 4)
    row = table.iloc[0]
    assert (row["months_before"], row["months_after"]) == (4, 2)
    assert row["rate_ratio"] == pytest.approx((3 / 2) / (12 / 4))
    # q = R*2 / (R*2 + 4)  =>  R = q / (1 - q) * 4 / 2
    q = binomtest(3, 15).proportion_ci(method="exact")
    assert row["ci_low"] == pytest.approx(q.low / (1 - q.low) * 2, rel=1e-9)
    assert row["ci_high"] == pytest.approx(q.high / (1 - q.high) * 2, rel=1e-9)
    assert "window_past_data" in row["caveats"] and "few_events" in row["caveats"]
    assert "window_past_data" in table.attrs["caveats"]


def test_before_after_zero_before_is_nan_with_note() -> None:
    data = pd.concat([tiny([0, 0, 0], [1, 2, 0], "Puno"), tiny([4, 5, 6], [3, 3, 3])])
    table = before_after(data, POLICY, 3).set_index("area")
    assert math.isnan(table.loc["Puno", "rate_ratio"])
    assert "undefined" in table.loc["Puno", "note"]
    assert "zero_before" in table.loc["Puno", "caveats"]
    assert table.loc["Ucayali", "rate_ratio"] == pytest.approx(9 / 15)
    # An area asked for but absent from the data is all zeros, not an error.
    extra = before_after(data, POLICY, 3, areas=["Ucayali", "VRAEM"]).set_index("area")
    assert extra.loc["VRAEM", "events_before"] == 0 and math.isnan(extra.loc["VRAEM", "rate_ratio"])


def test_missing_months_are_zero_and_coverage_extends_them() -> None:
    sparse = pd.DataFrame(
        {"month": pd.to_datetime(["2015-05-01", "2015-09-01"]), "area": "Ucayali", "n": [6, 2]}
    )
    row = before_after(sparse, POLICY, 3, coverage=(date(2015, 4, 1), date(2015, 12, 1))).iloc[0]
    assert (row["months_before"], row["months_after"]) == (3, 3)
    assert row["events_before"] == 6 and row["events_after"] == 2
    assert "window_past_data" not in row["caveats"]


# ---------------------------------------------------------------------------------------
# Edge cases: ImpactError with a useful message, never another exception.


def test_zero_events_raise() -> None:
    data = tiny([0] * 6, [0] * 6)
    with pytest.raises(ImpactError, match="no events") as err:
        before_after(data, POLICY, 6)
    assert err.value.code == "no_events"
    with pytest.raises(ImpactError, match="no events"):
        interrupted_time_series(data, POLICY, 6)
    with pytest.raises(ImpactError, match="no events"):
        displacement(data, POLICY, 6)


def test_its_zero_events_on_one_side_raise() -> None:
    with pytest.raises(ImpactError, match="no events in Ucayali in the 6 months before") as err:
        interrupted_time_series(tiny([0] * 6, [3] * 6), POLICY, 6)
    assert err.value.code == "no_events_before"
    with pytest.raises(ImpactError, match="drop to zero"):
        interrupted_time_series(tiny([3] * 6, [0] * 6), POLICY, 6)


def test_did_needs_a_control() -> None:
    data = did_data(0, 0.6)
    with pytest.raises(ImpactError, match="at least one comparison area") as err:
        difference_in_differences(data, "Ucayali", [], POLICY, 24)
    assert err.value.code == "no_control"
    with pytest.raises(ImpactError, match="comparison area"):
        difference_in_differences(data, "Ucayali", ["Ucayali"], POLICY, 24)
    only_one = data[data["area"] == "Ucayali"]
    with pytest.raises(ImpactError, match="None of the comparison areas"):
        difference_in_differences(only_one, "Ucayali", ["VRAEM"], POLICY, 24)


def test_window_outside_data_raises_with_both_spans() -> None:
    data = its_data(0, 1.0)  # Feb 2013 - Jan 2018
    with pytest.raises(ImpactError) as err:
        before_after(data, date(2025, 3, 1), 12)
    assert err.value.code == "window_outside_data"
    assert str(err.value) == (
        "The window runs from Mar 2024 to Feb 2026, but the data covers Feb 2013 to Jan 2018."
    )


@pytest.mark.parametrize(
    ("policy", "code", "fragment"),
    [
        (date(2013, 8, 14), "no_before", "Aug 2013 is at or before the start"),  # first month
        (date(2013, 5, 1), "no_before", "no before period"),  # before the data, window overlaps
        (date(2017, 7, 31), "too_few_months", r"1 month\(s\) after the policy month Jul 2017"),
    ],
)
def test_policy_at_edge_of_data_raises(policy: date, code: str, fragment: str) -> None:
    data = did_data(0, 1.0)  # Aug 2013 - Jul 2017
    calls = (
        lambda: before_after(data, policy, 12),
        lambda: displacement(data, policy, 12),
        lambda: interrupted_time_series(data, policy, 12, area="Ucayali"),
        lambda: difference_in_differences(data, "Ucayali", CONTROLS, policy, 12),
    )
    for call in calls:
        with pytest.raises(ImpactError, match=fragment) as err:
            call()
        assert err.value.code == code


def test_policy_at_last_month_raises() -> None:
    data = its_data(0, 1.0)  # last month Jan 2018
    with pytest.raises(ImpactError, match=r"1 month\(s\) after the policy month Jan 2018") as e:
        before_after(data, date(2018, 1, 9), 12)
    assert e.value.code == "too_few_months"


def test_too_few_months_for_its() -> None:
    data = tiny([3, 4, 5, 4], [2, 3, 2, 1])
    with pytest.raises(ImpactError, match="needs at least 6 on each side") as err:
        interrupted_time_series(data, POLICY, 4)
    assert err.value.code == "too_few_months"


def test_too_few_events_for_its() -> None:
    data = tiny([0, 1, 0, 0, 0, 0], [2, 3, 0, 1, 4, 2])
    with pytest.raises(ImpactError, match="Only 1 event") as err:
        interrupted_time_series(data, POLICY, 6)
    assert err.value.code == "too_few_events"


def test_its_accepts_a_bare_series_without_area() -> None:
    res = interrupted_time_series(its_data(2, 0.6).drop(columns="area"), POLICY, 30, n_sim=100)
    assert res.area is None
    assert res.effect_ci[0] < res.effect < res.effect_ci[1]


def test_bad_input_raises_impact_error() -> None:
    with pytest.raises(ImpactError, match="lacks column"):
        before_after(pd.DataFrame({"month": [], "n": []}), POLICY, 3)
    with pytest.raises(ImpactError, match="empty"):
        before_after(pd.DataFrame({"month": [], "area": [], "n": []}), POLICY, 3)
    with pytest.raises(ImpactError, match="non-negative"):
        before_after(tiny([1, -2, 3], [1, 1, 1]), POLICY, 3)
    with pytest.raises(ImpactError, match="window must be"):
        before_after(tiny([1, 2, 3], [1, 1, 1]), POLICY, 0)
    with pytest.raises(ImpactError, match="choose one with area="):
        interrupted_time_series(did_data(0, 1.0), POLICY, 24)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    counts=st.lists(st.integers(0, 4), min_size=4, max_size=30),
    n_areas=st.integers(1, 3),
    offset=st.integers(-3, 32),
    window=st.integers(1, 14),
)
def test_only_impact_errors_escape(counts: list[int], n_areas: int, offset: int, window: int) -> None:
    months = pd.date_range("2014-01-01", periods=len(counts), freq="MS")
    areas = ["VRAEM", "Puno", "Ucayali"][:n_areas]
    data = pd.concat(
        [pd.DataFrame({"month": months, "area": a, "n": np.roll(counts, i)}) for i, a in enumerate(areas)],
        ignore_index=True,
    )
    policy = (pd.Timestamp("2014-01-15") + pd.DateOffset(months=offset)).date()
    calls = [
        lambda: before_after(data, policy, window),
        lambda: displacement(data, policy, window),
        lambda: interrupted_time_series(data, policy, window, area="VRAEM", n_sim=100),
        lambda: difference_in_differences(data, "VRAEM", areas[1:], policy, window),
    ]
    for call in calls:
        try:
            call()
        except ImpactError as exc:
            assert str(exc) and exc.code


# ---------------------------------------------------------------------------------------
# Shares.


def test_displacement_shares_sum_to_one_and_match_counts() -> None:
    data = pd.concat(
        [tiny([5, 5], [1, 1], "Ucayali"), tiny([3, 2], [6, 6], "VRAEM"), tiny([1, 4], [2, 2], "Puno")]
    )
    table = displacement(data, POLICY, 2).set_index("area")
    assert table["share_before"].sum() == pytest.approx(1.0)
    assert table["share_after"].sum() == pytest.approx(1.0)
    assert table.loc["Ucayali", "share_before"] == pytest.approx(10 / 20)
    assert table.loc["Ucayali", "share_after"] == pytest.approx(2 / 18)
    assert table.loc["Ucayali", "change"] == pytest.approx(2 / 18 - 10 / 20)
    assert (table["share_before_low"] <= table["share_before"]).all()
    assert (table["share_after"] <= table["share_after_high"]).all()
    assert (table["change_low"] <= table["change"]).all()
    assert (table["change"] <= table["change_high"]).all()


def test_route_share_shift_known_shift() -> None:
    rows = []
    for month, before in [
        ("2015-06-01", True),
        ("2015-07-01", True),
        ("2015-08-01", False),
        ("2015-09-01", False),
    ]:
        air, land = (20, 5) if before else (5, 20)
        rows += [
            (month, "Ucayali", "air", air),
            (month, "Ucayali", "land", land),
            (month, "Puno", "air", 10),
            (month, "Puno", "river", 10),
        ]
    data = pd.DataFrame(rows, columns=["month", "area", "route", "n"])
    table = route_share_shift(data, POLICY, 2)
    uc = table[table["area"] == "Ucayali"].set_index("route")
    assert uc.loc["air", "share_before"] == pytest.approx(0.8)
    assert uc.loc["air", "share_after"] == pytest.approx(0.2)
    assert uc.loc["air", "change"] == pytest.approx(-0.6)
    assert uc.loc["land", "change"] == pytest.approx(0.6)
    assert uc.loc["air", "change_high"] < 0 < uc.loc["land", "change_low"]
    assert uc.loc["air", "p_value"] < 0.001
    for _, part in table.groupby("area"):
        assert part["share_before"].sum() == pytest.approx(1.0)
        assert part["share_after"].sum() == pytest.approx(1.0)
    puno = table[table["area"] == "Puno"].set_index("route")
    assert puno.loc["air", "change"] == pytest.approx(0.0)
    assert puno.loc["air", "change_low"] < 0 < puno.loc["air", "change_high"]


# ---------------------------------------------------------------------------------------
# Plain language.


def test_every_caveat_has_both_languages() -> None:
    for code, texts in CAVEAT_TEXT.items():
        assert set(texts) == {"en", "es"}, code
        assert all(t.strip() for t in texts.values()), code


# ---------------------------------------------------------------------------------------
# Charts.


@pytest.fixture(scope="module")
def results() -> dict[str, object]:
    did_frame = did_data(1, 0.6)
    return {
        "its": interrupted_time_series(its_data(1, 0.6), POLICY, 30, n_sim=200),
        "did": difference_in_differences(did_frame, "Ucayali", CONTROLS, POLICY, 24),
        "displacement": displacement(did_frame, POLICY, 24),
        "before_after": before_after(did_frame, POLICY, 24),
        "routes": route_share_shift(
            did_frame.assign(route=np.where(did_frame.index % 2 == 0, "air", "land")), POLICY, 24
        ),
    }


def _simulated_notes(fig) -> list:
    return [a for a in fig.layout.annotations if a.name == "simulated"]


def test_its_figure_has_three_linked_panels(results) -> None:
    labels = {"title": "Ucayali", "simulated": "datos simulados"}
    fig = its_figure(results["its"], labels, simulated=True)
    assert len(fig.data) == 7
    assert {tr.yaxis for tr in fig.data} == {"y", "y2", "y3"}
    assert fig.layout.xaxis.matches == "x3" or fig.layout.xaxis2.matches == "x3"
    assert len([s for s in fig.layout.shapes if s.type == "line" and s.x0 == s.x1]) == 3
    notes = _simulated_notes(fig)
    assert len(notes) == 1 and notes[0].text == "datos simulados"
    assert fig.layout.title.text == "Ucayali"
    assert not _simulated_notes(its_figure(results["its"], labels, simulated=False))


@pytest.mark.parametrize(
    ("build", "key", "traces"),
    [
        (event_study_figure, "did", 3),
        (placebo_figure, "did", 3),
        (displacement_figure, "displacement", 3),
        (route_shift_figure, "routes", 3),
        (forest_figure, "before_after", 1),
    ],
)
def test_figures_build_with_expected_traces(results, build, key, traces) -> None:
    fig = build(results[key], {"title": "t", "simulated": "simulated data"}, simulated=True)
    assert len(fig.data) == traces
    assert [a.text for a in _simulated_notes(fig)] == ["simulated data"]
    assert not _simulated_notes(build(results[key], {}, simulated=False))
    fig.to_json()  # serialisable: no numpy or pandas objects plotly cannot encode


def test_placebo_figure_marks_real_estimate(results) -> None:
    fig = placebo_figure(results["did"], {"real": "Real"})
    real = fig.data[2]
    assert real.x[0] == pytest.approx(results["did"].rate_ratio)
    assert any(s.x0 == pytest.approx(results["did"].rate_ratio) for s in fig.layout.shapes)
    assert len(fig.data[0].x) + len(fig.data[1].x) == len(results["did"].placebos)


def test_every_impact_error_code_has_a_spanish_text():
    import re
    from pathlib import Path

    from lib import impact
    from lib.i18n import IMPACT_ERRORS_ES, error_text

    source = "".join(p.read_text(encoding="utf-8") for p in Path(impact.__file__).parent.glob("*.py"))
    codes = set(re.findall(r'ImpactError\(\s*"([a-z_]+)"', source))
    codes |= set(re.findall(r'Attempt\([^,]+, None, "([a-z_]+)"', source))  # reasons design.py gives itself
    assert len(codes) >= 15
    assert codes <= set(IMPACT_ERRORS_ES), codes - set(IMPACT_ERRORS_ES)
    assert error_text("no_control", "English detail.", "en") == "English detail."
    assert error_text("no_control", "English detail.", "es").startswith("La diferencia en diferencias")
    assert error_text("new_code", "English detail.", "es") == "English detail."  # never blank
