"""Policy-impact statistics on monthly event counts: did a policy move events between areas?

Contract
--------
Input, everywhere: a pandas DataFrame of monthly counts with columns

* ``month`` - datetime64 (any day; normalised to the first of its month),
* ``area``  - str,
* ``n``     - non-negative event count, already aggregated (``route_share_shift`` also
  needs ``route``).

Duplicate (month, area[, route]) rows are summed. Non-integer counts are accepted; the exact
tests and share intervals round each period's total to whole events. A month missing for an area means zero
events in that month, but only inside the data's *coverage*: by default the first to the last
month present in ``counts`` (over all areas). A frame built by aggregating events has no rows
for months with no events at all, so pass ``coverage=(first_month, last_month)`` when the
data's true span is known - otherwise an empty final stretch would be mistaken for "no data".

Periods. The *policy month* P is the calendar month that contains ``policy_date``. "Before" is
the ``window`` months P-window .. P-1, "after" is the ``window`` months P .. P+window-1: the
policy month itself is the first "after" month. Law 30339 was published on 20 August 2015, so
August 2015 is only partly treated; counting it as "after" dilutes the estimated effect slightly
towards "no change" (the conservative direction) and never contaminates the pre-policy trend that
the counterfactual rests on. Dropping the month would also break the monthly grid the time
series models need.

A window that reaches past the data is clipped to the coverage and the result carries the
caveat ``"window_past_data"``; rates are per month, so unequal before/after lengths are fine.
A window entirely outside the data, a policy month at the edge of the data (no before or no
after period), too few months on a side, no events, a missing control group and malformed input
raise :class:`ImpactError`, whose ``code`` is machine-readable and whose message is a plain
English sentence. No statsmodels/numpy exception is allowed to escape for those cases.

Outputs. ``interrupted_time_series`` and ``difference_in_differences`` return frozen
dataclasses; ``before_after``, ``displacement`` and ``route_share_shift`` return DataFrames with
one row per area (and route). Every result carries ``caveats``: a tuple of codes from
:data:`CAVEAT_TEXT` (tables: a ``caveats`` column per row plus ``frame.attrs["caveats"]`` for the
whole table), so the page can render them in English or Spanish. All intervals are 95 %.
Effects are rate ratios (after / before, or observed / counterfactual): 1 means no change.

Fits are small (tens to a few hundred rows) and take milliseconds; the page caches them.
Randomness (counterfactual bands) uses a fixed seed so the same input gives the same output.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats
from statsmodels.stats.diagnostic import acorr_breusch_godfrey
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    proportion_confint,
    test_proportions_2indep,
)
from statsmodels.stats.rates import test_poisson_2indep
from statsmodels.tools.sm_exceptions import ConvergenceWarning, PerfectSeparationWarning

__all__ = [
    "CAVEAT_TEXT",
    "DiDResult",
    "ITSResult",
    "ImpactError",
    "before_after",
    "caveat_text",
    "error_text",
    "difference_in_differences",
    "displacement",
    "interrupted_time_series",
    "plain_language",
    "route_share_shift",
]

ALPHA = 0.05  # every interval is 95 %
FEW_EVENTS = 10  # fewer events than this on one side -> "few_events"
MIN_SIDE_MONTHS = 2  # before/after comparisons and shares
ITS_MIN_SIDE_MONTHS = 6  # a trend needs a few points on each side of the break
DID_MIN_SIDE_MONTHS = 3  # at least one event-study bin on each side
# Month-of-year dummies need every calendar month seen twice before the policy; otherwise the
# seasonal pattern is estimated mostly from post-policy months and soaks up part of the effect.
SEASONAL_MIN_BEFORE = 24
FEW_AREAS = 10  # below this, cluster-robust errors by area are unreliable (see DiD docstring)
MAX_TIME_PLACEBOS = 8
MAX_LOG_SE = 10.0  # see _identified
ITS_MIN_EVENTS_SIDE = 3  # a level and a trend on each side need a few events to rest on
SEASONAL_MIN_EVENTS = 60  # about 5 events per month-of-year parameter
PLACEBO_SHARE_CAVEAT = 0.1  # at least 1 in 10 placebos as large as the real estimate

Lang = Literal["en", "es"]

CAVEAT_TEXT: dict[str, dict[str, str]] = {
    "few_events": {
        "en": "There are fewer than 10 events on one side of the policy date, so the estimate is fragile.",
        "es": "Hay menos de 10 eventos a un lado de la fecha de la norma, por lo que la "
        "estimación es frágil.",
    },
    "zero_before": {
        "en": "There were no events before the policy date, so no ratio can be computed.",
        "es": "No hubo eventos antes de la fecha de la norma, por lo que no se puede calcular una razón.",
    },
    "window_past_data": {
        "en": "The chosen window reaches beyond the available data; it was shortened to the "
        "months the data covers.",
        "es": "La ventana elegida va más allá de los datos disponibles; se acortó a los meses "
        "que cubren los datos.",
    },
    "overdispersion": {
        "en": "Monthly counts vary more than a steady random rate would produce (events come "
        "in clusters, or the rate swings from month to month), so the interval is probably "
        "too narrow.",
        "es": "Los conteos mensuales varían más de lo que produciría un ritmo aleatorio "
        "constante (los eventos llegan agrupados o el ritmo oscila de un mes a otro), por lo "
        "que el intervalo probablemente es demasiado estrecho.",
    },
    "autocorrelation": {
        "en": "Consecutive months are correlated beyond what the model explains, so the "
        "interval may be too narrow.",
        "es": "Los meses consecutivos están correlacionados más allá de lo que explica el "
        "modelo, por lo que el intervalo puede ser demasiado estrecho.",
    },
    "no_seasonality": {
        "en": "There is too little data (months before the policy date, or events) to estimate "
        "seasonal patterns; they were left out of the model.",
        "es": "Hay muy pocos datos (meses previos a la norma, o eventos) para estimar la "
        "estacionalidad; no se incluyó en el modelo.",
    },
    "pretrend": {
        "en": "The treated area was already diverging from the comparison areas before the "
        "policy (pre-trend test p < 0.05), so the comparison may be biased.",
        "es": "El área tratada ya se alejaba de las áreas de comparación antes de la norma "
        "(prueba de tendencias previas p < 0,05), por lo que la comparación puede estar sesgada.",
    },
    "no_pretrend_test": {
        "en": "The period before the policy is too short to test for pre-existing trends.",
        "es": "El periodo previo a la norma es demasiado corto para probar tendencias previas.",
    },
    "placebo_large": {
        "en": "At least one in ten placebo tests (fake dates or fake treated areas) gave an "
        "effect as large as the real one, so the estimate may reflect ordinary variation.",
        "es": "Al menos una de cada diez pruebas placebo (fechas o áreas ficticias) dio un "
        "efecto tan grande como el real, por lo que la estimación puede reflejar variación "
        "ordinaria.",
    },
    "few_placebos": {
        "en": "Fewer than 5 placebo tests could be run, so they say little.",
        "es": "Se pudieron realizar menos de 5 pruebas placebo, por lo que aportan poco.",
    },
    "few_areas": {
        "en": "Only a handful of areas are compared, so the interval relies on the model's "
        "assumptions rather than on many independent areas.",
        "es": "Se comparan pocas áreas, por lo que el intervalo depende de los supuestos del "
        "modelo y no de muchas áreas independientes.",
    },
    "control_dropped": {
        "en": "A comparison area with no events in the window was left out.",
        "es": "Se excluyó un área de comparación sin eventos en la ventana.",
    },
    "sparse_bins": {
        "en": "Some periods had no events in the treated area or in the comparison areas; their "
        "event-study estimates are missing.",
        "es": "Algunos periodos no tuvieron eventos en el área tratada o en las áreas de comparación; "
        "faltan sus estimaciones en el estudio de eventos.",
    },
    "convergence": {
        "en": "The statistical model had trouble converging; treat the numbers with caution.",
        "es": "El modelo estadístico tuvo problemas para converger; tome las cifras con cautela.",
    },
    "zero_total": {
        "en": "There were no events in one of the periods, so shares cannot be computed.",
        "es": "No hubo eventos en uno de los periodos, por lo que no se pueden calcular proporciones.",
    },
}


def caveat_text(code: str, lang: Lang) -> str:
    """The sentence for one caveat code in ``lang``; unknown codes come back as themselves."""
    return CAVEAT_TEXT.get(code, {}).get(lang, code)


# Why an analysis could not run, in Spanish, by ImpactError code. The English messages carry
# the exact months and counts; these say what went wrong and what to try.
ERROR_TEXT_ES: dict[str, str] = {
    "bad_date": "La fecha de la norma no es válida.",
    "bad_window": "La ventana debe ser un número entero de meses, al menos 1.",
    "bad_input": "Los datos no sirven para este análisis.",
    "no_data": "No hay datos que analizar con estos filtros.",
    "window_outside_data": "La ventana elegida cae fuera del periodo con datos: acórtela o elija otra norma.",
    "no_before": "La norma es anterior al inicio de los datos: no hay periodo previo con qué comparar.",
    "no_after": "La norma es posterior al fin de los datos: no hay periodo posterior.",
    "too_few_months": "Hay muy pocos meses de datos a un lado de la norma para este análisis: acorte la "
    "ventana o elija otra norma.",
    "no_events": "No hay eventos en la ventana elegida: amplíe los filtros o la ventana.",
    "no_events_before": "No hay eventos en los meses previos a la norma: no hay nivel previo con qué comparar.",
    "no_events_after": "No hay eventos desde la norma: el modelo de series temporales no puede estimar una "
    "caída a cero (use la comparación antes/después).",
    "too_few_events": "Hay muy pocos eventos antes o después de la norma para el modelo de series temporales "
    "(use la comparación antes/después).",
    "too_sparse": "Hay muy pocos eventos para que el modelo estime el efecto; use la comparación antes/después.",
    "model_failed": "El modelo no pudo ajustarse a estos datos.",
    "several_areas": "La serie reúne varias áreas: elija una o súmelas primero.",
    "no_treated": "Elija al menos un área tratada.",
    "no_control": "La diferencia en diferencias necesita al menos un área de comparación además de la tratada.",
    "no_control_events": "Ninguna de las áreas de comparación tiene eventos en la ventana.",
    "unknown_policy": "La norma elegida no está en los datos.",
}


def error_text(code: str, message: str, lang: Lang) -> str:
    """Why an analysis could not run, in ``lang``: the English message, or its Spanish sense."""
    return ERROR_TEXT_ES.get(code, message) if lang == "es" else message


class ImpactError(ValueError):
    """An analysis that cannot be run on this data, with a message a person can act on.

    ``code`` is machine-readable (e.g. ``"window_outside_data"``, ``"no_events"``,
    ``"no_control"``, ``"too_few_months"``) so a page can translate the message.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


# --------------------------------------------------------------------------------------
# Month arithmetic. Months are integers (year * 12 + month - 1) inside this module: exact,
# fast, and free of day-of-month and time-zone surprises.


def _ts(m: int) -> pd.Timestamp:
    return pd.Timestamp(year=int(m) // 12, month=int(m) % 12 + 1, day=1)


def _label(m: int) -> str:
    return _ts(m).strftime("%b %Y")


def _month_of(value: object) -> int:
    try:
        ts = pd.Timestamp(value)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise ImpactError("bad_date", f"Cannot read {value!r} as a date.") from exc
    if pd.isna(ts):
        raise ImpactError("bad_date", "The policy date is missing.")
    return ts.year * 12 + ts.month - 1


@dataclass(frozen=True)
class _Window:
    policy: int
    start: int  # first month used (inclusive)
    end: int  # last month used (inclusive)
    data_start: int
    data_end: int
    clipped: bool

    @property
    def months_before(self) -> int:
        return self.policy - self.start

    @property
    def months_after(self) -> int:
        return self.end - self.policy + 1


def _window(policy_date: date, window: int, data_start: int, data_end: int, min_side: int) -> _Window:
    if isinstance(window, bool) or not isinstance(window, (int, np.integer)) or window < 1:
        raise ImpactError("bad_window", f"The window must be a whole number of months ≥ 1, got {window!r}.")
    p = _month_of(policy_date)
    start, end = p - int(window), p + int(window) - 1
    span = f"the data covers {_label(data_start)} to {_label(data_end)}"
    if end < data_start or start > data_end:
        raise ImpactError(
            "window_outside_data",
            f"The window runs from {_label(start)} to {_label(end)}, but {span}.",
        )
    if p <= data_start:
        raise ImpactError(
            "no_before",
            f"The policy month {_label(p)} is at or before the start of the data ({span}), "
            "so there is no before period to compare with.",
        )
    if p > data_end:
        raise ImpactError(
            "no_after",
            f"The policy month {_label(p)} is after the end of the data ({span}), "
            "so there is no after period.",
        )
    clipped = _Window(
        p,
        max(start, data_start),
        min(end, data_end),
        data_start,
        data_end,
        start < data_start or end > data_end,
    )
    if clipped.months_before < min_side or clipped.months_after < min_side:
        raise ImpactError(
            "too_few_months",
            f"Only {clipped.months_before} month(s) before and {clipped.months_after} month(s) "
            f"after the policy month {_label(p)} are available ({span}); this analysis needs "
            f"at least {min_side} on each side.",
        )
    return clipped


# --------------------------------------------------------------------------------------
# Input checking and zero-filling.


def _load(counts: pd.DataFrame, keys: tuple[str, ...]) -> pd.DataFrame:
    """Validated counts as columns m (int month), *keys, n (float), one row per key."""
    if not isinstance(counts, pd.DataFrame):
        raise ImpactError("bad_input", "Counts must be a pandas DataFrame.")
    missing = [c for c in ("month", *keys, "n") if c not in counts.columns]
    if missing:
        raise ImpactError("bad_input", f"The counts table lacks column(s): {', '.join(missing)}.")
    if counts.empty:
        raise ImpactError("no_data", "The counts table is empty: there is nothing to analyse.")
    try:
        month = pd.to_datetime(counts["month"])
    except (TypeError, ValueError) as exc:
        raise ImpactError("bad_input", "The month column contains values that are not dates.") from exc
    n = pd.to_numeric(counts["n"], errors="coerce")
    if month.isna().any() or n.isna().any():
        raise ImpactError("bad_input", "The counts table has missing months or counts.")
    if not np.isfinite(n.to_numpy(dtype=float)).all() or (n < 0).any():
        raise ImpactError("bad_input", "Counts must be finite and non-negative.")
    frame = pd.DataFrame({"m": (month.dt.year * 12 + month.dt.month - 1).astype("int64")})
    for key in keys:
        frame[key] = counts[key].astype(str).to_numpy()
    frame["n"] = n.astype(float).to_numpy()
    return frame.groupby(["m", *keys], as_index=False, sort=True)["n"].sum()


def _coverage(frame: pd.DataFrame, coverage: tuple[date, date] | None) -> tuple[int, int]:
    if coverage is None:
        return int(frame["m"].min()), int(frame["m"].max())
    first, last = _month_of(coverage[0]), _month_of(coverage[1])
    if last < first:
        raise ImpactError("bad_input", "The coverage ends before it starts.")
    return first, last


def _grid(
    frame: pd.DataFrame, keys: tuple[str, ...], key_rows: list[tuple[str, ...]], start: int, end: int
) -> pd.DataFrame:
    """Counts on the full months x keys grid from start to end; absent cells are zero."""
    index = pd.MultiIndex.from_tuples(
        [(m, *k) for k in key_rows for m in range(start, end + 1)], names=["m", *keys]
    )
    series = frame.set_index(["m", *keys])["n"]
    return series.reindex(index, fill_value=0.0).reset_index()


def _prepare(
    counts: pd.DataFrame,
    policy_date: date,
    window: int,
    coverage: tuple[date, date] | None,
    min_side: int,
    keys: tuple[str, ...] = ("area",),
    areas: Sequence[str] | None = None,
    full: bool = False,
) -> tuple[pd.DataFrame, _Window]:
    """Zero-filled counts over the window (or the whole coverage if ``full``) and the window."""
    frame = _load(counts, keys)
    data_start, data_end = _coverage(frame, coverage)
    win = _window(policy_date, window, data_start, data_end, min_side)
    if areas is not None:
        frame = frame[frame["area"].isin(list(areas))]
        area_list = list(dict.fromkeys(areas))
    else:
        area_list = list(dict.fromkeys(frame["area"]))
    if keys == ("area",):
        key_rows = [(a,) for a in area_list]
    else:  # ("area", "route"): every route seen anywhere, for every area
        routes = list(dict.fromkeys(frame["route"]))
        key_rows = [(a, r) for a in area_list for r in routes]
    lo, hi = (data_start, data_end) if full else (win.start, win.end)
    frame = frame[(frame["m"] >= lo) & (frame["m"] <= hi)]
    return _grid(frame, keys, key_rows, lo, hi), win


def _table_attrs(table: pd.DataFrame, win: _Window, caveats: Sequence[str]) -> pd.DataFrame:
    table.attrs = {
        "policy_month": _ts(win.policy),
        "window_start": _ts(win.start),
        "window_end": _ts(win.end),
        "months_before": win.months_before,
        "months_after": win.months_after,
        "caveats": tuple(dict.fromkeys(caveats)),
    }
    return table


def _dispersion(before: np.ndarray, after: np.ndarray) -> tuple[float, float]:
    """Index of dispersion of monthly counts around each period's mean, and its chi² p-value.

    Poisson counts give a statistic near 1; clustered events (one operation destroying a dozen
    airstrips in a week) push it up, which means Poisson intervals are too narrow.
    """
    stat, df = 0.0, 0
    for y in (before, after):
        mean = y.mean()
        if mean > 0 and len(y) > 1:
            stat += float(((y - mean) ** 2).sum() / mean)
            df += len(y) - 1
    if df == 0:
        return math.nan, math.nan
    return stat / df, float(stats.chi2.sf(stat, df))


# --------------------------------------------------------------------------------------
# 1. Before / after rate ratio per area.


def before_after(
    counts: pd.DataFrame,
    policy_date: date,
    window: int,
    areas: Sequence[str] | None = None,
    *,
    coverage: tuple[date, date] | None = None,
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
    the caveat ``"overdispersion"`` (chi² test, p < 0.05). Seasonality and trends also raise it:
    use the time-series model for those. ``areas`` not present in the data get zero counts. When there are
    no events before, the ratio is undefined: NaN with a ``note``.
    """
    data, win = _prepare(counts, policy_date, window, coverage, MIN_SIDE_MONTHS, areas=areas)
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
                caveats.append("overdispersion")
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


# --------------------------------------------------------------------------------------
# Shared quasi-Poisson GLM.


@dataclass(frozen=True)
class _Fit:
    result: object  # statsmodels GLMResultsWrapper
    dispersion: float
    troubled: bool


def _quasi_poisson(y: np.ndarray, x: np.ndarray) -> _Fit:
    """Poisson GLM (log link) with standard errors scaled by the Pearson dispersion.

    Why quasi-Poisson rather than negative binomial: with 50-70 monthly points the NB
    dispersion parameter is poorly estimated, and NB's quadratic variance lets the few big
    months dominate the weights. Poisson point estimates stay consistent whenever the mean
    model is right; inflating the covariance by Pearson chi²/df (floored at 1, so the data
    can never claim to be tidier than Poisson) gives honest intervals under overdispersion,
    and t quantiles with the residual degrees of freedom account for estimating that scale.
    """
    if x.shape[0] <= x.shape[1]:
        raise ImpactError(
            "too_few_months",
            "There are too few months of data to fit the model "
            f"({x.shape[0]} observations for {x.shape[1]} parameters).",
        )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            # hasconst: the design always holds a constant (explicit, or the area dummies),
            # which spares statsmodels two SVD rank checks; QR is the cheapest exact solver.
            model = sm.GLM(y, x, family=sm.families.Poisson(), hasconst=True)
            result = model.fit(scale="X2", use_t=True, wls_method="qr")
            phi = float(result.scale)
            if phi < 1.0:
                result = model.fit(start_params=result.params, scale=1.0, use_t=True, wls_method="qr")
        except (ValueError, np.linalg.LinAlgError, FloatingPointError) as exc:
            raise ImpactError(
                "model_failed", f"The model could not be fitted to this data ({exc.__class__.__name__})."
            ) from exc
    troubled = any(
        issubclass(w.category, (ConvergenceWarning, PerfectSeparationWarning)) for w in caught
    ) or not bool(result.converged)
    params, bse = np.asarray(result.params), np.asarray(result.bse)
    if not (np.isfinite(params).all() and np.isfinite(bse).all() and np.isfinite(phi)):
        raise ImpactError(
            "model_failed", "The model could not be fitted to this data (non-finite estimates)."
        )
    return _Fit(result, phi, troubled)


def _effect(fit: _Fit, i: int) -> tuple[float, tuple[float, float], float]:
    """Coefficient i as a rate ratio, its 95 % interval and p-value (bounds may be 0 or inf)."""
    res = fit.result
    ci = np.asarray(res.conf_int(alpha=ALPHA))[i]
    with np.errstate(over="ignore"):
        return (
            float(np.exp(res.params[i])),
            (float(np.exp(ci[0])), float(np.exp(ci[1]))),
            float(res.pvalues[i]),
        )


def _identified(fit: _Fit, indices: Sequence[int], what: str) -> None:
    """Raise if a headline coefficient is numerically unidentified (separation, too few events).

    A standard error above MAX_LOG_SE on the log scale means an interval spanning a factor of
    more than e^40: the data carry no information on it, and the page should say so.
    """
    bse = np.asarray(fit.result.bse)[list(indices)]
    if not np.isfinite(bse).all() or (bse > MAX_LOG_SE).any():
        raise ImpactError(
            "too_sparse",
            f"There are too few events for the model to estimate the {what}; "
            "use the before/after comparison instead.",
        )


def _autocorrelated(resid_pearson: np.ndarray, x: np.ndarray) -> bool:
    """Breusch-Godfrey F test (lag 1) on the Pearson residuals, regressors included.

    Why not Ljung-Box: it ignores the regressors, and month-of-year dummies fitted on a few
    years make the residuals look autocorrelated (about 30 % false alarms on simulated
    independent data, against about 6 % for this test).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ols = sm.OLS(resid_pearson, x, hasconst=True).fit()
        test = acorr_breusch_godfrey(ols, nlags=1, result_object=True)
    return bool(np.isfinite(test.fpval) and test.fpval < ALPHA)


# --------------------------------------------------------------------------------------
# 2. Interrupted time series.


@dataclass(frozen=True, eq=False)
class ITSResult:
    """Segmented quasi-Poisson regression of one monthly series around the policy month.

    Rate ratios: ``level_change`` is observed / counterfactual expected count at the policy
    month; ``slope_change`` is the extra multiplicative change per month after it (1.02 = +2 %
    a month); ``pre_trend`` the multiplicative change per month before it.
    ``frame`` has one row per month: month, post, observed, fitted, counterfactual, cf_low,
    cf_high (95 % predictive band of what would have been observed without the policy),
    effect (observed - counterfactual), effect_low, effect_high, cum_effect, cum_low,
    cum_high (cumulative from the policy month; NaN before it).
    ``cumulative_effect``: observed minus counterfactual events summed over the after period.
    ``window_start``/``window_end``: first and last month used, after clipping to the data.
    """

    area: str | None
    policy_month: pd.Timestamp
    window_start: pd.Timestamp
    window_end: pd.Timestamp
    months_before: int
    months_after: int
    events_before: float
    events_after: float
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
    n_sim: int = 1000,
    seed: int = 0,
) -> ITSResult:
    """Level and slope change of one monthly series at the policy month.

    Model: log E[y_t] = b0 + b1·t + b2·post_t + b3·t·post_t (+ month-of-year dummies), with t
    in months from the policy month, fitted as a quasi-Poisson GLM (see ``_quasi_poisson``).
    Month-of-year dummies are used only when ``seasonality`` and there are at least 24 months
    before the policy, 60 events and events in every calendar month; otherwise the caveat
    ``"no_seasonality"``. Fewer than 3 events on a side raises ``too_few_events``. Residual autocorrelation
    (Breusch-Godfrey, p < 0.05) adds ``"autocorrelation"``: the model assumes independent
    months, so its intervals would then be too narrow.

    The counterfactual is the model with b2 = b3 = 0. Its band and the effect bands are
    simulated: coefficients drawn from a multivariate t around the estimates (matching the t
    intervals), then counts drawn around each simulated mean with the estimated dispersion, so
    the bands show what could plausibly have been observed without the policy.

    ``counts`` may hold several areas if ``area`` names the one to use.
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
                f"The series holds {len(names)} areas "
                f"({', '.join(names)}); choose one with area=… or add them up "
                "first.",
            )
        area = names[0]
    data, win = _prepare(counts, policy_date, window, coverage, ITS_MIN_SIDE_MONTHS, areas=[area])
    where = f" in {area}" if area else ""
    y = data["n"].to_numpy(dtype=float)
    m = data["m"].to_numpy()
    t = (m - win.policy).astype(float)
    post = (t >= 0).astype(float)
    events_before, events_after = float(y[post == 0].sum()), float(y[post == 1].sum())
    span = f"between {_label(win.start)} and {_label(win.end)}"
    if events_before + events_after == 0:
        raise ImpactError("no_events", f"There are no events{where} {span}.")
    if events_before == 0:
        raise ImpactError(
            "no_events_before",
            f"There are no events{where} in the "
            f"{win.months_before} months before {_label(win.policy)}, so there "
            "is no pre-policy level to compare with.",
        )
    if events_after == 0:
        raise ImpactError(
            "no_events_after",
            f"There are no events{where} in the "
            f"{win.months_after} months from {_label(win.policy)} on; the "
            "time-series model cannot estimate a drop to zero (use the "
            "before/after comparison instead).",
        )
    if min(events_before, events_after) < ITS_MIN_EVENTS_SIDE:
        raise ImpactError(
            "too_few_events",
            f"Only {events_before:.0f} event(s){where} in the {win.months_before} months before "
            f"{_label(win.policy)} and {events_after:.0f} in the {win.months_after} months from it: "
            f"the time-series model needs at least {ITS_MIN_EVENTS_SIDE} on each side (use the "
            "before/after comparison instead).",
        )
    caveats: list[str] = ["window_past_data"] if win.clipped else []
    # Month-of-year effects need enough history and events: a calendar month without any
    # event would get an effect of minus infinity.
    month_of_year = m % 12
    use_season = (
        seasonality
        and win.months_before >= SEASONAL_MIN_BEFORE
        and events_before + events_after >= SEASONAL_MIN_EVENTS
        and all(y[month_of_year == k].sum() > 0 for k in range(12))
    )
    if seasonality and not use_season:
        caveats.append("no_seasonality")
    columns = [np.ones_like(t), t, post, t * post]
    if use_season:
        columns += [(month_of_year == k).astype(float) for k in range(1, 12)]
    x = np.column_stack(columns)
    fit = _quasi_poisson(y, x)
    _identified(fit, [2, 3], "change at the policy date")
    res = fit.result
    level, level_ci, level_p = _effect(fit, 2)
    slope, slope_ci, slope_p = _effect(fit, 3)

    # Counterfactual: same model with the policy terms switched off.
    x_cf = x.copy()
    x_cf[:, 2:4] = 0.0
    params = np.asarray(res.params)
    cov = np.asarray(res.cov_params())
    rng = np.random.default_rng(seed)
    df = float(res.df_resid)
    draws = rng.multivariate_normal(np.zeros_like(params), cov, size=n_sim, method="eigh")
    draws = params + draws * np.sqrt(df / rng.chisquare(df, size=(n_sim, 1)))
    mu_cf = np.exp(np.clip(x_cf @ draws.T, -40, 40))  # months x draws; clip keeps Poisson draws legal
    scale = max(fit.dispersion, 1.0)
    # scale * Poisson(mu/scale) has mean mu and variance scale*mu: quasi-Poisson noise.
    y_cf = rng.poisson(mu_cf / scale) * scale
    gap = y[:, None] - y_cf
    lo_q, hi_q = 100 * ALPHA / 2, 100 * (1 - ALPHA / 2)
    after = post == 1
    cum = np.full((len(y), n_sim), np.nan)
    cum[after] = np.cumsum(gap[after], axis=0)
    counterfactual = np.exp(x_cf @ params)
    effect = y - counterfactual
    cum_point = np.full(len(y), np.nan)
    cum_point[after] = np.cumsum(effect[after])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN pre-period rows
        cum_low, cum_high = np.nanpercentile(cum, [lo_q, hi_q], axis=1)
    out = pd.DataFrame(
        {
            "month": [_ts(v) for v in m],
            "post": after,
            "observed": y,
            "fitted": np.asarray(res.fittedvalues),
            "counterfactual": counterfactual,
            "cf_low": np.percentile(y_cf, lo_q, axis=1),
            "cf_high": np.percentile(y_cf, hi_q, axis=1),
            "effect": effect,
            "effect_low": np.percentile(gap, lo_q, axis=1),
            "effect_high": np.percentile(gap, hi_q, axis=1),
            "cum_effect": cum_point,
            "cum_low": np.where(after, cum_low, np.nan),
            "cum_high": np.where(after, cum_high, np.nan),
        }
    )

    if fit.troubled:
        caveats.append("convergence")
    if min(events_before, events_after) < FEW_EVENTS:
        caveats.append("few_events")
    if _autocorrelated(np.asarray(res.resid_pearson), x):
        caveats.append("autocorrelation")
    return ITSResult(
        area=area or None,
        policy_month=_ts(win.policy),
        window_start=_ts(win.start),
        window_end=_ts(win.end),
        months_before=win.months_before,
        months_after=win.months_after,
        events_before=events_before,
        events_after=events_after,
        level_change=level,
        level_ci=level_ci,
        level_p=level_p,
        slope_change=slope,
        slope_ci=slope_ci,
        slope_p=slope_p,
        pre_trend=float(np.exp(params[1])),
        cumulative_effect=float(cum_point[-1]),
        cumulative_ci=(float(cum_low[-1]), float(cum_high[-1])),
        dispersion=fit.dispersion,
        seasonality=use_season,
        model="quasi-Poisson GLM" + (" with month-of-year effects" if use_season else ""),
        frame=out,
        caveats=tuple(dict.fromkeys(caveats)),
    )


# --------------------------------------------------------------------------------------
# 3. Difference in differences.


@dataclass(frozen=True, eq=False)
class DiDResult:
    """Treated vs control areas, before vs after, as a rate ratio with area and month effects.

    ``rate_ratio``: how much more (>1) or less (<1) the treated areas' counts changed than the
    controls'. ``event_study``: one row per bin (``bin_months`` months, bin 0 starts at the
    policy month, bin -1 is the reference) with bin, month_start, rel_start, rel_end,
    rate_ratio, ci_low, ci_high, reference, lead. ``pretrend_p``: joint F test that all leads
    are 1. ``placebos``: kind ("time"/"space"), label, policy_month, treated, rate_ratio,
    ci_low, ci_high, p_value, as_large (|log effect| ≥ the real one). ``placebo_share`` is the
    share of placebos at least as large as the real estimate, ``placebo_p`` the
    permutation-style p-value (1 + as large) / (1 + placebos). ``control``: the control areas
    actually used (all-zero ones dropped). ``window_start``/``window_end``: first and last month
    used, after clipping to the data.
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
    event_study: pd.DataFrame
    pretrend_p: float
    placebos: pd.DataFrame
    placebo_share: float
    placebo_p: float
    caveats: tuple[str, ...]


@dataclass(frozen=True)
class _DiDCore:
    rate_ratio: float
    ci: tuple[float, float]
    p_value: float
    dispersion: float
    troubled: bool
    control: tuple[str, ...]
    dropped: tuple[str, ...]


def _did_rows(
    panel: pd.DataFrame, treated: tuple[str, ...], control: tuple[str, ...], start: int, end: int
) -> tuple[pd.DataFrame, tuple[str, ...], tuple[str, ...]]:
    """Panel rows in [start, end] for the areas used, without all-zero control areas."""
    rows = panel[(panel["m"] >= start) & (panel["m"] <= end) & panel["area"].isin([*treated, *control])]
    totals = rows.groupby("area")["n"].sum()
    dropped = tuple(c for c in control if totals.get(c, 0.0) == 0)
    kept = tuple(c for c in control if c not in dropped)
    if not kept:
        raise ImpactError(
            "no_control_events",
            "None of the comparison areas "
            f"({', '.join(control)}) has any events between {_label(start)} "
            f"and {_label(end)}.",
        )
    rows = rows[rows["area"].isin([*treated, *kept])]
    # Months with no event anywhere carry no information once month effects are in the
    # model (their effect would go to minus infinity); dropping them is exact for Poisson.
    month_totals = rows.groupby("m")["n"].transform("sum")
    return rows[month_totals > 0], kept, dropped


def _fe_design(rows: pd.DataFrame, extra: np.ndarray) -> np.ndarray:
    """[extra columns | one dummy per area | one per month but the first]."""
    area_codes = pd.factorize(rows["area"])[0]
    month_codes = pd.factorize(rows["m"], sort=True)[0]
    areas = np.eye(area_codes.max() + 1)[area_codes]
    months = np.eye(month_codes.max() + 1)[month_codes][:, 1:]
    return np.column_stack([extra, areas, months])


def _did_core(
    panel: pd.DataFrame, treated: tuple[str, ...], control: tuple[str, ...], policy: int, start: int, end: int
) -> _DiDCore:
    rows, kept, dropped = _did_rows(panel, treated, control, start, end)
    is_treated = rows["area"].isin(treated).to_numpy()
    is_post = (rows["m"] >= policy).to_numpy()
    y = rows["n"].to_numpy(dtype=float)
    names = ", ".join(treated)
    if y[is_treated & ~is_post].sum() == 0:
        raise ImpactError(
            "no_events_before",
            f"{names} has no events between {_label(start)} "
            f"and {_label(policy - 1)}, so its change cannot be measured.",
        )
    if y[is_treated & is_post].sum() == 0:
        raise ImpactError(
            "no_events_after",
            f"{names} has no events between {_label(policy)} "
            f"and {_label(end)}; the model cannot estimate a drop to zero (use "
            "the before/after comparison instead).",
        )
    # Controls silent on one side make the comparison degenerate (the estimate runs off to
    # infinity), just like a treated area without events on one side.
    for side, label in ((~is_post, "before"), (is_post, "from")):
        if y[~is_treated & side].sum() == 0:
            when = f"before {_label(policy)}" if label == "before" else f"from {_label(policy)} on"
            raise ImpactError(
                "no_control_events",
                f"The comparison areas ({', '.join(kept)}) have no events {when} "
                f"(window {_label(start)} to {_label(end)}), so there is nothing to compare with.",
            )
    x = _fe_design(rows, (is_treated & is_post).astype(float)[:, None])
    fit = _quasi_poisson(y, x)
    _identified(fit, [0], "difference between treated and comparison areas")
    ratio, ci, p = _effect(fit, 0)
    return _DiDCore(ratio, ci, p, fit.dispersion, fit.troubled, kept, dropped)


def _bin_row(
    b: int, win: _Window, bin_months: int, ratio: float, low: float, high: float, reference: bool
) -> dict[str, object]:
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


def _empty_event_study(all_bins: list[int], win: _Window, bin_months: int) -> pd.DataFrame:
    nan = math.nan
    return pd.DataFrame([_bin_row(b, win, bin_months, nan, nan, nan, False) for b in all_bins])


def _event_study(
    panel: pd.DataFrame, treated: tuple[str, ...], control: tuple[str, ...], win: _Window, bin_months: int
) -> tuple[pd.DataFrame, float, list[str]]:
    rows, _, _ = _did_rows(panel, treated, control, win.start, win.end)
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
    # treated rows (exact at the MLE). A bin where the controls have none has no comparison:
    # drop the bin. Either way it is reported as missing.
    if empty:
        caveats.append("sparse_bins")
    keep = ~((is_treated & np.isin(bins, list(no_treated))) | np.isin(bins, list(no_control)))
    rows, is_treated, bins, y = rows[keep], is_treated[keep], bins[keep], y[keep]
    pre_bins = [b for b in all_bins if b < 0 and b not in empty]
    if not pre_bins:  # nothing to anchor the comparison: no event study, the DiD still stands
        return _empty_event_study(all_bins, win, bin_months), math.nan, [*caveats, "no_pretrend_test"]
    reference = -1 if -1 in pre_bins else max(pre_bins)
    estimated = [b for b in all_bins if b != reference and b not in empty]
    extra = (
        np.column_stack([(is_treated & (bins == b)).astype(float) for b in estimated])
        if estimated
        else np.empty((len(y), 0))
    )
    fit = _quasi_poisson(y, _fe_design(rows, extra))
    if fit.troubled:
        caveats.append("convergence")
    out = []
    for b in all_bins:
        ratio, ci_low, ci_high = math.nan, math.nan, math.nan
        if b == reference:
            ratio = 1.0
        elif b in estimated:
            ratio, (ci_low, ci_high), _ = _effect(fit, estimated.index(b))
        out.append(_bin_row(b, win, bin_months, ratio, ci_low, ci_high, b == reference))
    leads = [i for i, b in enumerate(estimated) if b < 0]
    pretrend_p = math.nan
    if leads:
        r = np.zeros((len(leads), fit.result.params.shape[0]))
        r[np.arange(len(leads)), leads] = 1.0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pretrend_p = float(fit.result.wald_test(r, use_f=True, scalar=True).pvalue)
    else:
        caveats.append("no_pretrend_test")
    return pd.DataFrame(out), pretrend_p, caveats


def _time_placebos(
    panel: pd.DataFrame,
    treated: tuple[str, ...],
    control: tuple[str, ...],
    win: _Window,
    window: int,
    bin_months: int,
) -> list[dict[str, object]]:
    """The same model at fake policy months, using only data from before the real policy."""
    first, last = win.data_start + DID_MIN_SIDE_MONTHS * 2, win.policy - DID_MIN_SIDE_MONTHS * 2
    candidates = list(range(last, first - 1, -bin_months))[::-1]
    if len(candidates) > MAX_TIME_PLACEBOS:
        pick = np.linspace(0, len(candidates) - 1, MAX_TIME_PLACEBOS).round().astype(int)
        candidates = [candidates[i] for i in sorted(set(pick.tolist()))]
    out = []
    for fake in candidates:
        half = min(window, fake - win.data_start, win.policy - fake)
        try:
            core = _did_core(panel, treated, control, fake, fake - half, fake + half - 1)
        except ImpactError:
            continue  # e.g. no events in a short early window: that placebo is not informative
        out.append(
            {
                "kind": "time",
                "label": _label(fake),
                "policy_month": _ts(fake),
                "treated": ", ".join(treated),
                "rate_ratio": core.rate_ratio,
                "ci_low": core.ci[0],
                "ci_high": core.ci[1],
                "p_value": core.p_value,
            }
        )
    return out


def _space_placebos(panel: pd.DataFrame, control: tuple[str, ...], win: _Window) -> list[dict[str, object]]:
    """Each control area as a fake treated area against the other controls."""
    out = []
    for fake in control:
        others = tuple(c for c in control if c != fake)
        if not others:
            continue
        try:
            core = _did_core(panel, (fake,), others, win.policy, win.start, win.end)
        except ImpactError:
            continue
        out.append(
            {
                "kind": "space",
                "label": fake,
                "policy_month": _ts(win.policy),
                "treated": fake,
                "rate_ratio": core.rate_ratio,
                "ci_low": core.ci[0],
                "ci_high": core.ci[1],
                "p_value": core.p_value,
            }
        )
    return out


def difference_in_differences(
    counts: pd.DataFrame,
    treated: str | Sequence[str],
    control: Sequence[str],
    policy_date: date,
    window: int,
    *,
    bin_months: int = 3,
    placebos: bool = True,
    coverage: tuple[date, date] | None = None,
) -> DiDResult:
    """Difference in differences as a Poisson rate ratio with area and month fixed effects.

    Model: log E[y_at] = area_a + month_t + d·(treated_a × after_t); month effects absorb
    seasonality and shocks shared by all areas. Standard errors are quasi-Poisson (Pearson
    dispersion, t quantiles). Why not cluster-robust by area: with at most six areas the
    cluster-robust variance is badly biased downwards (it needs dozens of clusters), so the
    intervals rest on the model - months independent given the fixed effects, variance
    proportional to the mean - and the caveat ``"few_areas"`` says so. The placebo tests are
    the design-based check on those assumptions and run by default: the same model at fake
    policy months before the real one (data before the real policy only), and each control
    area as a fake treated area (real treated excluded).

    Event study: treated × bin dummies for ``bin_months``-month bins relative to the policy
    month (bin -1 is the reference), with a joint F test that all leads equal 1
    (``"pretrend"`` when p < 0.05). Control areas with no events in the window are dropped
    (``"control_dropped"``).
    """
    treated_t = (treated,) if isinstance(treated, str) else tuple(dict.fromkeys(treated))
    control_t = tuple(dict.fromkeys(c for c in control if c not in treated_t))
    if not treated_t:
        raise ImpactError("no_treated", "Choose at least one treated area.")
    if not control_t:
        raise ImpactError(
            "no_control",
            "A difference-in-differences needs at least one "
            "comparison area besides the treated one" + (f" ({', '.join(treated_t)})." if treated_t else "."),
        )
    if not isinstance(bin_months, int) or bin_months < 1:
        raise ImpactError("bad_input", "bin_months must be a whole number ≥ 1.")
    panel, win = _prepare(
        counts, policy_date, window, coverage, DID_MIN_SIDE_MONTHS, areas=[*treated_t, *control_t], full=True
    )
    caveats: list[str] = ["window_past_data"] if win.clipped else []
    core = _did_core(panel, treated_t, control_t, win.policy, win.start, win.end)
    if core.dropped:
        caveats.append("control_dropped")
    if core.troubled:
        caveats.append("convergence")
    in_window = panel[(panel["m"] >= win.start) & (panel["m"] <= win.end)]
    treated_rows = in_window[in_window["area"].isin(treated_t)]
    before = treated_rows.loc[treated_rows["m"] < win.policy, "n"].sum()
    after = treated_rows.loc[treated_rows["m"] >= win.policy, "n"].sum()
    if min(before, after) < FEW_EVENTS:
        caveats.append("few_events")
    if len(treated_t) + len(core.control) < FEW_AREAS:
        caveats.append("few_areas")
    study, pretrend_p, study_caveats = _event_study(panel, treated_t, core.control, win, bin_months)
    caveats += study_caveats
    if pretrend_p < ALPHA:
        caveats.append("pretrend")

    placebo_rows: list[dict[str, object]] = []
    if placebos:
        placebo_rows = _time_placebos(
            panel, treated_t, core.control, win, int(window), bin_months
        ) + _space_placebos(panel, core.control, win)
    table = pd.DataFrame(
        placebo_rows,
        columns=["kind", "label", "policy_month", "treated", "rate_ratio", "ci_low", "ci_high", "p_value"],
    )
    real = abs(math.log(core.rate_ratio))
    table["as_large"] = np.abs(np.log(table["rate_ratio"].astype(float))) >= real
    share, perm_p = math.nan, math.nan
    if placebos:
        if len(table) < 5:
            caveats.append("few_placebos")
        if len(table):
            hits = int(table["as_large"].sum())
            share = hits / len(table)
            perm_p = (1 + hits) / (1 + len(table))
            if share >= PLACEBO_SHARE_CAVEAT:
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
        dispersion=core.dispersion,
        event_study=study,
        pretrend_p=pretrend_p,
        placebos=table,
        placebo_share=share,
        placebo_p=perm_p,
        caveats=tuple(dict.fromkeys(caveats)),
    )


# --------------------------------------------------------------------------------------
# 4-5. Shares: displacement between areas, shift between routes.


def _share_rows(before: pd.Series, after: pd.Series) -> list[dict[str, float]]:
    """Share of each category before and after with Wilson intervals, and the change.

    Wilson intervals are per category (marginal, not simultaneous). The change uses
    Newcombe's hybrid score interval for a difference of independent proportions and the
    score test. Both treat events as independent draws; see the "overdispersion" check.
    """
    total_b, total_a = float(before.sum()), float(after.sum())
    rows = []
    for key in before.index:
        eb, ea = int(round(before[key])), int(round(after[key]))
        row = {"events_before": float(eb), "events_after": float(ea)}
        for side, count, total in (("before", eb, total_b), ("after", ea, total_a)):
            if total > 0:
                low, high = proportion_confint(count, int(total), alpha=ALPHA, method="wilson")
                row |= {
                    f"share_{side}": count / total,
                    f"share_{side}_low": float(low),
                    f"share_{side}_high": float(high),
                }
            else:
                row |= {
                    f"share_{side}": math.nan,
                    f"share_{side}_low": math.nan,
                    f"share_{side}_high": math.nan,
                }
        row |= {"change": math.nan, "change_low": math.nan, "change_high": math.nan, "p_value": math.nan}
        if total_b > 0 and total_a > 0:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # 0 % or 100 % shares warn but are handled
                low, high = confint_proportions_2indep(
                    ea, int(total_a), eb, int(total_b), method="newcomb", compare="diff", alpha=ALPHA
                )
                test = test_proportions_2indep(
                    ea, int(total_a), eb, int(total_b), method="score", compare="diff"
                )
            p = float(test.pvalue)
            row |= {
                "change": ea / total_a - eb / total_b,
                "change_low": float(low),
                "change_high": float(high),
                "p_value": p if np.isfinite(p) else 1.0,
            }
        rows.append(row)
    return rows


def _share_overdispersed(table: pd.DataFrame, column: str, policy: int) -> bool:
    """Do monthly shares swing more than multinomial sampling allows, in either period?

    A chi² test of homogeneity on the months x categories table of each period: if each
    month's events were independent draws with fixed shares, it would pass.
    """
    for side in (table["m"] < policy, table["m"] >= policy):
        wide = table[side].pivot_table(index="m", columns=column, values="n", aggfunc="sum")
        wide = wide.loc[wide.sum(axis=1) > 0, wide.sum(axis=0) > 0]
        if wide.shape[0] > 1 and wide.shape[1] > 1:
            p = stats.chi2_contingency(wide.to_numpy(), correction=False).pvalue
            if p < ALPHA:
                return True
    return False


def displacement(
    counts: pd.DataFrame,
    policy_date: date,
    window: int,
    *,
    areas: Sequence[str] | None = None,
    coverage: tuple[date, date] | None = None,
) -> pd.DataFrame:
    """Each area's share of all events before vs after the policy, and the change.

    Columns: area, events_before, events_after, share_before, share_before_low,
    share_before_high, share_after, share_after_low, share_after_high, change (after - before,
    in share points), change_low, change_high, p_value, caveats. Shares sum to 1 in each
    period. ``attrs["caveats"]`` holds table-wide caveats ("overdispersion" when monthly
    shares swing more than independent events allow: intervals too narrow).
    """
    data, win = _prepare(counts, policy_date, window, coverage, MIN_SIDE_MONTHS, areas=areas)
    sums = data.assign(after=data["m"] >= win.policy).groupby(["area", "after"], sort=False)["n"]
    totals = sums.sum().unstack("after").reindex(columns=[False, True], fill_value=0.0)
    span = f"{_label(win.start)}–{_label(win.end)}"
    if totals[False].sum() == 0 or totals[True].sum() == 0:
        side = "before" if totals[False].sum() == 0 else "after"
        raise ImpactError(
            "no_events",
            f"There are no events in any area {side} "
            f"{_label(win.policy)} (window {span}), so shares are undefined.",
        )
    caveats = ["window_past_data"] if win.clipped else []
    if _share_overdispersed(data, "area", win.policy):
        caveats.append("overdispersion")
    table = pd.DataFrame(_share_rows(totals[False], totals[True]))
    table.insert(0, "area", list(totals.index))
    table["caveats"] = [tuple(caveats)] * len(table)
    return _table_attrs(table, win, caveats)


def route_share_shift(
    route_counts: pd.DataFrame,
    policy_date: date,
    window: int,
    *,
    areas: Sequence[str] | None = None,
    coverage: tuple[date, date] | None = None,
) -> pd.DataFrame:
    """Within each area, each route's share of events before vs after (air → land/river).

    Input columns: month, area, route, n. Output columns: area, route, then as
    :func:`displacement`, plus note. Shares sum to 1 within an area and period. An area with
    no events in a period gets NaN shares, the caveat "zero_total" and a note.
    """
    data, win = _prepare(
        route_counts, policy_date, window, coverage, MIN_SIDE_MONTHS, keys=("area", "route"), areas=areas
    )
    if data["n"].sum() == 0:
        raise ImpactError(
            "no_events", f"There are no events between {_label(win.start)} and {_label(win.end)}."
        )
    window_caveats = ["window_past_data"] if win.clipped else []
    parts = []
    for area, rows in data.groupby("area", sort=False):
        sums = rows.assign(after=rows["m"] >= win.policy).groupby(["route", "after"], sort=False)["n"].sum()
        totals = sums.unstack("after").reindex(columns=[False, True], fill_value=0.0)
        part = pd.DataFrame(_share_rows(totals[False], totals[True]))
        part.insert(0, "route", list(totals.index))
        part.insert(0, "area", area)
        caveats, note = list(window_caveats), ""
        if totals[False].sum() == 0 or totals[True].sum() == 0:
            caveats.append("zero_total")
            note = f"{area} has no events in one period, so its route shares are undefined."
        elif _share_overdispersed(rows, "route", win.policy):
            caveats.append("overdispersion")
        part["caveats"] = [tuple(caveats)] * len(part)
        part["note"] = note
        parts.append(part)
    table = pd.concat(parts, ignore_index=True)
    return _table_attrs(table, win, window_caveats)


# --------------------------------------------------------------------------------------
# 7. Plain-language summaries.


def _num(x: float, lang: Lang) -> str:
    """A ratio with sensible precision; decimal comma in Spanish (BCRP/INEI usage).

    Two decimals below 1.1 so that a bound such as 1.04 is not shown as "1.0", which would
    read as "no change".
    """
    if not np.isfinite(x):
        text = "∞"
    elif x >= 10:
        text = f"{x:.0f}"
    elif x >= 1.1:
        text = f"{x:.1f}"
    else:
        text = f"{x:.2f}"
    return text.replace(".", ",") if lang == "es" else text


def _signed(x: float, lang: Lang, digits: int = 0, unit: str = "") -> str:
    text = f"{x:+.{digits}f}".replace("-", "−")
    if lang == "es":
        text = text.replace(".", ",")
        unit = unit.replace("%", "\u00a0%")
    return text + unit


def _interval(ci: tuple[float, float], lang: Lang) -> str:
    lo, hi = _num(ci[0], lang), _num(ci[1], lang)
    return f"intervalo de 95\u00a0%: {lo}–{hi}" if lang == "es" else f"95% interval {lo}–{hi}"


def _caveat_sentences(caveats: Sequence[str], lang: Lang) -> str:
    if not caveats:
        return ""
    lead = "Advertencias: " if lang == "es" else "Caveats: "
    return " " + lead + " ".join(caveat_text(c, lang) for c in caveats)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def plain_language(
    result: ITSResult | DiDResult | pd.Series,
    lang: Lang,
    *,
    event_label: str,
    policy_label: str,
    area_label: str | None = None,
    control_label: str | None = None,
) -> str:
    """One paragraph: the estimate, its 95 % interval and the caveats, in ``lang``.

    ``result`` is an :class:`ITSResult`, a :class:`DiDResult` or one row of
    :func:`before_after`. Labels come from the caller in the chosen language:
    ``event_label`` a plural noun phrase ("airstrips destroyed" / "pistas de aterrizaje
    clandestinas inhabilitadas"), ``policy_label`` the policy with its article in Spanish
    ("Law 30339" / "la Ley 30339"), ``area_label`` and ``control_label`` override the area
    names stored in the result.
    """
    if lang not in ("en", "es"):
        raise ValueError(f"lang must be 'en' or 'es', got {lang!r}")
    if isinstance(result, ITSResult):
        text = _its_sentence(result, lang, event_label, policy_label, area_label)
    elif isinstance(result, DiDResult):
        text = _did_sentence(result, lang, event_label, policy_label, area_label, control_label)
    elif isinstance(result, pd.Series):
        text = _before_after_sentence(result, lang, event_label, policy_label, area_label)
        return text + _caveat_sentences(tuple(result.get("caveats", ())), lang)
    else:
        raise TypeError(f"plain_language cannot describe a {type(result).__name__}")
    return text + _caveat_sentences(result.caveats, lang)


def _before_after_sentence(row: pd.Series, lang: Lang, event: str, policy: str, area: str | None) -> str:
    place = area if area is not None else str(row["area"])
    ma, mb = int(row["months_after"]), int(row["months_before"])
    if not np.isfinite(row["rate_ratio"]):
        if lang == "es":
            return (
                f"En {place} no se registraron {event} en los {mb} meses previos a "
                f"{policy}, por lo que no se puede calcular cuánto cambió su ritmo."
            )
        return (
            f"No {event} were recorded in {place} in the {mb} months before {policy}, so "
            "the change in their rate cannot be computed."
        )
    ratio = _num(row["rate_ratio"], lang)
    ci = _interval((row["ci_low"], row["ci_high"]), lang)
    if lang == "es":
        return (
            f"En los {ma} meses posteriores a {policy}, el ritmo mensual de {event} en "
            f"{place} fue {ratio} veces ({ci}) el de los {mb} meses anteriores."
        )
    return (
        f"{_capital(event)} in {place} ran at {ratio} times ({ci}) their rate before "
        f"{policy} in the {ma} months after it."
    )


def _its_sentence(res: ITSResult, lang: Lang, event: str, policy: str, area: str | None) -> str:
    place = area if area is not None else (res.area or "")
    level, level_ci = _num(res.level_change, lang), _interval(res.level_ci, lang)
    to = " a " if lang == "es" else " to "
    slope = _signed(100 * (res.slope_change - 1), lang, 1, "%")
    slope_ci = to.join(_signed(100 * (v - 1), lang, 1, "%") for v in res.slope_ci)
    cum = _signed(res.cumulative_effect, lang)
    cum_ci = to.join(_signed(v, lang) for v in res.cumulative_ci)
    if lang == "es":
        where = f" en {place}" if place else ""
        return (
            f"Justo después de {policy}, el número mensual de {event}{where} fue {level} "
            f"veces ({level_ci}) el nivel que anticipaba la tendencia previa; desde "
            f"entonces la tendencia mensual cambió en {slope} por mes (intervalo de "
            f"95\u00a0%: {slope_ci}). En los {res.months_after} meses posteriores, la "
            f"diferencia acumulada frente a lo esperado sin la norma es de {cum} eventos "
            f"(intervalo de 95\u00a0%: {cum_ci})."
        )
    where = f" in {place}" if place else ""
    return (
        f"Right after {policy}, the monthly number of {event}{where} was {level} times "
        f"({level_ci}) the level the earlier trend predicted; from then on the monthly "
        f"trend changed by {slope} a month (95% interval {slope_ci}). Over the "
        f"{res.months_after} months after, that adds up to {cum} events against what was "
        f"expected without it (95% interval {cum_ci})."
    )


def _did_sentence(
    res: DiDResult, lang: Lang, event: str, policy: str, area: str | None, controls: str | None
) -> str:
    place = area if area is not None else ", ".join(res.treated)
    others = controls if controls is not None else ", ".join(res.control)
    ratio, ci = _num(res.rate_ratio, lang), _interval(res.ci, lang)
    n_placebos = len(res.placebos)
    hits = int(res.placebos["as_large"].sum()) if n_placebos else 0
    if lang == "es":
        text = (
            f"En comparación con {others}, el ritmo de {event} en {place} cambió por un "
            f"factor de {ratio} ({ci}) tras {policy} ({res.months_before} meses antes y "
            f"{res.months_after} después)."
        )
        if n_placebos:
            text += f" {hits} de {n_placebos} pruebas placebo dieron un efecto tan grande como este."
        return text
    text = (
        f"Compared with {others}, the rate of {event} in {place} changed by a factor of "
        f"{ratio} ({ci}) after {policy} ({res.months_before} months before and "
        f"{res.months_after} after)."
    )
    if n_placebos:
        text += f" {hits} of {n_placebos} placebo tests gave an effect as large as this one."
    return text
