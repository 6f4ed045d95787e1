"""Difference in differences: treated areas against comparison areas the policy did not move.

Model: log E[y_at] = area_a + month_t + d·(treated_a × after_t), Poisson mean model; month
effects absorb seasonality and shocks shared by all areas. Intervals come from
:func:`lib.impact.inference.fit_counts` (serial correlation within each area, overdispersion);
cluster-robust errors by area would need dozens of areas, and there are five.

The design is only as good as its controls: a control that itself receives the displaced
activity makes the treated area's fall look larger than it is. lib.impact.design screens the
candidates first; this module estimates, tests pre-trends and runs the placebos.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from lib.impact.inference import CountFit, fit_counts, point_estimate, require_identified
from lib.impact.periods import ALPHA, FEW_EVENTS, ImpactError, _label, _prepare, _ts, _Window

DID_MIN_SIDE_MONTHS = 3  # at least one event-study bin on each side
PRETREND_MIN_MONTHS = 6  # a linear differential trend needs a few months before


@dataclass(frozen=True, eq=False)
class DiDResult:
    """Treated vs control areas, before vs after, as a rate ratio.

    ``rate_ratio``: how much more (>1) or less (<1) the treated areas' counts changed than the
    controls'. ``event_study``: one row per bin (``bin_months`` months; bin 0 starts at the
    policy month, bin -1 is the reference) with bin, month_start, rel_start, rel_end,
    rate_ratio, ci_low, ci_high, reference, lead. Pre-trend tests: ``pretrend_p`` (joint F test
    that all leads are 1) and ``pretrend_linear_p`` (1-df test of a linear treated-vs-control
    trend before the policy). ``placebos``: kind ("time"/"space"), label, policy_month, treated,
    rate_ratio, as_large (|log| ≥ the real one's). Rank p-values, each with its floor
    1/(1 + number of placebos), are given apart for time and space placebos.
    """

    treated: tuple[str, ...]
    control: tuple[str, ...]
    policy_month: pd.Timestamp
    window_start: pd.Timestamp
    window_end: pd.Timestamp
    months_before: int
    months_after: int
    rate_ratio: float
    ci: tuple[float, float]
    p_value: float
    dispersion: float
    lag1: float
    correlation: tuple[float, float]
    event_study: pd.DataFrame
    pretrend_p: float
    pretrend_linear_p: float
    placebos: pd.DataFrame
    time_placebo_p: float
    time_placebo_floor: float
    space_placebo_p: float
    space_placebo_floor: float
    caveats: tuple[str, ...]


@dataclass(frozen=True)
class _Core:
    rate_ratio: float
    ci: tuple[float, float]
    p_value: float
    fit: CountFit
    control: tuple[str, ...]
    dropped: tuple[str, ...]


def difference_in_differences(
    counts: pd.DataFrame,
    treated: str | Sequence[str],
    control: Sequence[str],
    policy_date: date,
    window: int,
    *,
    bin_months: int = 3,
    placebos: bool = True,
    diagnostics: bool = True,
    coverage: tuple[date, date] | None = None,
    absent: str = "zero",
    correlation: tuple[float, float] | None = None,
) -> DiDResult:
    """Difference in differences of ``treated`` against ``control`` (see the module docstring).

    ``diagnostics=False`` skips the event study and the pre-trend tests. Control areas with no
    events in the window are dropped (``"control_dropped"``). Caveats:
    ``"pretrend"`` when either pre-trend test has p < 0.05, ``"few_areas"`` always below ten
    areas (the intervals then rest on the model, not on many independent areas).
    """
    treated_t = (treated,) if isinstance(treated, str) else tuple(dict.fromkeys(treated))
    control_t = tuple(dict.fromkeys(c for c in control if c not in treated_t))
    if not treated_t:
        raise ImpactError("no_treated", "Choose at least one treated area.")
    if not control_t:
        raise ImpactError(
            "no_control",
            "A difference-in-differences needs at least one comparison area besides the treated one "
            f"({', '.join(treated_t)}).",
        )
    if not isinstance(bin_months, int) or bin_months < 1:
        raise ImpactError("bad_input", "bin_months must be a whole number ≥ 1.")
    panel, win = _prepare(
        counts,
        policy_date,
        window,
        coverage,
        DID_MIN_SIDE_MONTHS,
        areas=[*treated_t, *control_t],
        full=True,
        absent=absent,
    )
    caveats: list[str] = ["window_past_data"] if win.clipped else []
    core = _core(panel, treated_t, control_t, win.policy, win.start, win.end, correlation=correlation)
    corr = (core.fit.corr_share, core.fit.corr_decay)
    if core.dropped:
        caveats.append("control_dropped")
    in_window = panel[(panel["m"] >= win.start) & (panel["m"] <= win.end) & panel["area"].isin(treated_t)]
    before = in_window.loc[in_window["m"] < win.policy, "n"].sum()
    after = in_window.loc[in_window["m"] >= win.policy, "n"].sum()
    if min(before, after) < FEW_EVENTS:
        caveats.append("few_events")
    caveats.append("few_areas")
    if diagnostics:
        study, pretrend_p, study_caveats = _event_study(panel, treated_t, core.control, win, bin_months, corr)
        linear_p = _linear_pretrend(panel, treated_t, core.control, win, corr)
    else:  # the window-sensitivity scan needs only the estimate
        study, pretrend_p, study_caveats, linear_p = pd.DataFrame(), math.nan, [], math.nan
    caveats += study_caveats
    if min(_nan_to(pretrend_p, 1.0), _nan_to(linear_p, 1.0)) < ALPHA:
        caveats.append("pretrend")
    rows = []
    if placebos:
        rows = _time_placebos(panel, treated_t, core.control, win, int(window)) + _space_placebos(
            panel, core.control, win
        )
    table = pd.DataFrame(rows, columns=["kind", "label", "policy_month", "treated", "rate_ratio"])
    real = abs(math.log(core.rate_ratio))
    table["as_large"] = np.abs(np.log(table["rate_ratio"].astype(float))) >= real
    time_p, time_floor = _rank_p(table[table["kind"] == "time"])
    space_p, space_floor = _rank_p(table[table["kind"] == "space"])
    if placebos and (not math.isfinite(time_floor) or time_floor > ALPHA):
        caveats.append("placebo_floor")
    if bool(table["as_large"].any()):
        caveats.append("placebo_large")
    return DiDResult(
        treated=treated_t,
        control=core.control,
        policy_month=_ts(win.policy),
        window_start=_ts(win.start),
        window_end=_ts(win.end),
        months_before=win.months_before,
        months_after=win.months_after,
        rate_ratio=core.rate_ratio,
        ci=core.ci,
        p_value=core.p_value,
        dispersion=core.fit.dispersion,
        lag1=core.fit.lag1,
        correlation=corr,
        event_study=study,
        pretrend_p=pretrend_p,
        pretrend_linear_p=linear_p,
        placebos=table,
        time_placebo_p=time_p,
        time_placebo_floor=time_floor,
        space_placebo_p=space_p,
        space_placebo_floor=space_floor,
        caveats=tuple(dict.fromkeys(caveats)),
    )


def _nan_to(x: float, default: float) -> float:
    return default if not math.isfinite(x) else x


def _rank_p(rows: pd.DataFrame) -> tuple[float, float]:
    """(1 + placebos as large as the real estimate) / (1 + placebos), and its floor 1/(1 + k)."""
    k = len(rows)
    if k == 0:
        return math.nan, math.nan
    return (1 + int(rows["as_large"].sum())) / (1 + k), 1 / (1 + k)


def _rows(panel: pd.DataFrame, treated: tuple[str, ...], control: tuple[str, ...], start: int, end: int):
    """Panel rows in [start, end] for the areas used, without all-zero control areas."""
    rows = panel[(panel["m"] >= start) & (panel["m"] <= end) & panel["area"].isin([*treated, *control])]
    totals = rows.groupby("area")["n"].sum()
    dropped = tuple(c for c in control if totals.get(c, 0.0) == 0)
    kept = tuple(c for c in control if c not in dropped)
    if not kept:
        raise ImpactError(
            "no_control_events",
            f"None of the comparison areas ({', '.join(control)}) has any events between {_label(start)} "
            f"and {_label(end)}.",
        )
    rows = rows[rows["area"].isin([*treated, *kept])]
    # Months with no event anywhere carry no information once month effects are in the model
    # (their effect would go to minus infinity); dropping them is exact for Poisson.
    month_totals = rows.groupby("m")["n"].transform("sum")
    return rows[month_totals > 0], kept, dropped


def _fe_design(rows: pd.DataFrame, extra: np.ndarray) -> np.ndarray:
    """[extra columns | one dummy per area | one per month but the first]."""
    area_codes = pd.factorize(rows["area"])[0]
    month_codes = pd.factorize(rows["m"], sort=True)[0]
    areas = np.eye(area_codes.max() + 1)[area_codes]
    months = np.eye(month_codes.max() + 1)[month_codes][:, 1:]
    return np.column_stack([extra, areas, months])


def _check_sides(y, is_treated, is_post, names, kept, policy, start, end) -> None:
    if y[is_treated & ~is_post].sum() == 0:
        raise ImpactError(
            "no_events_before",
            f"{names} has no events between {_label(start)} and {_label(policy - 1)}, so its change "
            "cannot be measured.",
        )
    if y[is_treated & is_post].sum() == 0:
        raise ImpactError(
            "no_events_after",
            f"{names} has no events between {_label(policy)} and {_label(end)}; the model cannot estimate "
            "a drop to zero (use the before/after comparison instead).",
        )
    for side, when in ((~is_post, f"before {_label(policy)}"), (is_post, f"from {_label(policy)} on")):
        if y[~is_treated & side].sum() == 0:
            raise ImpactError(
                "no_control_events",
                f"The comparison areas ({', '.join(kept)}) have no events {when} (window {_label(start)} "
                f"to {_label(end)}), so there is nothing to compare with.",
            )


def _core(panel, treated, control, policy: int, start: int, end: int, robust: bool = True, correlation=None):
    """The DiD estimate; with ``robust=False`` only its point value (for placebos)."""
    rows, kept, dropped = _rows(panel, treated, control, start, end)
    is_treated = rows["area"].isin(treated).to_numpy()
    is_post = (rows["m"] >= policy).to_numpy()
    y = rows["n"].to_numpy(dtype=float)
    _check_sides(y, is_treated, is_post, ", ".join(treated), kept, policy, start, end)
    x = _fe_design(rows, (is_treated & is_post).astype(float)[:, None])
    if not robust:
        return math.exp(point_estimate(y, x, 0))
    fit = fit_counts(y, x, rows["area"].to_numpy(), rows["m"].to_numpy(), correlation)
    require_identified(fit, [0], "difference between treated and comparison areas")
    ratio, ci, p = fit.ratio(0)
    return _Core(ratio, ci, p, fit, kept, dropped)


def _bin_row(b: int, win: _Window, bin_months: int, ratio: float, low: float, high: float, reference: bool):
    first = max(win.policy + b * bin_months, win.start)
    last = min(win.policy + (b + 1) * bin_months - 1, win.end)
    return {
        "bin": b,
        "month_start": _ts(first),
        "rel_start": first - win.policy,
        "rel_end": last - win.policy,
        "rate_ratio": ratio,
        "ci_low": low,
        "ci_high": high,
        "reference": reference,
        "lead": b < 0,
    }


def _event_study(panel, treated, control, win: _Window, bin_months: int, corr):
    rows, _, _ = _rows(panel, treated, control, win.start, win.end)
    caveats: list[str] = []
    is_treated = rows["area"].isin(treated).to_numpy()
    bins = np.floor_divide(rows["m"].to_numpy() - win.policy, bin_months)
    y = rows["n"].to_numpy(dtype=float)
    all_bins = sorted(
        set(np.floor_divide(np.arange(win.start, win.end + 1) - win.policy, bin_months).tolist())
    )
    no_treated = {b for b in all_bins if y[is_treated & (bins == b)].sum() == 0}
    no_control = {b for b in all_bins if y[~is_treated & (bins == b)].sum() == 0}
    empty = no_treated | no_control
    # A bin where the treated area has no events has an estimate of minus infinity: drop its
    # treated rows (exact at the MLE); a bin where the controls have none has no comparison.
    if empty:
        caveats.append("sparse_bins")
    keep = ~((is_treated & np.isin(bins, list(no_treated))) | np.isin(bins, list(no_control)))
    rows, is_treated, bins, y = rows[keep], is_treated[keep], bins[keep], y[keep]
    pre_bins = [b for b in all_bins if b < 0 and b not in empty]
    nan = math.nan
    if not pre_bins:
        empty_rows = [_bin_row(b, win, bin_months, nan, nan, nan, False) for b in all_bins]
        return pd.DataFrame(empty_rows), nan, [*caveats, "no_pretrend_test"]
    reference = -1 if -1 in pre_bins else max(pre_bins)
    estimated = [b for b in all_bins if b != reference and b not in empty]
    extra = (
        np.column_stack([(is_treated & (bins == b)).astype(float) for b in estimated])
        if estimated
        else np.empty((len(y), 0))
    )
    fit = fit_counts(y, _fe_design(rows, extra), rows["area"].to_numpy(), rows["m"].to_numpy(), corr)
    out = []
    for b in all_bins:
        ratio, low, high = nan, nan, nan
        if b == reference:
            ratio = 1.0
        elif b in estimated:
            ratio, (low, high), _ = fit.ratio(estimated.index(b))
        out.append(_bin_row(b, win, bin_months, ratio, low, high, b == reference))
    leads = [i for i, b in enumerate(estimated) if b < 0]
    pretrend_p = fit.wald_f(leads) if leads else nan
    if not leads:
        caveats.append("no_pretrend_test")
    return pd.DataFrame(out), pretrend_p, caveats


def _linear_pretrend(panel, treated, control, win: _Window, corr) -> float:
    """p-value of a linear treated-vs-control trend in the months before the policy (1 df)."""
    if win.months_before < PRETREND_MIN_MONTHS:
        return math.nan
    try:
        rows, _, _ = _rows(panel, treated, control, win.start, win.policy - 1)
        is_treated = rows["area"].isin(treated).to_numpy().astype(float)
        trend = (rows["m"].to_numpy() - win.policy).astype(float) * is_treated
        fit = fit_counts(
            rows["n"].to_numpy(dtype=float),
            _fe_design(rows, trend[:, None]),
            rows["area"].to_numpy(),
            rows["m"].to_numpy(),
            corr,
        )
    except ImpactError:
        return math.nan
    return fit.ratio(0)[2]


def _time_placebos(panel, treated, control, win: _Window, window: int) -> list[dict[str, object]]:
    """The same comparison at fake policy months before the real one, in windows that do not
    overlap each other or the real window's after period (pre-policy data only)."""
    out = []
    half = min(window, (win.policy - win.data_start) // 2)
    if half < DID_MIN_SIDE_MONTHS:
        return out
    fake = win.policy - half  # the latest fake date whose after period ends before the policy
    while fake - half >= win.data_start:
        try:
            ratio = _core(panel, treated, control, fake, fake - half, fake + half - 1, robust=False)
        except ImpactError:
            ratio = None  # e.g. no events in a short early window: that placebo is not informative
        if ratio is not None and math.isfinite(ratio) and ratio > 0:
            out.append(
                {
                    "kind": "time",
                    "label": _label(fake),
                    "policy_month": _ts(fake),
                    "treated": ", ".join(treated),
                    "rate_ratio": ratio,
                }
            )
        fake -= 2 * half
    return out


def _space_placebos(panel, control, win: _Window) -> list[dict[str, object]]:
    """Each control area as a fake treated area against the other controls (treated left out)."""
    out = []
    for fake in control:
        others = tuple(c for c in control if c != fake)
        if not others:
            continue
        try:
            ratio = _core(panel, (fake,), others, win.policy, win.start, win.end, robust=False)
        except ImpactError:
            continue
        if math.isfinite(ratio) and ratio > 0:
            out.append(
                {
                    "kind": "space",
                    "label": fake,
                    "policy_month": _ts(win.policy),
                    "treated": fake,
                    "rate_ratio": ratio,
                }
            )
    return out
