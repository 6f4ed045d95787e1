"""Policy-impact statistics on monthly event counts: did a policy cut trafficking, or move it?

Input, everywhere: a DataFrame of monthly counts with columns ``month`` (any day; normalised
to its month), ``area`` (str) and ``n`` (non-negative count; ``route_share_shift`` also needs
``route``). Duplicate (month, area[, route]) rows are summed.

Absent months. With ``absent="zero"`` (simulated or complete event data) a month missing for
an area means zero events, inside the data's coverage (pass ``coverage=(first, last)`` when the
true span is known). With ``absent="missing"`` (reported rows: scattered reports) a month
without a record is unknown, and a series with such a month in the window is refused
(``ImpactError("sparse_series")``) instead of being read as zeros.

Periods. The policy month P is the calendar month containing the policy date; "before" is
the ``window`` months P-window … P-1 and "after" P … P+window-1. A window past the data is
clipped (caveat ``"window_past_data"``).

Modules, one per design: :mod:`~lib.impact.before_after` (exact rate ratio),
:mod:`~lib.impact.its` (an area against its own counterfactual),
:mod:`~lib.impact.did` (against comparison areas), :mod:`~lib.impact.shares` (displacement
and route shares), :mod:`~lib.impact.design` (the three answers and control screening),
:mod:`~lib.impact.inference` (the robust intervals), :mod:`~lib.impact.reading` (the plain
language reading). Texts live in :mod:`lib.i18n`. Effects are rate ratios (1 = no change);
every interval is 95 %. Errors are :class:`ImpactError` with a machine-readable ``code``.
"""

from lib.impact import reading
from lib.impact.before_after import before_after
from lib.impact.design import Attempt, ImpactStudy, moved, policy_study
from lib.impact.did import DiDResult, difference_in_differences
from lib.impact.its import ITSResult, interrupted_time_series
from lib.impact.periods import ImpactError
from lib.impact.shares import displacement, route_share_shift

__all__ = [
    "Attempt",
    "DiDResult",
    "ITSResult",
    "ImpactError",
    "ImpactStudy",
    "before_after",
    "difference_in_differences",
    "displacement",
    "interrupted_time_series",
    "moved",
    "reading",
    "policy_study",
    "route_share_shift",
]
