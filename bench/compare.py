"""DuckDB's answers against pandas' for the same view: same rows, same values (floats to 1e-9)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd

# Queries whose row order is part of the answer (LIMIT after ORDER BY on a unique key).
ORDERED = {"events_page"}
RTOL = 1e-9


class Mismatch(AssertionError):
    pass


def _normal(frame: pd.DataFrame) -> pd.DataFrame:
    """Comparable form: dates as datetime64[ns], numbers as float64, the rest as objects (None for NULL)."""
    out = {}
    for col in frame.columns:
        s = frame[col].reset_index(drop=True)
        if pd.api.types.is_datetime64_any_dtype(s.dtype):
            out[col] = s.astype("datetime64[ns]")
        elif pd.api.types.is_bool_dtype(s.dtype) or pd.api.types.is_numeric_dtype(s.dtype):
            out[col] = s.astype("float64")
        else:
            values = s.astype(object)
            dated = values.dropna()
            if len(dated) and all(hasattr(v, "year") and hasattr(v, "month") for v in dated.head(50)):
                out[col] = pd.to_datetime(values).astype("datetime64[ns]")
            else:
                out[col] = values.where(values.notna(), None)
    return pd.DataFrame(out, columns=list(frame.columns))


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    if frame.empty:
        return frame

    def key(col: pd.Series) -> np.ndarray:  # floats rounded, so rounding noise cannot reorder rows
        values = col.round(6) if col.dtype == "float64" else col
        return values.astype(object).map(str).to_numpy()

    order = np.lexsort([key(frame[c]) for c in reversed(frame.columns)])
    return frame.iloc[order].reset_index(drop=True)


def assert_frames_equal(name: str, duck: pd.DataFrame, pand: pd.DataFrame, ordered: bool) -> None:
    if list(duck.columns) != list(pand.columns):
        raise Mismatch(f"{name}: columns {list(duck.columns)} != {list(pand.columns)}")
    if len(duck) != len(pand):
        raise Mismatch(f"{name}: {len(duck)} rows from DuckDB, {len(pand)} from pandas")
    a, b = _normal(duck), _normal(pand)
    if not ordered:
        a, b = _sorted(a), _sorted(b)
    for col in a.columns:
        x, y = a[col], b[col]
        if x.dtype == "float64" and y.dtype == "float64":
            if not np.allclose(x.to_numpy(), y.to_numpy(), rtol=RTOL, atol=1e-9, equal_nan=True):
                bad = np.flatnonzero(~np.isclose(x.to_numpy(), y.to_numpy(), rtol=RTOL, equal_nan=True))
                raise Mismatch(
                    f"{name}.{col}: first difference at row {bad[0]}: {x.iloc[bad[0]]} != {y.iloc[bad[0]]}"
                )
        elif x.dtype.kind == "M" and y.dtype.kind == "M":
            if not x.equals(y):
                raise Mismatch(f"{name}.{col}: dates differ")
        else:
            xs, ys = x.tolist(), y.tolist()
            if xs != ys:
                i = next(i for i, (p, q) in enumerate(zip(xs, ys, strict=True)) if p != q)
                raise Mismatch(f"{name}.{col}: first difference at row {i}: {xs[i]!r} != {ys[i]!r}")


def _close(a, b) -> bool:
    if a is None or b is None:
        return a is b
    if isinstance(a, float) or isinstance(b, float):
        return math.isclose(a, b, rel_tol=RTOL, abs_tol=1e-9)
    return a == b


def assert_same(name: str, duck, pand) -> None:
    """One query's answer: a DataFrame, a Kpis dataclass or a number."""
    if isinstance(duck, pd.DataFrame):
        if not isinstance(pand, pd.DataFrame):
            raise Mismatch(f"{name}: pandas gave {type(pand).__name__}")
        assert_frames_equal(name, duck, pand, ordered=name in ORDERED)
    elif dataclasses.is_dataclass(duck):
        for field in dataclasses.fields(duck):
            x, y = getattr(duck, field.name), getattr(pand, field.name)
            if not _close(x, y):
                raise Mismatch(f"{name}.{field.name}: {x!r} (DuckDB) != {y!r} (pandas)")
    elif not _close(duck, pand):
        raise Mismatch(f"{name}: {duck!r} (DuckDB) != {pand!r} (pandas)")


def assert_page_equal(page: str, duck: dict, pand: dict) -> int:
    """Every query of a page; returns how many answers were compared."""
    if set(duck) != set(pand):
        raise Mismatch(f"{page}: DuckDB asked {sorted(duck)}, pandas {sorted(pand)}")
    for name in duck:
        assert_same(f"{page}.{name}", duck[name], pand[name])
    return len(duck)
