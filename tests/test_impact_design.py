"""The page's default design against the effects the demo generator plants (lib.simulate), the
control screening, sparse reported series, the reading, and an independent DiD implementation."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from lib import simulate
from lib.impact import ImpactError, difference_in_differences, interrupted_time_series, policy_study, reading
from tests.conftest import ROOT

POLICY = date(2015, 8, 20)  # Law 30339
COVERAGE = (date(simulate.FIRST_YEAR, 1, 1), date(simulate.LAST_YEAR, 12, 1))


@pytest.fixture(scope="module")
def demo_monthly() -> pd.DataFrame:
    """The demo events (default seed and scale) as month × area × event type counts."""
    chunks = [c for _, c in simulate.generate(places_csv=ROOT / "data" / "sourced" / "places.csv")]
    events = pd.concat(chunks, ignore_index=True)
    events["month"] = pd.to_datetime(events["date"]).dt.to_period("M").dt.to_timestamp()
    return events.groupby(["event_type", "month", "area"]).size().rename("n").reset_index()


def _counts(monthly: pd.DataFrame, metric: str) -> pd.DataFrame:
    return monthly.loc[monthly["event_type"] == metric, ["month", "area", "n"]]


def _inside(truth: float, ci: tuple[float, float]) -> bool:
    return ci[0] <= truth <= ci[1]


@pytest.mark.parametrize("metric", ["airstrip_destroyed", "flight_detected"])
def test_default_design_recovers_the_planted_vraem_effect(demo_monthly, metric):
    counts = _counts(demo_monthly, metric)
    intervals = {}
    for window in (12, 24, 36):
        study = policy_study(counts, ["VRAEM"], [], POLICY, window, coverage=COVERAGE, sensitivity=False)
        a = study.treated_effect.result
        truth = simulate.planted_effect("VRAEM", metric, window)
        assert truth < 0.6  # the demo plants a clear fall
        assert _inside(truth, a.effect_ci), (window, truth, a.effect, a.effect_ci)
        assert a.effect_ci[1] < 1  # and the default design sees it
        intervals[window] = a.effect_ci
        net_truth = simulate.planted_effect(simulate.SIM_AREAS, metric, window)
        assert _inside(net_truth, study.net.result.effect_ci), (window, net_truth, study.net.result.effect_ci)
    # Windows 12, 24 and 36 tell one story: their intervals overlap.
    lo = max(ci[0] for ci in intervals.values())
    hi = min(ci[1] for ci in intervals.values())
    assert lo <= hi, intervals


def test_receiving_areas_show_displacement_and_the_clean_control_does_not(demo_monthly):
    counts = _counts(demo_monthly, "flight_detected")
    study = policy_study(counts, ["VRAEM"], [], POLICY, 36, coverage=COVERAGE, sensitivity=False)
    others = {o.label: o.result for o in study.others}
    for area in ("Pichis-Palcazú", "Ucayali"):
        truth = simulate.planted_effect(area, "flight_detected", 36)
        assert truth > 1.5 and _inside(truth, others[area].effect_ci), (area, truth, others[area].effect_ci)
    assert simulate.planted_effect("Huallaga", "flight_detected", 36) == pytest.approx(1.0)
    assert _inside(1.0, others["Huallaga"].effect_ci)
    # Areas that receive the displaced flights are never the default comparison.
    assert "Huallaga" in study.control
    assert {"Pichis-Palcazú", "Ucayali"} <= set(study.control_moved)
    assert not {"Pichis-Palcazú", "Ucayali"} & set(study.control)
    did = study.did.result
    assert _inside(simulate.planted_effect("VRAEM", "flight_detected", 36), did.ci)


def test_a_moved_control_named_by_the_user_is_kept_with_a_caveat(demo_monthly):
    counts = _counts(demo_monthly, "flight_detected")
    study = policy_study(counts, ["VRAEM"], ["Ucayali"], POLICY, 36, coverage=COVERAGE, sensitivity=False)
    assert study.control == ("Ucayali",) and study.control_forced == ("Ucayali",)
    assert "control_moved" in study.did.result.caveats
    # The contaminated comparison exaggerates the fall: its estimate is below the truth.
    assert study.did.result.rate_ratio < simulate.planted_effect("VRAEM", "flight_detected", 36)


def test_planted_effect_is_one_without_the_policy_and_for_other_policies():
    assert simulate.planted_effect("VRAEM", "seizure", 24, policy_id="us-peru-agreement-2023") == 1.0
    months = pd.date_range("2015-08-01", periods=24, freq="MS")
    with_law = simulate.monthly_rates("VRAEM", months, policy=True)["flight_detected"].sum()
    without = simulate.monthly_rates("VRAEM", months, policy=False)["flight_detected"].sum()
    assert simulate.planted_effect("VRAEM", "flight_detected", 24) == pytest.approx(with_law / without)


def test_window_sensitivity_scan(demo_monthly):
    study = policy_study(
        _counts(demo_monthly, "flight_detected"), ["VRAEM"], [], POLICY, 24, coverage=COVERAGE
    )
    scan = study.sensitivity
    assert set(scan["design"]) == {"its", "did"}
    assert set(scan["window"]) == {6, 12, 18, 24, 36, 48, 60}
    assert ((scan["ci_low"] <= scan["estimate"]) & (scan["estimate"] <= scan["ci_high"])).all()
    its24 = scan[(scan["design"] == "its") & (scan["window"] == 24)].iloc[0]
    assert its24["estimate"] == pytest.approx(study.treated_effect.result.effect)


def test_sparse_reported_series_is_refused_not_zero_filled():
    reports = pd.DataFrame(
        {
            "month": pd.to_datetime(["2014-03-01", "2014-09-01", "2016-05-01", "2017-01-01"]),
            "area": "VRAEM",
            "n": [185.0, 16.0, 23.0, 40.0],
        }
    )
    with pytest.raises(ImpactError) as err:
        interrupted_time_series(
            reports, POLICY, 24, absent="missing", coverage=(date(2013, 8, 1), date(2017, 7, 1))
        )
    assert err.value.code == "sparse_series" and "4 of the 48 months" in err.value.message
    # Read as zeros (the old behaviour) the same rows give a number: the refusal is what matters.
    assert np.isfinite(
        interrupted_time_series(
            reports, POLICY, 24, coverage=(date(2013, 8, 1), date(2017, 7, 1)), bands=False
        ).effect
    )


def test_non_convergence_is_an_error_not_a_caveat():
    # A treated area whose events stop dead while the controls go on: the Poisson MLE runs off.
    months = pd.date_range("2013-08-01", periods=48, freq="MS")
    rows = [
        pd.DataFrame({"month": months, "area": "Huallaga", "n": 10.0}),
        pd.DataFrame({"month": months, "area": "VRAEM", "n": np.r_[np.full(24, 8.0), np.zeros(23), 1.0]}),
    ]
    try:
        res = difference_in_differences(pd.concat(rows), "VRAEM", ["Huallaga"], POLICY, 24, placebos=False)
    except ImpactError as exc:
        assert exc.code in {"model_failed", "too_sparse"}
    else:  # if it converges, the estimate must at least be finite and far below 1
        assert np.isfinite(res.ci).all() and res.rate_ratio < 0.05


def test_reading_calls_an_interval_with_one_inconclusive_in_both_languages(demo_monthly):
    study = policy_study(
        _counts(demo_monthly, "seizure"), ["VRAEM"], [], POLICY, 12, coverage=COVERAGE, sensitivity=False
    )
    en = reading.reading(study, "en", event_label="seizures")
    es = reading.reading(study, "es", event_label="decomisos")
    net = study.net.result
    if net.effect_ci[0] <= 1 <= net.effect_ci[1]:
        assert "inconclusive" in en[2] and "no concluyente" in es[2]
    assert en[0].startswith("**(a) In VRAEM:**") and es[0].startswith("**(a) En el VRAEM:**")
    assert "," in reading.number(0.47, "es") and reading.number(0.47, "en") == "0.47"
    assert reading.verdict((0.8, 1.2), "en").startswith("inconclusive")
    assert reading.verdict((0.2, 0.9), "es") == "una caída"


def test_did_point_estimate_matches_pyfixest(demo_monthly):
    """An independent implementation (pyfixest fepois, area and month fixed effects)."""
    pf = pytest.importorskip("pyfixest")
    counts = _counts(demo_monthly, "flight_detected")
    ours = difference_in_differences(
        counts,
        "VRAEM",
        ["Huallaga", "Puno"],
        POLICY,
        24,
        placebos=False,
        coverage=COVERAGE,
        diagnostics=False,
    )
    rows = counts[
        counts["area"].isin(["VRAEM", "Huallaga", "Puno"])
        & (counts["month"] >= "2013-08-01")
        & (counts["month"] <= "2017-07-01")
    ].copy()
    grid = pd.MultiIndex.from_product(
        [sorted(rows["area"].unique()), sorted(rows["month"].unique())], names=["area", "month"]
    )
    rows = rows.set_index(["area", "month"])["n"].reindex(grid, fill_value=0).reset_index()
    rows["treat_post"] = ((rows["area"] == "VRAEM") & (rows["month"] >= "2015-08-01")).astype(float)
    rows["month_id"] = rows["month"].dt.strftime("%Y-%m")
    fit = pf.fepois("n ~ treat_post | area + month_id", data=rows)
    assert np.exp(fit.coef()["treat_post"]) == pytest.approx(ours.rate_ratio, rel=1e-4)
