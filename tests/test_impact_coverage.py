"""Do the 95 % intervals cover a planted effect? Seeded datasets, fixed seeds, three kinds of noise.

* ``ar``: a latent AR(1) process (ρ = 0.7, sd 0.3) in the log rate under Poisson counts, the
  serial correlation that made independent-month intervals cover about 78 % of the time;
* ``nb``: negative-binomial counts, α = 0.5 (variance μ + 0.5 μ²), heavy overdispersion;
* ``gen``: the generators the suite used before (mild NB noise and shared monthly shocks).

The planted effect is a step from the policy month, so the truth for the window-average
estimand is the step itself. Coverage must be at least 0.92 (150 datasets: a true 95 % falls
below 0.92 with probability about 4 %; the seeds are fixed, so the test is deterministic).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from lib.impact import difference_in_differences, interrupted_time_series

POLICY = date(2015, 8, 20)
N = 150
RATIO = 0.6
AREAS = [("Ucayali", 12.0), ("VRAEM", 20.0), ("Puno", 8.0), ("Huallaga", 15.0), ("Pichis-Palcazú", 10.0)]


def _months(window: int) -> pd.DatetimeIndex:
    return pd.date_range("2015-08-01", periods=2 * window, freq="MS") - pd.DateOffset(months=window)


def _noisy(rng: np.random.Generator, mu: np.ndarray, noise: str) -> np.ndarray:
    if noise == "ar":
        sd, rho = 0.3, 0.7
        u = np.empty(mu.size)
        u[0] = rng.normal(0, sd)
        for i in range(1, mu.size):
            u[i] = rho * u[i - 1] + rng.normal(0, sd * np.sqrt(1 - rho**2))
        return rng.poisson(mu * np.exp(u - sd**2 / 2))
    alpha = {"nb": 0.5, "gen": 0.05}[noise]
    return rng.poisson(rng.gamma(1 / alpha, alpha * mu))


def its_series(seed: int, noise: str, window: int = 30) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    months = _months(window)
    t = np.arange(2 * window) - window
    mu = 15.0 * np.exp(0.004 * t + 0.3 * np.sin(2 * np.pi * months.month / 12)) * np.where(t >= 0, RATIO, 1.0)
    return pd.DataFrame({"month": months, "area": "Ucayali", "n": _noisy(rng, mu, noise)})


def did_panel(seed: int, noise: str, window: int = 24) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    months = _months(window)
    t = np.arange(2 * window) - window
    common = 0.003 * t + 0.3 * np.sin(2 * np.pi * months.month / 12)
    if noise == "gen":
        common = common + rng.normal(0, 0.15, t.size)  # shocks every area shares
    parts = []
    for area, base in AREAS:
        effect = np.where(t >= 0, RATIO, 1.0) if area == "Ucayali" else 1.0
        parts.append(
            pd.DataFrame(
                {"month": months, "area": area, "n": _noisy(rng, base * np.exp(common) * effect, noise)}
            )
        )
    return pd.concat(parts, ignore_index=True)


@pytest.mark.parametrize("noise", ["ar", "nb", "gen"])
def test_its_interval_covers_the_planted_effect(noise: str) -> None:
    covered = 0
    for seed in range(N):
        res = interrupted_time_series(its_series(seed, noise), POLICY, 30, bands=False)
        covered += res.effect_ci[0] <= RATIO <= res.effect_ci[1]
    assert covered / N >= 0.92, f"{noise}: coverage {covered / N:.3f}"


@pytest.mark.parametrize("noise", ["ar", "nb", "gen"])
def test_did_interval_covers_the_planted_effect(noise: str) -> None:
    controls = [a for a, _ in AREAS[1:]]
    covered = 0
    for seed in range(N):
        res = difference_in_differences(
            did_panel(seed, noise), "Ucayali", controls, POLICY, 24, placebos=False, diagnostics=False
        )
        covered += res.ci[0] <= RATIO <= res.ci[1]
    assert covered / N >= 0.92, f"{noise}: coverage {covered / N:.3f}"


def test_independent_month_intervals_would_fail_under_ar_noise() -> None:
    """The check can fail: with the working correlation switched off (c = 0, plain
    quasi-Poisson), the same AR(1) datasets are covered well below 0.92."""
    covered = 0
    for seed in range(N):
        res = interrupted_time_series(its_series(seed, "ar"), POLICY, 30, bands=False, correlation=(0.0, 0.5))
        covered += res.effect_ci[0] <= RATIO <= res.effect_ci[1]
    assert covered / N < 0.90, f"coverage {covered / N:.3f}"
