"""Seeded generator of the SIMULATED demo events. Not evidence: every row says `simulated`.

The generator tells a plausible story calibrated to sourced facts (data/sourced/, see
data/README.md for each rule and its target), so the dashboard can be explored before real
records are loaded:

- VRAEM airstrip destruction near 185 in Jan–Sep 2014 (InSight Crime, S002);
- Law 30339 (Aug 2015) lowers the VRAEM's air share while land rises ("most by land", May 2016);
- activity moves north to Pichis-Palcazú (Pasco, Huánuco) and Ucayali after the law;
- river share rises in the rainy season (Dec–Apr), when riverside strips flood;
- destroyed strips are rebuilt within days (A001: 49 of 185 rebuilt; A003: as little as 24 h)
  and destroyed again, so one persistent `airstrip_id` has several events;
- after 2016 the hunt moves north but finds few of the new strips: Peru destroys 60-85 a year
  (A054, A021, A071), the VRAEM about 17 (A022);
- seizures happen where coca grows (the Devida zone panel, COCA_HA); how they travel follows the law.

Size: `scale=1` is the calibrated demo (~26k events). `events=N` rescales every rate so the
expected total is N (calibration targets then scale too); the benchmark uses 10M. Output comes
year by year, so memory stays bounded whatever N is.

CLI: python -m lib.simulate --events N --seed S --out DIR  (writes Parquet chunks; `make data`
calls lib.build, which uses this module and sorts/partitions the result.)
"""

from __future__ import annotations

import argparse
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from lib.schema import EVENT_COLUMNS, EVENTS_SCHEMA

GENERATOR_VERSION = "4"  # 2: Law 30339 effects explicit (policy=False counterfactual), Huallaga untouched;
# 3: seizure tonnage calibrated to the sourced national totals (KG_MEDIAN, KG_SIGMA; counts unchanged);
# 4: strips destroyed per year calibrated (STRIP_FINDING, VRAEM redeployment), seizures follow coca
DEFAULT_SEED = 20150820
FIRST_YEAR, LAST_YEAR = 2010, 2024
LAW_MONTH = pd.Timestamp("2015-08-01")  # Law 30339 passed 20 Aug 2015 (L002)
SIM_AREAS = ("VRAEM", "Pichis-Palcazú", "Ucayali", "Huallaga", "Puno")
RAINY_MONTHS = (12, 1, 2, 3, 4)

# Calibration constants (data/README.md explains each).
VRAEM_DESTROYED_PER_MONTH_2014 = 185 / 9  # S002: 185 in the first nine months of 2014
P_REBUILT = 49 / 185  # A001: 49 of the 185 were rebuilt
P_DESTROYED_AGAIN = 0.6  # a rebuilt strip is found and destroyed again
REBUILD_DAYS_SHAPE, REBUILD_DAYS_SCALE = 2.0, 2.5  # gamma: median ~4 days (A003: "24 hours")
REDESTROY_DAYS_MEAN = 45.0
EXPECTED_DESTRUCTIONS_PER_STRIP = 1 / (1 - P_REBUILT * P_DESTROYED_AGAIN)
FLIGHTS_PER_MONTH_VRAEM = 60.0  # detected; radar saw 205 aircraft in ~4.4 months (F005)
FLIGHTS_PER_MONTH_PICHIS_2019 = 18.0  # F011: 15–21 planes a month in Pichis-Palcazú, 2019
# Seizures follow where coca grows: per 1,000 ha of the area's Devida zones (COCA_HA), a month.
SEIZURES_PER_MONTH_PER_KHA = 1.45
INTERDICTIONS_PER_MONTH_VRAEM = 0.6
JITTER_DEG = 0.08  # ~9 km around a district capital: strips sit in the forest nearby

# Route mix of seizures (air, land, river, sea) by area, before and after the law.
# VRAEM before: 90% air (R001, 2014 expert estimate); after: "most by land" (F007, May 2016).
ROUTE_MIX: dict[str, tuple[tuple[float, ...], tuple[float, ...]]] = {
    "VRAEM": ((0.88, 0.09, 0.03, 0.0), (0.40, 0.50, 0.10, 0.0)),
    "Pichis-Palcazú": ((0.60, 0.25, 0.15, 0.0), (0.62, 0.20, 0.18, 0.0)),  # R008: ~60% air
    "Ucayali": ((0.50, 0.10, 0.40, 0.0), (0.52, 0.08, 0.40, 0.0)),
    "Huallaga": ((0.30, 0.60, 0.10, 0.0), (0.30, 0.60, 0.10, 0.0)),  # untouched by the law
    "Puno": ((0.05, 0.90, 0.05, 0.0), (0.05, 0.90, 0.05, 0.0)),
}
RAINY_RIVER_SHIFT = {"Ucayali": 0.25, "Pichis-Palcazú": 0.12, "VRAEM": 0.04}
ROUTES = ("air", "land", "river", "sea")
# Kilograms per seizure by route: lognormal with median KG_MEDIAN and spread KG_SIGMA. Most
# seizures are small (a backpacker carries 7–15 kg, R015; a stash, part of a cargo); the heavy
# tail reaches whole plane loads (~350 kg a flight, F003: ~6% of air seizures exceed it). Calibrated
# so that yearly tonnage lands near the sourced national totals (about 45–65 t a year in 2017–2020:
# Z018, Z001, Z022, Z024; data/README.md "Calibration"), which tests/test_calibration.py checks.
# Only the kilograms are calibrated here: the number of seizures follows the coca hectares (COCA_HA).
KG_MEDIAN = {"air": 120.0, "land": 15.0, "river": 60.0, "sea": 150.0}
KG_SIGMA = 1.0

# Coca hectares of each simulated area's Devida zones, 2018–2024 (data/sourced/coca.csv, the zone
# panel; tests/test_calibration.py checks every figure against its row). Zones by area:
# VRAEM → VRAEM; Pichis-Palcazú → Pichis-Palcazú-Pachitea; Ucayali → Aguaytía + Callería;
# Huallaga → Huallaga; Puno → Inambari-Tambopata + San Gabán. Years before 2018 hold the 2018 value
# (the panel starts then; UNODC's earlier VRAEM series is a different measure, not spliced in).
COCA_ZONES = {
    "VRAEM": ("VRAEM",),
    "Pichis-Palcazú": ("Pichis-Palcazú-Pachitea",),
    "Ucayali": ("Aguaytía", "Callería"),
    "Huallaga": ("Huallaga",),
    "Puno": ("Inambari-Tambopata", "San Gabán"),
}
COCA_PANEL_YEARS = tuple(range(2018, 2025))
COCA_HA = {  # area → hectares for 2018 … 2024 (sum over the area's zones)
    "VRAEM": (24111, 26028, 27994, 32106, 35106, 38253, 36345),  # C088 C089 C023 C177 C024 C178 C179
    "Pichis-Palcazú": (919, 1314, 2204, 4096, 5099, 4266, 2917),  # C082 C083 C159–C163
    "Ucayali": (2564, 1734, 3817, 8570, 11760, 8927, 8623),  # Aguaytía C062 C063 C090–C094 + Callería
    "Huallaga": (1721, 1527, 2143, 2270, 2683, 3951, 4436),  # C072 C073 C131–C135
    "Puno": (7387, 7181, 8806, 10800, 11585, 11727, 12201),  # Inambari-Tambopata + San Gabán
}

# How many of an area's strips the police find and destroy, relative to the VRAEM (= 1). Calibrated
# to the sourced yearly counts after 2016 (data/README.md): Pichis-Palcazú ~35 a year in 2019 (A017),
# Ucayali 8 in 2022 (A028), Peru 45–95 a year (A016, A021, A054, A071). The new strips further
# north are mostly not found: fewer destroyed is not fewer flights.
STRIP_FINDING = {"VRAEM": 1.0, "Pichis-Palcazú": 0.25, "Ucayali": 0.06, "Huallaga": 1.0, "Puno": 1.0}


@dataclass(frozen=True)
class Place:
    name: str
    district: str
    province: str
    region: str
    lat: float
    lon: float


def _ramp(t: np.ndarray, start: str, end: str, before: float, after: float) -> np.ndarray:
    """Linear change from `before` to `after` between two months; flat outside."""
    t0, t1 = np.datetime64(start, "D"), np.datetime64(end, "D")
    days = (t.astype("datetime64[D]") - t0).astype("float64")
    frac = np.clip(days / (t1 - t0).astype("float64"), 0.0, 1.0)
    return before + (after - before) * frac


# The one policy shock the demo plants: Law 30339 (passed Aug 2015) and the redeployment that
# followed it. Its effects build up from the law to the interception protocol (Jan 2016) in the
# VRAEM ("most by land" by May 2016, F007); the receiving areas fill up more slowly. `policy=False` gives the same world
# without it: the counterfactual that `planted_effect` compares with.
POLICY_ID = "law-30339"
LAW_EFFECT_START, LAW_EFFECT_FULL = "2015-09-01", "2016-01-01"  # full once the protocol is out (4 Jan 2016)


def activity(area: str, months: pd.DatetimeIndex, policy: bool = True) -> np.ndarray:
    """Relative trafficking activity by area and month (VRAEM 2014 = 1)."""
    t = months.to_numpy()
    if area == "VRAEM":
        base = _ramp(t, "2010-01-01", "2013-06-01", 0.6, 1.0)
        return base * _ramp(t, LAW_EFFECT_START, LAW_EFFECT_FULL, 1.0, 0.45) if policy else base
    if area == "Pichis-Palcazú":
        return _ramp(t, "2015-09-01", "2019-01-01", 0.25, 0.8) if policy else np.full(len(t), 0.25)
    if area == "Ucayali":
        return _ramp(t, "2015-09-01", "2021-01-01", 0.12, 0.9) if policy else np.full(len(t), 0.12)
    if area == "Huallaga":
        # Eradication in the Alto Huallaga drove activity down to 2014; the law does not touch it,
        # which makes it the demo's clean comparison area.
        return _ramp(t, "2010-01-01", "2014-01-01", 0.35, 0.18)
    if area == "Puno":
        return _ramp(t, "2015-09-01", "2018-01-01", 0.1, 0.4) if policy else np.full(len(t), 0.1)
    raise ValueError(f"unknown simulated area {area!r}")


def enforcement(area: str, months: pd.DatetimeIndex, policy: bool = True) -> np.ndarray:
    """How hard strips are hunted, relative to the VRAEM campaign of 2014–2015 (= 1)."""
    t = months.to_numpy()
    campaign = _ramp(t, "2010-01-01", "2014-01-01", 0.35, 1.0)
    if area == "VRAEM":
        # The campaign goes on, but part of it is redeployed north after the law (Troya, 2016):
        # VRAEM destructions fall to 17–18 a year by 2022–2023 (A022, A023).
        return campaign * _ramp(t, "2016-01-01", "2019-01-01", 1.0, 0.3) if policy else campaign
    if area == "Huallaga" or not policy:
        return campaign * 0.6
    # Troya operations in Pasco/Huánuco/Ucayali from 2016 (S001: 23 strips, Sep 2016).
    return np.maximum(campaign * 0.6, _ramp(t, "2016-01-01", "2018-06-01", 0.6, 1.0))


def coca_hectares(area: str, months: pd.DatetimeIndex) -> np.ndarray:
    """The area's Devida-zone coca hectares in each month's year (2018 before 2018, 2024 after)."""
    years = np.clip(months.year.to_numpy(), COCA_PANEL_YEARS[0], COCA_PANEL_YEARS[-1])
    return np.asarray(COCA_HA[area], dtype=float)[years - COCA_PANEL_YEARS[0]]


def _law_progress(months: pd.DatetimeIndex, policy: bool) -> np.ndarray:
    if not policy:
        return np.zeros(len(months))
    return _ramp(months.to_numpy(), "2015-08-01", LAW_EFFECT_FULL, 0.0, 1.0)


def air_share(area: str, months: pd.DatetimeIndex, policy: bool = True) -> np.ndarray:
    """Share of seizures moving by air; after the law the VRAEM's falls (R001 → F007)."""
    before, after = ROUTE_MIX[area]
    return before[0] + (after[0] - before[0]) * _law_progress(months, policy)


def route_probabilities(area: str, months: pd.DatetimeIndex, policy: bool = True) -> np.ndarray:
    """Monthly route mix (rows: months; columns: ROUTES), with the rainy-season river shift."""
    before, after = (np.array(m) for m in ROUTE_MIX[area])
    law = _law_progress(months, policy)[:, None]
    probs = before + (after - before) * law
    rainy = np.isin(months.month, RAINY_MONTHS)
    shift = RAINY_RIVER_SHIFT.get(area, 0.0) * rainy
    # Flooded riverside strips: part of the air share moves to the river.
    moved = np.minimum(probs[:, 0], shift)
    probs[:, 0] -= moved
    probs[:, 2] += moved
    return probs / probs.sum(axis=1, keepdims=True)


def monthly_rates(area: str, months: pd.DatetimeIndex, policy: bool = True) -> dict[str, np.ndarray]:
    """Expected events per month by type (before scaling), for one area."""
    act, enf = activity(area, months, policy), enforcement(area, months, policy)
    air = air_share(area, months, policy)
    air_rel = air / ROUTE_MIX["VRAEM"][0][0]
    rainy = np.isin(months.month, RAINY_MONTHS)
    # Fewer flights where riverside strips flood.
    flood = 1 - RAINY_RIVER_SHIFT.get(area, 0.0) * rainy
    flights_base = FLIGHTS_PER_MONTH_VRAEM
    if area == "Pichis-Palcazú":
        # Scale so that 2019 lands on F011's 15–21 a month.
        flights_base = FLIGHTS_PER_MONTH_PICHIS_2019 / (0.8 * ROUTE_MIX[area][1][0] / 0.88)
    destroyed = VRAEM_DESTROYED_PER_MONTH_2014 * act * enf * np.minimum(air_rel, 1.2) * STRIP_FINDING[area]
    return {
        "first_destruction": destroyed / EXPECTED_DESTRUCTIONS_PER_STRIP,
        "flight_detected": flights_base * act * air_rel * flood,
        # Where cocaine is seized follows where coca grows; how it travels follows the law (routes).
        "seizure": SEIZURES_PER_MONTH_PER_KHA * coca_hectares(area, months) / 1000,
        "aircraft_interdicted": INTERDICTIONS_PER_MONTH_VRAEM * act * air_rel * enf,
    }


# Which expected rate each event type follows: a strip's destructions, rebuilds and detection
# all follow its first destruction (shifted by days to weeks, which a monthly ratio ignores).
_RATE_OF = {
    "airstrip_destroyed": "first_destruction",
    "airstrip_rebuilt": "first_destruction",
    "airstrip_detected": "first_destruction",
    "flight_detected": "flight_detected",
    "seizure": "seizure",
    "aircraft_interdicted": "aircraft_interdicted",
}


def planted_effect(
    areas: str | tuple[str, ...], event_type: str, window: int, policy_id: str = POLICY_ID
) -> float:
    """The effect the generator plants: expected events in the `window` months from the policy
    month, with the policy / without it, summed over `areas` (1 = no effect).

    This is the quantity the Impact page estimates (lib.impact: an average ratio over the after
    window), so tests can check that the page's default design recovers it.
    """
    if policy_id != POLICY_ID:
        return 1.0  # the demo plants no other policy
    names = (areas,) if isinstance(areas, str) else tuple(areas)
    months = pd.date_range("2015-08-01", periods=window, freq="MS")
    key = _RATE_OF[event_type]
    with_policy = sum(monthly_rates(a, months, True)[key].sum() for a in names)
    without = sum(monthly_rates(a, months, False)[key].sum() for a in names)
    return float(with_policy / without)


def all_months() -> pd.DatetimeIndex:
    return pd.date_range(f"{FIRST_YEAR}-01-01", f"{LAST_YEAR}-12-01", freq="MS")


def expected_total(scale: float = 1.0) -> float:
    """Expected number of event rows at a scale (used to turn --events N into a scale)."""
    months = all_months()
    total = 0.0
    for area in SIM_AREAS:
        rates = monthly_rates(area, months)
        strips = rates.pop("first_destruction").sum()
        # Per strip: its destructions, rebuilds, and one detection 70% of the time.
        per_strip = EXPECTED_DESTRUCTIONS_PER_STRIP * (1 + P_REBUILT) + 0.7
        total += strips * per_strip + sum(r.sum() for r in rates.values())
    return total * scale


def scale_for_events(events: int) -> float:
    return events / expected_total(1.0)


def load_places(path: Path) -> dict[str, list[Place]]:
    """District capitals by simulated area, from data/sourced/places.csv."""
    df = pd.read_csv(path, dtype=str)
    df = df[df["kind"] == "district_capital"]
    by_area: dict[str, list[Place]] = {a: [] for a in SIM_AREAS}
    for row in df.itertuples(index=False):
        for area in str(row.areas).split(";"):
            if area in by_area:
                by_area[area].append(
                    Place(row.name, row.district, row.province, row.region, float(row.lat), float(row.lon))
                )
    # Puno has route endpoints (Sandia, Desaguadero) rather than strip country.
    if not by_area["Puno"]:
        ends = pd.read_csv(path, dtype=str)
        ends = ends[ends["region"] == "Puno"]
        by_area["Puno"] = [
            Place(r.name, r.district, r.province, r.region, float(r.lat), float(r.lon))
            for r in ends.itertuples(index=False)
        ]
    missing = [a for a, p in by_area.items() if not p]
    if missing:
        raise ValueError(f"places.csv has no district capitals for {missing}")
    return by_area


def _days_in_month(months: pd.DatetimeIndex) -> np.ndarray:
    return months.days_in_month.to_numpy()


def _random_dates(rng: np.random.Generator, months: pd.DatetimeIndex, counts: np.ndarray) -> np.ndarray:
    """One uniformly random day inside each month, repeated `counts` times."""
    starts = np.repeat(months.to_numpy().astype("datetime64[D]"), counts)
    days = np.repeat(_days_in_month(months), counts)
    offsets = (rng.random(starts.size) * days).astype("int64")
    return starts + offsets.astype("timedelta64[D]")


def _strip_events(rng, area, places, months, n_first, strip_prefix, next_strip):
    """Destroyed/rebuilt/destroyed-again cycles of persistent strips, plus their detection."""
    n = int(n_first.sum())
    first = _random_dates(rng, months, n_first)
    place_idx = rng.integers(0, len(places), n)
    lat = np.array([places[i].lat for i in place_idx]) + rng.normal(0, JITTER_DEG, n)
    lon = np.array([places[i].lon for i in place_idx]) + rng.normal(0, JITTER_DEG, n)
    ids = np.array([f"{strip_prefix}{next_strip + i:07d}" for i in range(n)], dtype=object)

    rows = []  # (strip index array, dates, event_type)
    detected = rng.random(n) < 0.7
    lead = rng.gamma(2.0, 20.0, n).astype("int64").astype("timedelta64[D]")
    rows.append((np.flatnonzero(detected), (first - lead)[detected], "airstrip_detected"))
    rows.append((np.arange(n), first, "airstrip_destroyed"))
    alive = np.arange(n)
    when = first
    while alive.size:
        rebuilt = rng.random(alive.size) < P_REBUILT
        alive, when = alive[rebuilt], when[rebuilt]
        delay = 1 + rng.gamma(REBUILD_DAYS_SHAPE, REBUILD_DAYS_SCALE, alive.size)
        when = when + delay.astype("int64").astype("timedelta64[D]")
        rows.append((alive, when, "airstrip_rebuilt"))
        again = rng.random(alive.size) < P_DESTROYED_AGAIN
        alive, when = alive[again], when[again]
        gap = 3 + rng.exponential(REDESTROY_DAYS_MEAN, alive.size)
        when = when + gap.astype("int64").astype("timedelta64[D]")
        rows.append((alive, when, "airstrip_destroyed"))
    idx = np.concatenate([r[0] for r in rows])
    frame = pd.DataFrame(
        {
            "date": np.concatenate([r[1] for r in rows]),
            "event_type": np.concatenate([np.full(r[0].size, r[2], dtype=object) for r in rows]),
            "airstrip_id": ids[idx],
            "lat": lat[idx],
            "lon": lon[idx],
            "place_idx": place_idx[idx],
            "route": "air",
        }
    )
    return frame, next_strip + n


def _point_events(rng, area, places, months, expected, event_type, route_probs=None):
    n_per_month = rng.poisson(expected)
    n = int(n_per_month.sum())
    place_idx = rng.integers(0, len(places), n)
    frame = pd.DataFrame(
        {
            "date": _random_dates(rng, months, n_per_month),
            "event_type": event_type,
            "airstrip_id": None,
            "lat": np.array([places[i].lat for i in place_idx]) + rng.normal(0, JITTER_DEG, n),
            "lon": np.array([places[i].lon for i in place_idx]) + rng.normal(0, JITTER_DEG, n),
            "place_idx": place_idx,
        }
    )
    if route_probs is None:
        frame["route"] = "air"
    else:
        probs = np.repeat(route_probs, n_per_month, axis=0)
        cum = probs.cumsum(axis=1)
        pick = (rng.random(n)[:, None] > cum).sum(axis=1)
        frame["route"] = np.array(ROUTES, dtype=object)[np.minimum(pick, len(ROUTES) - 1)]
    return frame


def _quantities(rng: np.random.Generator, frame: pd.DataFrame) -> np.ndarray:
    kg = np.full(len(frame), np.nan)
    seizure = (frame["event_type"] == "seizure").to_numpy()
    med = frame.loc[seizure, "route"].map(KG_MEDIAN).to_numpy(dtype=float)
    kg[seizure] = np.round(med * rng.lognormal(0.0, KG_SIGMA, seizure.sum()), 1)
    return kg


def generate_year(year: int, *, seed: int, scale: float, places: dict[str, list[Place]]) -> pd.DataFrame:
    """All simulated events whose strip cycle or event *starts* in `year` (schema order).

    Each year has its own random stream (seed, year), so a year's rows do not depend on the
    scale of other years and chunks can be made in any order.
    """
    months = pd.date_range(f"{year}-01-01", f"{year}-12-01", freq="MS")
    frames = []
    for a_idx, area in enumerate(SIM_AREAS):
        # One random stream per (year, area, kind of event): recalibrating one kind leaves the
        # others' draws, and so the Impact page's estimates on them, exactly as they were.
        def stream(kind: int, a_idx: int = a_idx) -> np.random.Generator:
            return np.random.default_rng([seed, year, a_idx, kind])

        pl = places[area]
        rates = {k: v * scale for k, v in monthly_rates(area, months).items()}
        rng = stream(0)
        strips, _ = _strip_events(
            rng,
            area,
            pl,
            months,
            rng.poisson(rates["first_destruction"]),
            f"sim-{year}-{a_idx}-",
            0,
        )
        parts = [strips]
        parts.append(_point_events(stream(1), area, pl, months, rates["flight_detected"], "flight_detected"))
        parts.append(
            _point_events(stream(2), area, pl, months, rates["aircraft_interdicted"], "aircraft_interdicted")
        )
        parts.append(
            _point_events(
                stream(3), area, pl, months, rates["seizure"], "seizure", route_probabilities(area, months)
            )
        )
        frame = pd.concat(parts, ignore_index=True)
        frame["area"] = area
        frame["region"] = [pl[i].region for i in frame["place_idx"]]
        frame["province"] = [pl[i].province for i in frame["place_idx"]]
        frame["district"] = [pl[i].district for i in frame["place_idx"]]
        frames.append(frame)
    out = pd.concat(frames, ignore_index=True)
    # Strip cycles near the edges spill outside the simulated years: keep the story's span.
    lo, hi = np.datetime64(f"{FIRST_YEAR}-01-01"), np.datetime64(f"{LAST_YEAR}-12-31")
    out = out[(out["date"] >= lo) & (out["date"] <= hi)].reset_index(drop=True)
    out["quantity_kg"] = _quantities(np.random.default_rng([seed, year, len(SIM_AREAS)]), out)
    out = out.sort_values(["date", "area", "event_type"], kind="stable").reset_index(drop=True)
    out["event_id"] = [f"sim-{year}-{i:08d}" for i in range(len(out))]
    out["date"] = pd.to_datetime(out["date"]).dt.date
    out["date_end"] = out["date"]
    out["date_precision"] = "day"
    out["count"] = np.int32(1)
    out["lat"] = out["lat"].round(5)
    out["lon"] = out["lon"].round(5)
    out["geo_precision"] = "exact"
    out["provenance"] = "simulated"
    out["source_id"] = None
    out["notes"] = "simulated (lib/simulate.py)"
    return out[list(EVENT_COLUMNS)]


def generate(
    *, seed: int = DEFAULT_SEED, scale: float = 1.0, places_csv: Path
) -> Iterator[tuple[int, pd.DataFrame]]:
    """(year, chunk) pairs of the simulated events: bounded memory for any scale."""
    places = load_places(places_csv)
    for year in range(FIRST_YEAR, LAST_YEAR + 1):
        yield year, generate_year(year, seed=seed, scale=scale, places=places)


def frame_digest(frame: pd.DataFrame, digest: hashlib._Hash) -> None:
    """Feed a chunk's content (values, not file bytes) into a running hash."""
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())


def to_table(frame: pd.DataFrame) -> pa.Table:
    return pa.Table.from_pandas(frame, schema=EVENTS_SCHEMA, preserve_index=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write simulated demo events as Parquet chunks.")
    parser.add_argument("--events", type=int, default=None, help="approximate number of events")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--out", type=Path, default=Path("data/simulated"))
    parser.add_argument("--places", type=Path, default=Path(__file__).parents[1] / "data/sourced/places.csv")
    args = parser.parse_args(argv)
    scale = 1.0 if args.events is None else scale_for_events(args.events)
    args.out.mkdir(parents=True, exist_ok=True)
    total = 0
    for year, chunk in generate(seed=args.seed, scale=scale, places_csv=args.places):
        pq.write_table(to_table(chunk), args.out / f"chunk_{year}.parquet")
        total += len(chunk)
    print(f"wrote {total} simulated events to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
