"""Seeded random view states, each one valid: its URL parses back to itself with no notice.

How a state is drawn (the mix is a guess at how people filter, stated so it can be argued with):
- period: start uniform over 2010-01 … the last data month (1 in 10: the first data month, i.e. all
  history); end uniform between start and the last month (3 in 10: "latest", the default);
- places: 4 in 10 all; else 1–3 of the areas and regions, the ones with simulated events three
  times as likely as the others (Lima or Tacna give empty views, which are cheap);
- types: half all, else 1–3 types; routes: 6 in 10 all, else 1–2 routes;
- data: all 5 in 10, simulated 3 in 10, reported 2 in 10; metric any type; by area or region.
"""

from __future__ import annotations

import random

import pandas as pd

from lib.schema import AREA_REGIONS, AREAS, EVENT_TYPES, REGIONS, ROUTES
from lib.state import DEFAULT_START, Context, ViewState

PLACES = tuple(dict.fromkeys((*AREAS, *REGIONS)))
BUSY = {*AREAS, *(r for regions in AREA_REGIONS.values() for r in regions)} - {"Nacional"}


def _months(first: str, last: str) -> list[str]:
    return [p.strftime("%Y-%m") for p in pd.period_range(first, last, freq="M")]


def _some(rng: random.Random, options, low: int, high: int, weights=None) -> tuple[str, ...]:
    k = rng.randint(low, high)
    picked: set[str] = set()
    while len(picked) < k:
        picked.add(rng.choices(list(options), weights=weights)[0])
    return tuple(sorted(picked))


def random_state(rng: random.Random, ctx: Context) -> ViewState:
    months = _months(max(ctx.first_month, DEFAULT_START), ctx.last_month)
    start = ctx.first_month if rng.random() < 0.1 else rng.choice(months)
    end = None if rng.random() < 0.3 else rng.choice(_months(start, ctx.last_month))
    weights = [3 if p in BUSY else 1 for p in PLACES]
    return ViewState(
        start=start,
        end=None if end == ctx.last_month else end,
        areas=() if rng.random() < 0.4 else _some(rng, PLACES, 1, 3, weights),
        types=() if rng.random() < 0.5 else _some(rng, EVENT_TYPES, 1, 3),
        routes=() if rng.random() < 0.6 else _some(rng, ROUTES, 1, 2),
        data=rng.choices(("all", "simulated", "reported"), weights=(5, 3, 2))[0],
        metric=rng.choice(EVENT_TYPES),
        by=rng.choice(("area", "region")),
    )


def random_states(ctx: Context, n: int, seed: int) -> list[ViewState]:
    """`n` distinct valid states (distinct, so no page run is served from Streamlit's cache)."""
    rng = random.Random(seed)
    states: list[ViewState] = []
    while len(states) < n:
        state = random_state(rng, ctx)
        if state in states:
            continue
        parsed, problems = ViewState.from_query(state.to_query(), ctx)
        if problems or parsed != state:
            raise AssertionError(f"drew an invalid state {state}: {problems}")
        states.append(state)
    return states
