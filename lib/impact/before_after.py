"""Before/after rate ratio per area: the simplest comparison, with no counterfactual trend."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportion_confint
from statsmodels.stats.rates import test_poisson_2indep

from lib.impact.inference import fit_counts
from lib.impact.periods import (
    ALPHA,
    FEW_EVENTS,
    MIN_SIDE_MONTHS,
    ImpactError,
    _dispersion,
    _label,
    _prepare,
    _table_attrs,
)


def before_after(
    counts: pd.DataFrame,
    policy_date: date,
    window: int,
    areas: Sequence[str] | None = None,
    *,
    coverage: tuple[date, date] | None = None,
    absent: str = "zero",
) -> pd.DataFrame:
    """Event rate per month after vs before the policy, one row per area.

    Columns: area, months_before, months_after, events_before, events_after, rate_before,
    rate_after, rate_ratio (after / before), ci_low, ci_high, p_value, dispersion, caveats,
    note.

    Method: the exact conditional test for two Poisson rates - given the total, the "after"
    count is binomial - with the matching Clopper-Pearson interval transformed to the rate
    ratio. Exact, so it stays valid with a handful of events. It assumes a steady rate and
    independent events within each period; ``dispersion`` (≈1 for Poisson, the variance/mean
    ratio of monthly counts around each period's mean) flags clustered or swinging counts with
    the caveat ``"overdispersion_widened"`` (chi² test, p < 0.05): the interval and p-value are
    then those of a Poisson mean model with serially correlated, overdispersed errors
    (lib.impact.inference) instead of the exact test. Seasonality and trends also raise it:
    use the time-series model for those. ``areas`` not present in the data get zero counts. When there are
    no events before, the ratio is undefined: NaN with a ``note``.
    """
    data, win = _prepare(counts, policy_date, window, coverage, MIN_SIDE_MONTHS, areas=areas, absent=absent)
    if data["n"].sum() == 0:
        raise ImpactError(
            "no_events",
            f"There are no events in any area between {_label(win.start)} and {_label(win.end)}.",
        )
    window_caveats = ("window_past_data",) if win.clipped else ()
    mb, ma = win.months_before, win.months_after
    rows = []
    for area, series in data.groupby("area", sort=False):
        y = series.sort_values("m")
        pre = y.loc[y["m"] < win.policy, "n"].to_numpy()
        post = y.loc[y["m"] >= win.policy, "n"].to_numpy()
        eb, ea = float(pre.sum()), float(post.sum())
        caveats = list(window_caveats)
        row = {
            "area": area,
            "months_before": mb,
            "months_after": ma,
            "events_before": eb,
            "events_after": ea,
            "rate_before": eb / mb,
            "rate_after": ea / ma,
            "rate_ratio": math.nan,
            "ci_low": math.nan,
            "ci_high": math.nan,
            "p_value": math.nan,
            "dispersion": math.nan,
            "note": "",
        }
        if eb == 0:
            caveats.append("zero_before")
            row["note"] = (
                f"No events in the {mb} months before {_label(win.policy)}: the rate ratio is undefined."
            )
        else:
            row.update(_rate_ratio(int(round(ea)), ma, int(round(eb)), mb))
            row["dispersion"], disp_p = _dispersion(pre, post)
            if disp_p < ALPHA:
                # The exact interval assumes a steady Poisson rate: replace it, never keep it
                # under a caveat that says it is too narrow.
                row.update(_robust_ratio(y["n"].to_numpy(dtype=float), y["m"].to_numpy(), win.policy))
                caveats.append("overdispersion_widened")
        if min(eb, ea) < FEW_EVENTS:
            caveats.append("few_events")
        row["caveats"] = tuple(caveats)
        rows.append(row)
    columns = [
        "area",
        "months_before",
        "months_after",
        "events_before",
        "events_after",
        "rate_before",
        "rate_after",
        "rate_ratio",
        "ci_low",
        "ci_high",
        "p_value",
        "dispersion",
        "caveats",
        "note",
    ]
    table = pd.DataFrame(rows, columns=columns)
    return _table_attrs(table, win, window_caveats)


def _rate_ratio(
    count_after: int, months_after: int, count_before: int, months_before: int
) -> dict[str, float]:
    """Exact conditional rate ratio (after / before) with Clopper-Pearson interval."""
    test = test_poisson_2indep(
        count_after, months_after, count_before, months_before, method="exact-cond", compare="ratio"
    )
    total = count_after + count_before
    # Conditional on the total, count_after ~ Binomial(total, q) with
    # q = R*ma / (R*ma + mb), so R = q/(1-q) * mb/ma maps the binomial interval onto R.
    q_low, q_high = proportion_confint(count_after, total, alpha=ALPHA, method="beta")
    odds = months_before / months_after

    def to_ratio(q: float) -> float:
        return math.inf if q >= 1 else q / (1 - q) * odds

    return {
        "rate_ratio": (count_after / months_after) / (count_before / months_before),
        "ci_low": to_ratio(float(q_low)),
        "ci_high": to_ratio(float(q_high)),
        "p_value": float(test.pvalue),
    }


def _robust_ratio(y: np.ndarray, m: np.ndarray, policy: int) -> dict[str, float]:
    """After/before rate ratio with the correlation- and dispersion-robust interval."""
    post = (m >= policy).astype(float)
    fit = fit_counts(y, np.column_stack([np.ones_like(post), post]), np.zeros(len(y)), m)
    ratio, (low, high), p = fit.ratio(1)
    return {"ci_low": low, "ci_high": high, "p_value": p}
