"""Interrupted time series: one area against its own counterfactual (what its pre-policy path
predicted), with intervals robust to serial correlation and overdispersion (lib.impact.inference).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from lib.impact.inference import CountFit, fit_counts, require_identified
from lib.impact.periods import ALPHA, FEW_EVENTS, ImpactError, _label, _load, _prepare, _ts

ITS_MIN_SIDE_MONTHS = 6  # a trend needs a few points on each side of the break
ITS_MIN_EVENTS_SIDE = 3  # a level and a trend on each side need a few events to rest on
# Month-of-year dummies need every calendar month seen twice before the policy; otherwise the
# seasonal pattern is estimated mostly from post-policy months and soaks up part of the effect.
SEASONAL_MIN_BEFORE = 24
SEASONAL_MIN_EVENTS = 60  # about 5 events per month-of-year parameter
LEVEL, SLOPE = 2, 3  # columns of the policy terms in the design


@dataclass(frozen=True, eq=False)
class ITSResult:
    """Segmented Poisson regression of one monthly series around the policy month.

    Headline: ``effect`` = expected events over the after months / what the pre-policy path
    (level, trend, season) predicts for them, with ``effect_ci``/``effect_p``. ``flat_effect`` is
    the same ratio against a *flat* counterfactual (pre-policy level and season, no trend): when
    the two disagree, the answer rests on extrapolating a trend. ``level_change`` (at the policy
    month) and ``slope_change`` (extra change per month after it) describe the shape.
    ``lag1`` is the residual lag-1 autocorrelation the intervals account for.

    ``frame`` has one row per month: month, post, observed, fitted, counterfactual, cf_low,
    cf_high (95 % band of what would have been observed without the policy), effect (observed -
    counterfactual), effect_low, effect_high, cum_effect, cum_low, cum_high (from the policy month).
    """

    area: str | None
    policy_month: pd.Timestamp
    window_start: pd.Timestamp
    window_end: pd.Timestamp
    months_before: int
    months_after: int
    events_before: float
    events_after: float
    effect: float
    effect_ci: tuple[float, float]
    effect_p: float
    flat_effect: float
    flat_ci: tuple[float, float]
    level_change: float
    level_ci: tuple[float, float]
    level_p: float
    slope_change: float
    slope_ci: tuple[float, float]
    slope_p: float
    pre_trend: float
    cumulative_effect: float
    cumulative_ci: tuple[float, float]
    dispersion: float
    lag1: float
    correlation: tuple[float, float]
    seasonality: bool
    model: str
    frame: pd.DataFrame
    caveats: tuple[str, ...]


def interrupted_time_series(
    counts: pd.DataFrame,
    policy_date: date,
    window: int,
    seasonality: bool = True,
    *,
    area: str | None = None,
    coverage: tuple[date, date] | None = None,
    absent: str = "zero",
    n_sim: int = 1000,
    seed: int = 0,
    bands: bool = True,
    correlation: tuple[float, float] | None = None,
) -> ITSResult:
    """Effect of the policy on one monthly series against its own counterfactual.

    Model: log E[y_t] = b0 + b1·t + b2·post_t + b3·t·post_t (+ month-of-year dummies), t in
    months from the policy month; Poisson mean model with the robust covariance of
    :func:`lib.impact.inference.fit_counts`. Month-of-year dummies only with ≥ 24 months before,
    60 events and events in every calendar month (else caveat ``"no_seasonality"``).
    ``counts`` may hold several areas if ``area`` names the one to use. ``bands=False`` skips
    the simulated bands (the window-sensitivity scan needs only the estimate); ``correlation``
    reuses a working correlation found by an earlier fit of the same series (``correlation``
    field of the result).
    """
    if isinstance(counts, pd.DataFrame) and "area" not in counts.columns:
        counts = counts.assign(area="")  # a bare month/n series: one unnamed area
    if n_sim < 100:
        raise ImpactError("bad_input", f"n_sim must be at least 100 for usable bands, got {n_sim}.")
    frame = _load(counts, ("area",))
    if area is None:
        names = list(dict.fromkeys(frame["area"]))
        if len(names) > 1:
            raise ImpactError(
                "several_areas",
                f"The series holds {len(names)} areas ({', '.join(names)}); choose one with area=… "
                "or add them up first.",
            )
        area = names[0]
    data, win = _prepare(
        counts, policy_date, window, coverage, ITS_MIN_SIDE_MONTHS, areas=[area], absent=absent
    )
    where = f" in {area}" if area else ""
    y = data["n"].to_numpy(dtype=float)
    m = data["m"].to_numpy()
    t = (m - win.policy).astype(float)
    post = (t >= 0).astype(float)
    before, after = float(y[post == 0].sum()), float(y[post == 1].sum())
    _check_events(before, after, where, win)
    caveats: list[str] = ["window_past_data"] if win.clipped else []
    month_of_year = m % 12
    use_season = (
        seasonality
        and win.months_before >= SEASONAL_MIN_BEFORE
        and before + after >= SEASONAL_MIN_EVENTS
        and all(y[month_of_year == k].sum() > 0 for k in range(12))
    )
    if seasonality and not use_season:
        caveats.append("no_seasonality")
    season = [(month_of_year == k).astype(float) for k in range(1, 12)] if use_season else []
    x = np.column_stack([np.ones_like(t), t, post, t * post, *season])
    one = np.zeros(len(y))
    fit = fit_counts(y, x, one, m, correlation)
    require_identified(fit, [LEVEL, SLOPE], "change at the policy date")
    x_cf = x.copy()
    x_cf[:, [LEVEL, SLOPE]] = 0.0
    effect, effect_ci, effect_p = _window_ratio(fit, x, x_cf, post == 1)
    flat = fit_counts(
        y, np.column_stack([np.ones_like(t), post, *season]), one, m, (fit.corr_share, fit.corr_decay)
    )
    require_identified(flat, [1], "change at the policy date")
    flat_effect, flat_ci, _ = flat.ratio(1)
    level, level_ci, level_p = fit.ratio(LEVEL)
    slope, slope_ci, slope_p = fit.ratio(SLOPE)
    out = _bands(fit, x_cf, y, m, post == 1, n_sim if bands else 100, seed)
    if min(before, after) < FEW_EVENTS:
        caveats.append("few_events")
    if flat_ci[1] < effect_ci[0] or effect_ci[1] < flat_ci[0]:
        caveats.append("trend_matters")  # flat and trend counterfactuals disagree beyond noise
    cum = out["cum_effect"].to_numpy()
    return ITSResult(
        area=area or None,
        policy_month=_ts(win.policy),
        window_start=_ts(win.start),
        window_end=_ts(win.end),
        months_before=win.months_before,
        months_after=win.months_after,
        events_before=before,
        events_after=after,
        effect=effect,
        effect_ci=effect_ci,
        effect_p=effect_p,
        flat_effect=flat_effect,
        flat_ci=flat_ci,
        level_change=level,
        level_ci=level_ci,
        level_p=level_p,
        slope_change=slope,
        slope_ci=slope_ci,
        slope_p=slope_p,
        pre_trend=float(np.exp(fit.params[1])),
        cumulative_effect=float(cum[-1]),
        cumulative_ci=(float(out["cum_low"].iloc[-1]), float(out["cum_high"].iloc[-1])),
        dispersion=fit.dispersion,
        lag1=fit.lag1,
        correlation=(fit.corr_share, fit.corr_decay),
        seasonality=use_season,
        model="Poisson mean model, serially correlated quasi-likelihood errors (REML)"
        + (", month-of-year effects" if use_season else ""),
        frame=out,
        caveats=tuple(dict.fromkeys(caveats)),
    )


def _check_events(before: float, after: float, where: str, win) -> None:
    span = f"between {_label(win.start)} and {_label(win.end)}"
    if before + after == 0:
        raise ImpactError("no_events", f"There are no events{where} {span}.")
    if before == 0:
        raise ImpactError(
            "no_events_before",
            f"There are no events{where} in the {win.months_before} months before {_label(win.policy)}, "
            "so there is no pre-policy level to compare with.",
        )
    if after == 0:
        raise ImpactError(
            "no_events_after",
            f"There are no events{where} in the {win.months_after} months from {_label(win.policy)} on; "
            "the time-series model cannot estimate a drop to zero (use the before/after comparison instead).",
        )
    if min(before, after) < ITS_MIN_EVENTS_SIDE:
        raise ImpactError(
            "too_few_events",
            f"Only {before:.0f} event(s){where} in the {win.months_before} months before {_label(win.policy)} "
            f"and {after:.0f} in the {win.months_after} months from it: the time-series model needs at least "
            f"{ITS_MIN_EVENTS_SIDE} on each side (use the before/after comparison instead).",
        )


def _window_ratio(fit: CountFit, x: np.ndarray, x_cf: np.ndarray, after: np.ndarray):
    """Expected events over the after months with the policy / without it, delta-method interval.

    This is the estimand the simulator plants (lib.simulate.planted_effect): a ratio of sums over
    the window, not the level at one month, so it stays meaningful when the effect builds up.
    """
    mu1 = np.exp(x[after] @ fit.params)
    mu0 = np.exp(x_cf[after] @ fit.params)
    value = float(np.log(mu1.sum()) - np.log(mu0.sum()))
    gradient = (mu1 @ x[after]) / mu1.sum() - (mu0 @ x_cf[after]) / mu0.sum()
    return fit.contrast(gradient, value)


def _bands(
    fit: CountFit, x_cf: np.ndarray, y: np.ndarray, m: np.ndarray, after: np.ndarray, n_sim: int, seed: int
) -> pd.DataFrame:
    """Counterfactual and effect bands: coefficients drawn from a multivariate t around the
    estimates, then counts around each simulated mean with the estimated dispersion."""
    rng = np.random.default_rng(seed)
    params, df = fit.params, fit.df
    draws = rng.multivariate_normal(np.zeros_like(params), fit.cov, size=n_sim, method="eigh")
    draws = params + draws * np.sqrt(df / rng.chisquare(df, size=(n_sim, 1)))
    mu_cf = np.exp(np.clip(x_cf @ draws.T, -40, 40))
    scale = max(fit.dispersion, 1.0)
    y_cf = rng.poisson(mu_cf / scale) * scale  # mean mu, variance scale*mu: quasi-Poisson noise
    gap = y[:, None] - y_cf
    lo_q, hi_q = 100 * ALPHA / 2, 100 * (1 - ALPHA / 2)
    cum = np.full((len(y), n_sim), np.nan)
    cum[after] = np.cumsum(gap[after], axis=0)
    counterfactual = np.exp(x_cf @ params)
    effect = y - counterfactual
    cum_point = np.full(len(y), np.nan)
    cum_point[after] = np.cumsum(effect[after])
    cum_low, cum_high = np.full(len(y), np.nan), np.full(len(y), np.nan)
    cum_low[after], cum_high[after] = np.percentile(cum[after], [lo_q, hi_q], axis=1)
    return pd.DataFrame(
        {
            "month": [_ts(v) for v in m],
            "post": after,
            "observed": y,
            "fitted": fit.mu,
            "counterfactual": counterfactual,
            "cf_low": np.percentile(y_cf, lo_q, axis=1),
            "cf_high": np.percentile(y_cf, hi_q, axis=1),
            "effect": effect,
            "effect_low": np.percentile(gap, lo_q, axis=1),
            "effect_high": np.percentile(gap, hi_q, axis=1),
            "cum_effect": cum_point,
            "cum_low": cum_low,
            "cum_high": cum_high,
        }
    )
