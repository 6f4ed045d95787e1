"""Shares: each area's share of all events (displacement) and each route's share within an area."""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from datetime import date

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    proportion_confint,
    test_proportions_2indep,
)

from lib.impact.periods import ALPHA, MIN_SIDE_MONTHS, ImpactError, _label, _prepare, _table_attrs


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
        rows = table[side]
        months = rows["m"].to_numpy()
        cats, cat_codes = np.unique(rows[column].to_numpy().astype(str), return_inverse=True)
        month_values, month_codes = np.unique(months, return_inverse=True)
        wide = np.zeros((month_values.size, cats.size))
        np.add.at(wide, (month_codes, cat_codes), rows["n"].to_numpy(dtype=float))
        wide = wide[wide.sum(axis=1) > 0][:, wide.sum(axis=0) > 0]
        if wide.shape[0] > 1 and wide.shape[1] > 1:
            p = stats.chi2_contingency(wide, correction=False).pvalue
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
    absent: str = "zero",
) -> pd.DataFrame:
    """Each area's share of all events before vs after the policy, and the change.

    Columns: area, events_before, events_after, share_before, share_before_low,
    share_before_high, share_after, share_after_low, share_after_high, change (after - before,
    in share points), change_low, change_high, p_value, caveats. Shares sum to 1 in each
    period. ``attrs["caveats"]`` holds table-wide caveats ("overdispersion" when monthly
    shares swing more than independent events allow: intervals too narrow).
    """
    data, win = _prepare(counts, policy_date, window, coverage, MIN_SIDE_MONTHS, areas=areas, absent=absent)
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
    absent: str = "zero",
) -> pd.DataFrame:
    """Within each area, each route's share of events before vs after (air → land/river).

    Input columns: month, area, route, n. Output columns: area, route, then as
    :func:`displacement`, plus note. Shares sum to 1 within an area and period. An area with
    no events in a period gets NaN shares, the caveat "zero_total" and a note.
    """
    data, win = _prepare(
        route_counts,
        policy_date,
        window,
        coverage,
        MIN_SIDE_MONTHS,
        keys=("area", "route"),
        areas=areas,
        absent=absent,
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
