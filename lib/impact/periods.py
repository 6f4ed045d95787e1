"""Months, windows and input checking shared by every design (see lib.impact for the contract)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from scipy import stats

ALPHA = 0.05  # every interval is 95 %
FEW_EVENTS = 10  # fewer events than this on one side -> "few_events"
MIN_SIDE_MONTHS = 2  # before/after comparisons and shares


class ImpactError(ValueError):
    """An analysis that cannot be run on this data, with a message a person can act on.

    ``code`` is machine-readable (e.g. ``"window_outside_data"``, ``"no_events"``,
    ``"no_control"``, ``"too_few_months"``) so a page can translate the message.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


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
        month = (
            counts["month"]
            if pd.api.types.is_datetime64_any_dtype(counts["month"])
            else pd.to_datetime(counts["month"])
        )
    except (TypeError, ValueError) as exc:
        raise ImpactError("bad_input", "The month column contains values that are not dates.") from exc
    n = pd.to_numeric(counts["n"], errors="coerce")
    if month.isna().any() or n.isna().any():
        raise ImpactError("bad_input", "The counts table has missing months or counts.")
    if not np.isfinite(n.to_numpy(dtype=float)).all() or (n < 0).any():
        raise ImpactError("bad_input", "Counts must be finite and non-negative.")
    stamp = month.to_numpy().astype("datetime64[M]").astype("int64")  # months since 1970-01
    frame = pd.DataFrame({"m": stamp + 1970 * 12})
    for key in keys:
        frame[key] = counts[key].astype(str).to_numpy()
    frame["n"] = n.astype(float).to_numpy()
    # Usually one row per (month, key) already: then a sort is enough (a groupby costs ~5 ms,
    # and every design of a view loads its counts).
    codes = [pd.factorize(frame[k])[0] for k in keys]
    combined = frame["m"].to_numpy() - frame["m"].min()
    for c in codes:
        combined = combined * (int(c.max()) + 1) + c
    if np.unique(combined).size == len(frame):
        # lexsort: the last key is the primary one -> month, then the keys in order.
        order = np.lexsort(
            tuple(frame[k].to_numpy().astype(str) for k in reversed(keys)) + (frame["m"].to_numpy(),)
        )
        return frame.iloc[order].reset_index(drop=True)
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
    months = np.arange(start, end + 1)
    values = np.zeros((len(key_rows), len(months)))
    position = {k: i for i, k in enumerate(key_rows)}
    inside = frame[(frame["m"] >= start) & (frame["m"] <= end)]
    if len(inside):
        row_keys = list(zip(*(inside[k].to_numpy() for k in keys), strict=True))
        rows = np.array([position.get(k, -1) for k in row_keys])
        hit = rows >= 0
        values[rows[hit], inside["m"].to_numpy()[hit] - start] = inside["n"].to_numpy()[hit]
    out = {"m": np.tile(months, len(key_rows))}
    for j, key in enumerate(keys):
        out[key] = np.repeat(np.array([k[j] for k in key_rows], dtype=object), len(months))
    out["n"] = values.reshape(-1)
    return pd.DataFrame(out)


def _prepare(
    counts: pd.DataFrame,
    policy_date: date,
    window: int,
    coverage: tuple[date, date] | None,
    min_side: int,
    keys: tuple[str, ...] = ("area",),
    areas: Sequence[str] | None = None,
    full: bool = False,
    absent: str = "zero",
) -> tuple[pd.DataFrame, _Window]:
    """Zero-filled counts over the window (or the whole coverage if ``full``) and the window.

    ``absent="missing"`` (reported rows) refuses a series with a month that has no record in the
    window instead of reading it as zero events (``sparse_series``).
    """
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
    if absent == "missing":
        _require_every_month(frame, keys, key_rows, win.start, win.end)
    return _grid(frame, keys, key_rows, lo, hi), win


def _require_every_month(
    frame: pd.DataFrame, keys: tuple[str, ...], key_rows: list[tuple[str, ...]], start: int, end: int
) -> None:
    """Refuse a series with months that hold no record when an absent month means *unknown*.

    Reported rows are scattered reports, not a monthly census: a month without a report is not
    a month with zero events, so zero-filling would invent a collapse (or a surge) between reports.
    """
    need = end - start + 1
    seen = frame[(frame["m"] >= start) & (frame["m"] <= end)].groupby(list(keys))["m"].nunique()
    for key in key_rows:
        have = int(seen.get(key if len(key) > 1 else key[0], 0))
        if have < need:
            raise ImpactError(
                "sparse_series",
                f"Only {have} of the {need} months from {_label(start)} to {_label(end)} have a record"
                f"{' for ' + ', '.join(key) if any(key) else ''}. Months without a report are unknown, "
                "not zero events, so a monthly model cannot be fitted; compare the reported figures "
                "year by year instead.",
            )


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
