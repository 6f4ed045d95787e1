"""Which design answers which question, when a policy *moves* activity instead of only cutting it.

Three answers, each against the area's own counterfactual (interrupted time series):

(a) the treated area: did activity there fall against what its pre-policy path predicted?
(b) every other area: did activity there rise (displacement in) or fall?
(c) all areas together: did the policy reduce the total, or only move it around?

Difference in differences is offered as a cross-check of (a), but only against comparison areas
that the policy did not move: an area whose own series breaks at the policy date (its 95 %
interval in (b), or against a flat counterfactual, excludes "no change") is left out of the default controls, because a control
that receives the displaced activity inflates the treated area's apparent fall. A user who
names such a control keeps it, with the caveat ``"control_moved"``.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date

import numpy as np
import pandas as pd

from lib.impact.did import DiDResult, difference_in_differences
from lib.impact.its import ITSResult, interrupted_time_series
from lib.impact.periods import ImpactError

SENSITIVITY_WINDOWS = (6, 12, 18, 24, 36, 48, 60)


@dataclass(frozen=True, eq=False)
class Attempt:
    """One estimate, or why it could not be made."""

    label: str
    result: ITSResult | DiDResult | None
    code: str | None = None
    message: str | None = None

    @property
    def ok(self) -> bool:
        return self.result is not None


@dataclass(frozen=True, eq=False)
class ImpactStudy:
    treated: tuple[str, ...]
    window: int
    treated_effect: Attempt  # (a)
    others: tuple[Attempt, ...]  # (b), one per other area
    net: Attempt  # (c)
    did: Attempt
    control: tuple[str, ...]  # used in the DiD
    control_moved: tuple[str, ...]  # screened out (their own series break at the policy date)
    control_unchecked: tuple[str, ...]  # screened out (their own break could not be tested)
    control_forced: tuple[str, ...]  # moved, but named by the user, so kept
    sensitivity: pd.DataFrame = field(repr=False)  # design, window, estimate, ci_low, ci_high


def moved(attempt: Attempt) -> bool:
    """Does this area's own series break at the policy date?

    Yes when the 95 % interval excludes 1 against either counterfactual, trend-extrapolated or
    flat. The flat one is the sharper test on short, sparse series; using both errs towards
    leaving a candidate out, the safe side: a lost control costs precision, a contaminated one
    biases the answer.
    """
    res = attempt.result
    if not isinstance(res, ITSResult):
        return False
    return any(ci[1] < 1 or ci[0] > 1 for ci in (res.effect_ci, res.flat_ci))


def policy_study(
    counts: pd.DataFrame,
    treated: Sequence[str],
    control: Sequence[str],
    policy_date: date,
    window: int,
    *,
    coverage: tuple[date, date] | None = None,
    absent: str = "zero",
    sensitivity: bool = True,
) -> ImpactStudy:
    """The three answers, the screened DiD and the window-sensitivity scan for one view.

    ``counts``: month, area, n for every area. ``control`` empty means "screen every other
    area"; a non-empty ``control`` is used as given, moved areas flagged.
    """
    treated_t = tuple(dict.fromkeys(treated))
    if not treated_t:
        raise ImpactError("no_treated", "Choose at least one treated area.")
    areas = list(dict.fromkeys(counts["area"]))
    others_list = [a for a in areas if a not in treated_t]
    kw = {"coverage": coverage, "absent": absent}
    treated_series = _summed(counts, treated_t, ", ".join(treated_t))
    treated_effect = _its(", ".join(treated_t), treated_series, policy_date, window, **kw)
    # Only the treated area's bands are drawn; the others need their estimates.
    others = tuple(
        _its(a, counts[counts["area"] == a], policy_date, window, bands=False, **kw) for a in others_list
    )
    net = (
        _its("all areas", _summed(counts, tuple(areas), "all areas"), policy_date, window, bands=False, **kw)
        if others_list
        else Attempt("all areas", None, "no_other_areas", "There are no other areas to add up.")
    )
    by_area = {a.label: a for a in others}
    if control:
        chosen = tuple(c for c in dict.fromkeys(control) if c not in treated_t)
        forced = tuple(c for c in chosen if c in by_area and moved(by_area[c]))
        moved_out, unchecked = (), ()
    else:
        chosen = tuple(a.label for a in others if a.ok and not moved(a))
        moved_out = tuple(a.label for a in others if moved(a))
        unchecked = tuple(a.label for a in others if not a.ok)
        forced = ()
    did = _did(counts, treated_t, chosen, policy_date, window, moved_out, unchecked, **kw)
    if did.ok and forced:
        res = did.result
        did = Attempt(did.label, _with_caveat(res, "control_moved"))
    scan = (
        _sensitivity(counts, treated_series, treated_t, chosen, policy_date, **kw)
        if sensitivity
        else pd.DataFrame(columns=["design", "window", "estimate", "ci_low", "ci_high"])
    )
    return ImpactStudy(
        treated_t, window, treated_effect, others, net, did, chosen, moved_out, unchecked, forced, scan
    )


def _summed(counts: pd.DataFrame, areas: tuple[str, ...], name: str) -> pd.DataFrame:
    rows = counts[counts["area"].isin(areas)]
    return rows.groupby("month", as_index=False)["n"].sum().assign(area=name)


def _its(label: str, series: pd.DataFrame, policy_date: date, window: int, **kw) -> Attempt:
    try:
        if series.empty:
            raise ImpactError("no_events", f"There are no events in {label}.")
        return Attempt(label, interrupted_time_series(series, policy_date, window, area=label, **kw))
    except ImpactError as exc:
        return Attempt(label, None, exc.code, exc.message)


def _did(counts, treated, control, policy_date, window, moved_out, unchecked, **kw) -> Attempt:
    label = ", ".join(treated)
    if not control:
        why = ", ".join([*moved_out, *unchecked]) or "none"
        return Attempt(
            label,
            None,
            "no_clean_control",
            "Every other area's own series breaks at the policy date or could not be checked "
            f"({why}), so no comparison area is left that the policy did not move; the "
            "difference-in-differences is not shown. Name comparison areas to force it.",
        )
    try:
        return Attempt(label, difference_in_differences(counts, treated, control, policy_date, window, **kw))
    except ImpactError as exc:
        return Attempt(label, None, exc.code, exc.message)


def _with_caveat(result: DiDResult, code: str) -> DiDResult:
    return replace(result, caveats=tuple(dict.fromkeys([*result.caveats, code])))


_SCAN_CACHE: OrderedDict[tuple, pd.DataFrame] = OrderedDict()
_SCAN_CACHE_SIZE = 64
_SCAN_REFERENCE_WINDOW = 24  # the fit whose working correlation every other window reuses


def _sensitivity(counts, treated_series, treated, control, policy_date, **kw) -> pd.DataFrame:
    """Estimate and interval of (a) and of the DiD for windows 6…60 months.

    The scan does not depend on the window the user chose, so it is memoised on its inputs: a
    window change reruns only the headline fits. Every window reuses the working correlation of
    the 24-month fit (same series, same noise), which keeps the scan a pure function of its inputs.
    """
    digest = int(pd.util.hash_pandas_object(counts, index=False).sum())
    key = (digest, tuple(treated), tuple(control), policy_date, tuple(sorted(kw.items())))
    if key in _SCAN_CACHE:
        _SCAN_CACHE.move_to_end(key)
        return _SCAN_CACHE[key]
    its_corr = did_corr = None
    rows = []
    for w in (_SCAN_REFERENCE_WINDOW, *(w for w in SENSITIVITY_WINDOWS if w != _SCAN_REFERENCE_WINDOW)):
        try:
            its = interrupted_time_series(
                treated_series, policy_date, w, bands=False, correlation=its_corr, **kw
            )
            rows.append(("its", w, its.effect, *its.effect_ci))
            its_corr = its_corr or its.correlation
        except ImpactError:
            pass
        if control:
            try:
                did = difference_in_differences(
                    counts,
                    treated,
                    control,
                    policy_date,
                    w,
                    placebos=False,
                    diagnostics=False,
                    correlation=did_corr,
                    **kw,
                )
                rows.append(("did", w, did.rate_ratio, *did.ci))
                did_corr = did_corr or did.correlation
            except ImpactError:
                pass
    frame = pd.DataFrame(rows, columns=["design", "window", "estimate", "ci_low", "ci_high"])
    finite = np.isfinite(frame["estimate"].to_numpy(dtype=float))
    frame = frame.loc[finite].sort_values(["design", "window"]).reset_index(drop=True)
    _SCAN_CACHE[key] = frame
    while len(_SCAN_CACHE) > _SCAN_CACHE_SIZE:
        _SCAN_CACHE.popitem(last=False)
    return frame
