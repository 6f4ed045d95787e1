"""The view state and its URL form: the URL *is* the view.

`ViewState.from_query(params, context)` never raises: every value it cannot use becomes a
`Problem` (which parameter, what was given, why, what was used instead) and the default is
used for that field. Values are read forgivingly (case and accents ignored, `vraem,huanuco`
works) and written back canonically by `to_query()`: defaults omitted, lists de-duplicated,
sorted and comma-joined, so equal views have equal URLs and the round trip is exact.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace

from lib.schema import AREAS, EVENT_TYPES, EVIDENCE_KINDS, ROUTES, canonical_place, fold

MAX_LIST_ITEMS = 60  # more than every area, region, type and route together
MAX_VALUE_CHARS = 2000
MONTH_RE = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")
DEFAULT_START = "2010-01"


@dataclass(frozen=True)
class Context:
    """What valid values depend on: the data's month range and the known policies."""

    first_month: str  # YYYY-MM
    last_month: str
    policies: tuple[str, ...] = ("law-30339",)


@dataclass(frozen=True)
class Problem:
    """One rejected or adjusted URL value; `code` selects the message (lib.i18n)."""

    param: str
    given: str
    code: str  # unknown_value, bad_month, clamped, swapped, too_many, too_long, bad_number, ...
    used: str


@dataclass(frozen=True)
class ViewState:
    start: str = DEFAULT_START
    end: str | None = None  # None: up to the latest data month
    areas: tuple[str, ...] = ()  # areas or regions; empty: all
    types: tuple[str, ...] = ()
    routes: tuple[str, ...] = ()
    data: str = "all"  # all | reported | simulated
    metric: str = "airstrip_destroyed"
    by: str = "area"  # area | region
    policy: str = "law-30339"
    window: int = 24
    treated: tuple[str, ...] = ("VRAEM",)
    control: tuple[str, ...] = ()  # empty: every other simulated area
    layer: str = "points"
    basemap: str = "carto"
    colour: str = "event_type"
    month: str | None = None  # map playback month
    shade: str = "events"  # map region metric: events | destroyed | coca | change
    split: bool = False  # map: before/after the policy, side by side
    page: int = 1
    kinds: tuple[str, ...] = ()  # Evidence page: kinds of sourced fact; empty: all
    lang: str | None = None  # None: from the browser's locale
    present: bool = False

    # ---- URL form -------------------------------------------------------------------------
    def to_query(self) -> dict[str, str]:
        """Canonical query parameters: defaults omitted, lists sorted and comma-joined."""
        default = ViewState()
        out: dict[str, str] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value == getattr(default, f.name):
                continue
            if isinstance(value, tuple):
                out[f.name] = ",".join(value)
            elif isinstance(value, bool):
                out[f.name] = "1" if value else "0"
            else:
                out[f.name] = str(value)
        return out

    @classmethod
    def from_query(
        cls, params: Mapping[str, str | list[str]], context: Context
    ) -> tuple[ViewState, list[Problem]]:
        """Parse query parameters; never raises. Unknown parameter names are ignored."""
        problems: list[Problem] = []
        values: dict[str, object] = {}
        for name, parse in _PARSERS.items():
            if name not in params:
                continue
            raw = params[name]
            if isinstance(raw, list):  # repeated parameter: ?areas=a&areas=b
                raw = ",".join(str(r) for r in raw)
            raw = str(raw)
            if len(raw) > MAX_VALUE_CHARS:
                problems.append(Problem(name, raw[:40] + "…", "too_long", _shown_default(name)))
                continue
            value, problem = parse(raw, context)
            if problem:
                problems.append(Problem(name, raw, *problem))
            if value is not None:
                values[name] = value
        state = replace(cls(), **values)
        state, more = _check_period(state, context)
        return state, problems + more

    # ---- conveniences used by pages ---------------------------------------------------------
    def with_changes(self, **changes) -> ViewState:
        """A copy with some fields changed; the table page resets when filters change."""
        if any(k not in ("page", "lang", "present") for k in changes) and "page" not in changes:
            changes["page"] = 1
        return replace(self, **changes)

    def provenances(self) -> tuple[str, ...]:
        return ("reported", "simulated") if self.data == "all" else (self.data,)


# ---- parsers: (raw, context) -> (value or None, (code, used) or None) ----------------------
Parsed = tuple[object | None, tuple[str, str] | None]


def _shown_default(name: str) -> str:
    value = getattr(ViewState(), name)
    if isinstance(value, tuple):
        return ",".join(value) or "all"
    return "latest" if value is None else str(value)


def _list_parser(canonical: Callable[[str], str | None], name: str) -> Callable[[str, Context], Parsed]:
    def parse(raw: str, context: Context) -> Parsed:
        items = [p for p in (s.strip() for s in raw.split(",")) if p]
        if len(items) > MAX_LIST_ITEMS:
            return None, ("too_many", _shown_default(name))
        known = sorted({c for c in map(canonical, items) if c})
        unknown = [i for i in items if not canonical(i)]
        if unknown:
            used = ",".join(known) if known else _shown_default(name)
            return (tuple(known) if known else None), ("unknown_value", used)
        return tuple(known), None

    return parse


def _choice_parser(options: tuple[str, ...], name: str) -> Callable[[str, Context], Parsed]:
    by_fold = {fold(o): o for o in options}

    def parse(raw: str, context: Context) -> Parsed:
        value = by_fold.get(fold(raw))
        if value is None:
            return None, ("unknown_value", _shown_default(name))
        return value, None

    return parse


def _vocab(options: tuple[str, ...]) -> Callable[[str], str | None]:
    by_fold = {fold(o): o for o in options}
    return lambda text: by_fold.get(fold(text))


def _month(raw: str) -> str | None:
    match = MONTH_RE.match(raw)
    if not match:
        return None
    year, month = int(match.group(1)), int(match.group(2))
    if not (1900 <= year <= 2100 and 1 <= month <= 12):
        return None
    return f"{year:04d}-{month:02d}"


def _month_parser(name: str) -> Callable[[str, Context], Parsed]:
    def parse(raw: str, context: Context) -> Parsed:
        value = _month(raw)
        if value is None:
            return None, ("bad_month", _shown_default(name))
        return value, None

    return parse


def _policy(raw: str, context: Context) -> Parsed:
    return _choice_parser(context.policies, "policy")(raw, context)


def _window(raw: str, context: Context) -> Parsed:
    try:
        value = int(raw.strip())
    except ValueError:
        return None, ("bad_number", _shown_default("window"))
    if not 3 <= value <= 120:
        clamped = min(max(value, 3), 120)
        return clamped, ("out_of_range", str(clamped))
    return value, None


def _page(raw: str, context: Context) -> Parsed:
    try:
        value = int(raw.strip())
    except ValueError:
        return None, ("bad_number", "1")
    if value < 1 or value > 10_000_000:
        return None, ("out_of_range", "1")
    return value, None


def _flag(raw: str, context: Context) -> Parsed:
    folded = fold(raw)
    if folded in ("1", "true", "yes", "si"):
        return True, None
    if folded in ("0", "false", "no", ""):
        return False, None
    return None, ("unknown_value", "0")


_PARSERS: dict[str, Callable[[str, Context], Parsed]] = {
    "start": _month_parser("start"),
    "end": _month_parser("end"),
    "areas": _list_parser(canonical_place, "areas"),
    "types": _list_parser(_vocab(EVENT_TYPES), "types"),
    "routes": _list_parser(_vocab(ROUTES), "routes"),
    "data": _choice_parser(("all", "reported", "simulated"), "data"),
    "metric": _choice_parser(EVENT_TYPES, "metric"),
    "by": _choice_parser(("area", "region"), "by"),
    "policy": _policy,
    "window": _window,
    "treated": _list_parser(_vocab(AREAS), "treated"),
    "control": _list_parser(_vocab(AREAS), "control"),
    "layer": _choice_parser(("points", "hex"), "layer"),
    "basemap": _choice_parser(("carto", "none"), "basemap"),
    "colour": _choice_parser(("event_type", "route"), "colour"),
    "month": _month_parser("month"),
    "shade": _choice_parser(("events", "destroyed", "coca", "change"), "shade"),
    "split": _flag,
    "page": _page,
    "kinds": _list_parser(_vocab(EVIDENCE_KINDS), "kinds"),
    "lang": _choice_parser(("en", "es"), "lang"),
    "present": _flag,
}
QUERY_PARAMS: tuple[str, ...] = (*_PARSERS, "v")  # `v`: the data version a link was made on


def _check_period(state: ViewState, context: Context) -> tuple[ViewState, list[Problem]]:
    """Keep start/end inside the data and in order, saying what was changed."""
    problems: list[Problem] = []
    first, last = context.first_month, context.last_month
    start, end = state.start, state.end
    if start > last:
        problems.append(Problem("start", start, "after_data", first))
        start = DEFAULT_START if DEFAULT_START <= last else first
    if end is not None and end > last:
        problems.append(Problem("end", end, "after_data", last))
        end = None
    if end is not None and end < first:
        problems.append(Problem("end", end, "before_data", "latest"))
        end = None
    if end is not None and start > end:
        problems.append(Problem("start", f"{start} > {end}", "swapped", f"{end} – {start}"))
        start, end = end, start
    if end == last:
        end = None  # "up to the latest" is the canonical form of the last month
    month = state.month
    if month is not None and not (start <= month <= (end or last)):
        problems.append(Problem("month", month, "outside_period", start))
        month = None
    return replace(state, start=start, end=end, month=month), problems


def period_end(state: ViewState, context: Context) -> str:
    """The effective last month of the view."""
    return state.end or context.last_month
