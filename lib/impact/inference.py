"""Poisson fits of monthly counts with intervals robust to overdispersion and serial correlation.

Why this and not the textbook GLM interval: monthly event counts are overdispersed (operations
destroy strips in bursts) and serially correlated (a busy month is followed by a busy month:
residual lag-1 autocorrelation is about 0.5 on the demo). Intervals that assume independent
Poisson months then cover the truth about 78 % of the time instead of 95 %.

Method (a marginal quasi-likelihood model in the spirit of Zeger 1988, *A regression model for
time series of counts*):

* the point estimate is the Poisson maximum-likelihood fit (statsmodels GLM): consistent for the
  mean model whatever the noise;
* the variance is ``μ + αμ²`` (α by moments; 0 when the counts are Poisson-like) times a scale
  ``s²``, and the standardised residuals of each series are modelled as ``(1 - c)·white noise + c·AR(1)(φ)``, i.e.
  correlation ``c·φ^k`` at lag ``k`` (an ARMA(1,1) shape: what a latent AR(1) in the log rate
  plus Poisson noise produces), independent between series once month effects are in the model;
* ``c`` and ``φ`` are estimated by **restricted** maximum likelihood (REML) on the working
  response. REML matters: plain residual autocorrelations are biased towards zero because the
  trend and policy terms absorb slow swings, and intervals built on them covered 84–86 % in
  simulation; with REML they cover 94–95 %;
* the covariance is the sandwich ``B⁻¹ Xᵀ V½ (s²R) V½ X B⁻¹`` (B the Poisson information, V the
  variance) with that working correlation ``R``, ``s²`` floored at 1 (never tidier than the
  variance model), and intervals use ``t`` quantiles with the residual degrees of freedom.

With ``c = 0`` it reduces to the quasi-Poisson interval. Coverage is checked in
``tests/test_impact_coverage.py`` on seeded data with AR(1) ρ = 0.7 noise, negative-binomial
α = 0.5 noise and the demo generator's own noise.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import statsmodels.api as sm
from scipy import stats
from scipy.linalg import cho_solve, solve_triangular
from statsmodels.tools.sm_exceptions import ConvergenceWarning, PerfectSeparationWarning

from lib.impact.periods import ALPHA, ImpactError

MAX_LOG_SE = 10.0  # a log-scale standard error above this spans a factor of e^40: unidentified


@dataclass(frozen=True, eq=False)
class CountFit:
    """A fitted Poisson mean model with a correlation- and dispersion-robust covariance."""

    params: np.ndarray
    cov: np.ndarray
    df: float
    dispersion: float  # Pearson dispersion, floored at 1
    corr_share: float  # c: share of residual variance that is serially correlated
    corr_decay: float  # φ: how fast that correlation decays per month
    lag1: float  # the implied lag-1 residual autocorrelation, c·φ
    mu: np.ndarray

    def se(self, i: int) -> float:
        return float(np.sqrt(self.cov[i, i]))

    def quantile(self) -> float:
        return float(stats.t.ppf(1 - ALPHA / 2, self.df))

    def ratio(self, i: int) -> tuple[float, tuple[float, float], float]:
        """Coefficient ``i`` as a rate ratio, its 95 % interval and two-sided p-value."""
        return self.log_ratio(self.params[i], self.se(i))

    def log_ratio(self, estimate: float, se: float) -> tuple[float, tuple[float, float], float]:
        q = self.quantile()
        with np.errstate(over="ignore"):
            p = float(2 * stats.t.sf(abs(estimate) / se, self.df)) if se > 0 else 0.0
            return (
                float(np.exp(estimate)),
                (float(np.exp(estimate - q * se)), float(np.exp(estimate + q * se))),
                p,
            )

    def contrast(self, gradient: np.ndarray, value: float) -> tuple[float, tuple[float, float], float]:
        """A smooth function of the parameters (log scale) with its delta-method interval."""
        se = float(np.sqrt(max(gradient @ self.cov @ gradient, 0.0)))
        return self.log_ratio(value, se)

    def wald_f(self, indices: Sequence[int]) -> float:
        """p-value of the joint F test that the coefficients at ``indices`` are all zero."""
        idx = list(indices)
        b = self.params[idx]
        try:
            stat = float(b @ np.linalg.solve(self.cov[np.ix_(idx, idx)], b)) / len(idx)
        except np.linalg.LinAlgError:
            return float("nan")
        return float(stats.f.sf(stat, len(idx), self.df))


def fit_counts(
    y: np.ndarray,
    x: np.ndarray,
    series: np.ndarray,
    month: np.ndarray,
    correlation: tuple[float, float] | None = None,
) -> CountFit:
    """Poisson GLM of ``y`` on ``x``; ``series`` and ``month`` place each row in its own series.

    ``correlation=(c, φ)`` reuses a working correlation estimated on the same series by an
    earlier fit (an event study or another window of the same comparison) instead of searching
    again: the noise is a property of the series, not of the model around it.

    Raises ImpactError("too_few_months") when there are no more rows than parameters and
    ImpactError("model_failed") when the fit does not converge or gives non-finite numbers:
    an estimate the optimiser could not settle is not shown with a caveat under it.
    """
    n, p = x.shape
    if n <= p + 2:
        raise ImpactError(
            "too_few_months",
            f"There are too few months of data to fit the model ({n} observations for {p} parameters).",
        )
    result = _poisson(y, x)
    mu = np.asarray(result.fittedvalues, dtype=float)
    # Variance μ + αμ² (negative-binomial shape, α by moments, 0 for Poisson-like data), so big
    # and small months are weighted for the noise they carry; s² then absorbs any scale left.
    alpha = max(0.0, float(((y - mu) ** 2 - mu).sum() / (mu**2).sum()))
    sd = np.sqrt(mu + alpha * mu**2)
    resid = (y - mu) / sd  # standardised residuals: correlation R, variance s²
    x_resid = x * (mu / sd)[:, None]  # how the fitted mean moves the standardised residuals
    x_score = x * sd[:, None]
    blocks = _blocks(series, month)
    c, phi = correlation if correlation is not None else _reml_correlation(resid, x_resid, blocks)
    bread = np.linalg.inv(x.T @ (x * mu[:, None]))
    r_inv_e = _solve_corr(resid, blocks, c, phi)
    s2 = max(1.0, float(resid @ r_inv_e) / (n - p))
    cov = bread @ (x_score.T @ _apply_corr(x_score, blocks, c, phi)) @ bread * s2
    if not (np.isfinite(cov).all() and np.isfinite(result.params).all()):
        raise ImpactError(
            "model_failed", "The model could not be fitted to this data (non-finite estimates)."
        )
    return CountFit(np.asarray(result.params, dtype=float), cov, float(n - p), s2, c, phi, c * phi, mu)


def require_identified(fit: CountFit, indices: Sequence[int], what: str) -> None:
    """Raise if a headline coefficient is numerically unidentified (separation, too few events)."""
    se = np.sqrt(np.diag(fit.cov)[list(indices)])
    if not np.isfinite(se).all() or (se > MAX_LOG_SE).any():
        raise ImpactError(
            "too_sparse",
            f"There are too few events for the model to estimate the {what}; "
            "use the before/after comparison instead.",
        )


def _poisson(y: np.ndarray, x: np.ndarray):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            # hasconst: every design holds a constant (explicit, or area dummies), which spares
            # statsmodels two rank checks; QR is the cheapest exact solver.
            result = sm.GLM(y, x, family=sm.families.Poisson(), hasconst=True).fit(
                wls_method="qr", maxiter=100
            )
        except (ValueError, np.linalg.LinAlgError, FloatingPointError) as exc:
            raise ImpactError(
                "model_failed", f"The model could not be fitted to this data ({exc.__class__.__name__})."
            ) from exc
    troubled = any(issubclass(w.category, (ConvergenceWarning, PerfectSeparationWarning)) for w in caught)
    if troubled or not bool(result.converged):
        raise ImpactError(
            "model_failed",
            "The model did not converge on this data (often: a stretch of months with no events); "
            "try a longer window, another event type or the before/after comparison.",
        )
    return result


# ---- working correlation: R = (1 - c) I + c φ^|Δmonth| within a series, 0 across -------------


@dataclass(frozen=True)
class _Block:
    rows: np.ndarray  # row indices of one series, in month order
    lags: np.ndarray  # |month_i - month_j| within the series


def _blocks(series: np.ndarray, month: np.ndarray) -> list[_Block]:
    out = []
    for key in dict.fromkeys(series.tolist()):
        rows = np.flatnonzero(series == key)
        rows = rows[np.argsort(month[rows], kind="stable")]
        m = month[rows].astype(float)
        out.append(_Block(rows, np.abs(m[:, None] - m[None, :])))
    return out


def _corr(block: _Block, c: float, phi: float) -> np.ndarray:
    r = c * phi**block.lags
    np.fill_diagonal(r, 1.0)
    return r


def _apply_corr(a: np.ndarray, blocks: list[_Block], c: float, phi: float) -> np.ndarray:
    out = np.zeros_like(a)
    for b in blocks:
        out[b.rows] = _corr(b, c, phi) @ a[b.rows]
    return out


def _solve_corr(a: np.ndarray, blocks: list[_Block], c: float, phi: float) -> np.ndarray:
    out = np.zeros_like(a)
    for b in blocks:
        out[b.rows] = np.linalg.solve(_corr(b, c, phi), a[b.rows])
    return out


# The REML search is a grid: it needs the correlation roughly right, not to three decimals, and
# a fixed grid of 37 evaluations costs a fifth of a quasi-Newton search with numerical gradients.
_C_GRID = (0.15, 0.3, 0.45, 0.6, 0.75, 0.9)
_PHI_GRID = (0.2, 0.4, 0.6, 0.75, 0.85, 0.93)


def _reml_correlation(e: np.ndarray, xw: np.ndarray, blocks: list[_Block]) -> tuple[float, float]:
    """(c, φ) maximising the restricted likelihood of the Pearson residuals given the design."""
    n, p = xw.shape
    groups = _same_months(blocks)

    def neg_reml(c: float, phi: float) -> float:
        logdet, le, lx = 0.0, [], []
        for lags, rows in groups:
            r = c * phi**lags
            np.fill_diagonal(r, 1.0)
            chol = np.linalg.cholesky(r)
            logdet += 2.0 * len(rows) * float(np.log(np.diag(chol)).sum())
            # One triangular solve for every series that shares these months.
            stacked_e = e[rows].T  # months x series
            stacked_x = xw[rows].transpose(1, 0, 2).reshape(len(lags), -1)  # months x (series*p)
            sol = solve_triangular(
                chol, np.column_stack([stacked_e, stacked_x]), lower=True, check_finite=False
            )
            k = stacked_e.shape[1]
            le.append(sol[:, :k].T.reshape(-1))
            lx.append(sol[:, k:].reshape(len(lags), k, p).transpose(1, 0, 2).reshape(-1, p))
        we, wx = np.concatenate(le), np.concatenate(lx)
        info = wx.T @ wx
        try:
            chol_info = np.linalg.cholesky(info)
        except np.linalg.LinAlgError:
            return np.inf
        beta = cho_solve((chol_info, True), wx.T @ we, check_finite=False)
        resid = we - wx @ beta
        logdet_info = 2.0 * float(np.log(np.diag(chol_info)).sum())
        return logdet + logdet_info + (n - p) * float(np.log(max(resid @ resid, 1e-300)))

    best, best_value = (0.0, 0.0), neg_reml(0.0, 0.5)
    for c in _C_GRID:
        for phi in _PHI_GRID:
            value = neg_reml(c, phi)
            if value < best_value:
                best, best_value = (c, phi), value
    return best


def _same_months(blocks: list[_Block]) -> list[tuple[np.ndarray, np.ndarray]]:
    """Blocks grouped by identical month sets: (lag matrix, rows as series x months)."""
    groups: dict[bytes, list[_Block]] = {}
    for b in blocks:
        groups.setdefault(b.lags.tobytes() + bytes([len(b.rows) % 256]), []).append(b)
    return [(g[0].lags, np.stack([b.rows for b in g])) for g in groups.values()]


def point_estimate(y: np.ndarray, x: np.ndarray, i: int) -> float:
    """Coefficient ``i`` of the Poisson fit alone (placebos need the estimate, not its interval)."""
    return float(np.asarray(_poisson(y, x).params)[i])
