"""Plotly figures for the policy-impact results of :mod:`lib.impact` (no Streamlit).

Every function is pure: a result (or result table) in, a ``plotly.graph_objects.Figure`` out.
Texts come from ``labels`` so the caller chooses the language; keys a function reads and the
caller leaves out fall back to :data:`DEFAULT_LABELS` (English). With ``simulated=True`` a small
note (``labels["simulated"]``) is put in the top-right corner so a screenshot of demo data can
never pass for real data.

Rate ratios are drawn on log axes: 0.5 and 2 are the same distance from 1 ("no change").
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from lib.impact import DiDResult, ImpactStudy, ITSResult

__all__ = [
    "DEFAULT_LABELS",
    "displacement_figure",
    "effects_figure",
    "event_study_figure",
    "forest_figure",
    "its_figure",
    "placebo_figure",
    "route_shift_figure",
    "sensitivity_figure",
]

DEFAULT_LABELS: dict[str, str] = {
    "title": "",
    "simulated": "simulated data",
    "policy": "policy",
    "x_month": "Month",
    # its_figure
    "observed": "Observed",
    "counterfactual": "Expected without the policy",
    "band": "95% band",
    "effect": "Observed − expected",
    "cumulative": "Cumulative difference",
    "panel_observed": "Observed and expected events",
    "panel_effect": "Monthly difference",
    "panel_cumulative": "Cumulative difference",
    "y_events": "Events per month",
    "y_effect": "Events",
    # event_study_figure, placebo_figure, forest_figure
    "rate_ratio": "Rate ratio (1 = no change)",
    "before": "Before",
    "after": "After",
    "reference": "Reference period",
    "time_placebo": "Fake date",
    "months": "Jan,Feb,Mar,Apr,May,Jun,Jul,Aug,Sep,Oct,Nov,Dec",  # fake dates are named in the page's language
    "space_placebo": "Fake treated area",
    "real": "Real estimate",
    # displacement_figure, route_shift_figure
    "share": "Share of events",
    "area": "Area",
    # effects_figure, sensitivity_figure
    "window_months": "Months after the policy (window)",
    "design_its": "(a) against its own counterfactual",
    "design_did": "Difference in differences",
    "effect_treated": "(a) treated",
    "effect_other": "(b) other areas",
    "effect_net": "(c) all areas",
    "effect_axis": "Effect (rate ratio, 1 = no change)",
}

_COLORS = {
    "observed": "#1f2937",
    "counterfactual": "#2563eb",
    "band": "rgba(37, 99, 235, 0.18)",
    "before": "#6b7280",
    "after": "#dc2626",
    "real": "#dc2626",
    "placebo": "#6b7280",
}


def _labels(labels: Mapping[str, str] | None) -> dict[str, str]:
    return {**DEFAULT_LABELS, **(labels or {})}


def _finish(fig: go.Figure, text: dict[str, str], simulated: bool) -> go.Figure:
    # Legend above the plot: below it, it collides with the x-axis title at small heights.
    # No template here: validating Plotly's template costs ~80 ms a figure. lib.views gives the
    # page's figures the template unvalidated (charts.trusted_with_template).
    fig.update_layout(
        title={"text": text["title"] or None, "y": 0.98, "yanchor": "top"},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
        margin={"l": 60, "r": 20, "t": 90, "b": 50},
    )
    if simulated:
        # Inside the top-right corner of the plotting area, on a light background, so it
        # survives cropping and never collides with the legend or the title.
        fig.add_annotation(
            name="simulated",
            text=text["simulated"],
            xref="paper",
            yref="paper",
            x=1,
            y=1,
            xanchor="right",
            yanchor="top",
            showarrow=False,
            bgcolor="rgba(255,255,255,0.8)",
            font={"size": 11, "color": "#b45309"},
        )
    return fig


_LOG_TICKS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100)


def _log_ticks(*values: pd.Series | list[float]) -> dict[str, object]:
    """Log-axis ticks at 1-2-5 steps only: Plotly's own minor labels pile up on short ranges."""
    v = np.concatenate([np.asarray(x, dtype=float).ravel() for x in values] + [np.array([1.0])])
    v = v[np.isfinite(v) & (v > 0)]
    lo, hi = v.min() / 1.3, v.max() * 1.3
    ticks = [x for x in _LOG_TICKS if lo <= x <= hi] or [1]
    return {
        "type": "log",
        "tickvals": ticks,
        "ticktext": [f"{x:g}" for x in ticks],
        "minor": {"showgrid": False},
        "range": [np.log10(lo), np.log10(hi)],
    }


def _band(x: pd.Series, low: pd.Series, high: pd.Series, name: str, showlegend: bool = True) -> go.Scatter:
    """One closed polygon (upper edge forward, lower edge back): one trace per band."""
    xs = list(x) + list(x)[::-1]
    ys = list(high) + list(low)[::-1]
    return go.Scatter(
        x=xs,
        y=ys,
        fill="toself",
        fillcolor=_COLORS["band"],
        mode="lines",
        line={"width": 0},
        name=name,
        hoverinfo="skip",
        showlegend=showlegend,
        legendgroup="band",
    )


def _errors(values: pd.Series, low: pd.Series, high: pd.Series) -> tuple[list, list]:
    """Error-bar lengths; infinite or missing bounds draw no bar rather than break the axis."""
    v, lo, hi = (np.asarray(a, dtype=float) for a in (values, low, high))
    up = np.where(np.isfinite(hi) & np.isfinite(v), hi - v, 0.0)
    down = np.where(np.isfinite(lo) & np.isfinite(v), v - lo, 0.0)
    return up.tolist(), down.tolist()


def its_figure(
    result: ITSResult, labels: Mapping[str, str] | None = None, simulated: bool = False
) -> go.Figure:
    """Three panels sharing the month axis (CausalImpact style), policy month marked.

    1. observed counts and the counterfactual with its 95 % band; 2. monthly difference
    observed - counterfactual with band; 3. cumulative difference from the policy month.
    Seven traces: band, counterfactual, observed; band, effect; band, cumulative.
    """
    text = _labels(labels)
    f = result.frame
    post = f[f["post"]]
    fig = make_subplots(
        rows=3,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.07,
        subplot_titles=(text["panel_observed"], text["panel_effect"], text["panel_cumulative"]),
    )
    fig.add_trace(_band(f["month"], f["cf_low"], f["cf_high"], text["band"]), row=1, col=1)
    fig.add_trace(
        go.Scatter(
            x=f["month"],
            y=f["counterfactual"],
            name=text["counterfactual"],
            mode="lines",
            line={"color": _COLORS["counterfactual"], "dash": "dash"},
        ),
        row=1,
        col=1,
    )
    fig.add_trace(
        go.Scatter(
            x=f["month"],
            y=f["observed"],
            name=text["observed"],
            mode="lines+markers",
            marker={"size": 4},
            line={"color": _COLORS["observed"]},
        ),
        row=1,
        col=1,
    )
    fig.add_trace(_band(f["month"], f["effect_low"], f["effect_high"], text["band"], False), row=2, col=1)
    fig.add_trace(
        go.Scatter(
            x=f["month"],
            y=f["effect"],
            name=text["effect"],
            mode="lines",
            line={"color": _COLORS["counterfactual"]},
        ),
        row=2,
        col=1,
    )
    fig.add_trace(_band(post["month"], post["cum_low"], post["cum_high"], text["band"], False), row=3, col=1)
    fig.add_trace(
        go.Scatter(
            x=post["month"],
            y=post["cum_effect"],
            name=text["cumulative"],
            mode="lines",
            line={"color": _COLORS["after"]},
        ),
        row=3,
        col=1,
    )
    policy = result.policy_month
    # Plain shapes: add_vline/add_hline on subplots cost ~20 ms each (axis-spanning lookups).
    axis = {1: "", 2: "2", 3: "3"}
    shapes = [
        {
            "type": "line",
            "x0": policy,
            "x1": policy,
            "xref": f"x{axis[r]}",
            "y0": 0,
            "y1": 1,
            "yref": f"y{axis[r]} domain",
            "line": {"color": "#9ca3af", "dash": "dot"},
        }
        for r in (1, 2, 3)
    ]
    shapes += [
        {
            "type": "line",
            "x0": 0,
            "x1": 1,
            "xref": f"x{axis[r]} domain",
            "y0": 0,
            "y1": 0,
            "yref": f"y{axis[r]}",
            "line": {"color": "#9ca3af", "width": 1},
        }
        for r in (2, 3)
    ]
    fig.update_layout(shapes=shapes)
    fig.add_annotation(
        x=policy,
        y=1,
        xref="x",
        yref="y domain",
        text=text["policy"],
        showarrow=False,
        xanchor="left",
        yanchor="top",
        font={"size": 11},
    )
    fig.update_yaxes(title_text=text["y_events"], row=1, col=1)
    fig.update_yaxes(title_text=text["y_effect"], row=2, col=1)
    fig.update_yaxes(title_text=text["y_effect"], row=3, col=1)
    fig.update_xaxes(title_text=text["x_month"], row=3, col=1)
    fig = _finish(fig, text, simulated)
    # Room for the legend above the first panel's title.
    fig.update_layout(height=760, hovermode="x unified", legend_y=1.07, margin_t=130)
    return fig


def event_study_figure(
    result: DiDResult, labels: Mapping[str, str] | None = None, simulated: bool = False
) -> go.Figure:
    """Event-study rate ratios by period with 95 % bars, 1 = no difference from controls.

    Three traces: periods before (leads), after (lags), and the reference period.
    """
    text = _labels(labels)
    study = result.event_study
    fig = go.Figure()
    groups = (
        ("before", study[study["lead"] & ~study["reference"]], _COLORS["before"]),
        ("after", study[~study["lead"]], _COLORS["after"]),
    )
    for key, rows, color in groups:
        up, down = _errors(rows["rate_ratio"], rows["ci_low"], rows["ci_high"])
        fig.add_trace(
            go.Scatter(
                x=rows["month_start"],
                y=rows["rate_ratio"],
                mode="markers",
                name=text[key],
                marker={"color": color, "size": 8},
                error_y={"type": "data", "array": up, "arrayminus": down, "color": color},
            )
        )
    ref = study[study["reference"]]
    fig.add_trace(
        go.Scatter(
            x=ref["month_start"],
            y=ref["rate_ratio"],
            mode="markers",
            name=text["reference"],
            marker={"color": "white", "size": 9, "line": {"color": _COLORS["before"], "width": 2}},
        )
    )
    fig.add_hline(y=1, line={"color": "#9ca3af", "width": 1})
    fig.add_vline(x=result.policy_month, line={"color": "#9ca3af", "dash": "dot"})
    fig.update_yaxes(
        title_text=text["rate_ratio"], **_log_ticks(study["ci_low"], study["ci_high"], study["rate_ratio"])
    )
    fig.update_xaxes(title_text=text["x_month"])
    return _finish(fig, text, simulated)


def placebo_figure(
    result: DiDResult, labels: Mapping[str, str] | None = None, simulated: bool = False
) -> go.Figure:
    """Placebo estimates (fake dates, fake treated areas) and the real one with its 95 % bar.

    One row per estimate, real estimate on top and a dashed line at its value, so the eye can
    judge whether it stands out. Three traces: time placebos, space placebos, real estimate.
    """
    text = _labels(labels)
    table = result.placebos.copy()
    months = text["months"].split(",")
    fake = pd.to_datetime(table["policy_month"], errors="coerce")
    # Time placebos are named by their fake month in the page's language; space placebos by area.
    table["label"] = [
        f"{months[d.month - 1]} {d.year}" if k == "time" and pd.notna(d) else lab
        for k, d, lab in zip(table["kind"], fake, table["label"], strict=True)
    ]
    real_label = f"{text['real']}: {', '.join(result.treated)}"
    fig = go.Figure()
    for kind, key in (("time", "time_placebo"), ("space", "space_placebo")):
        rows = table[table["kind"] == kind]
        fig.add_trace(
            go.Scatter(
                x=rows["rate_ratio"],
                y=[f"{text[key]}: {v}" for v in rows["label"]],
                mode="markers",
                name=text[key],
                marker={
                    "color": _COLORS["placebo"],
                    "size": 8,
                    "symbol": "circle" if kind == "time" else "diamond",
                },
            )
        )
    up, down = _errors(pd.Series([result.rate_ratio]), pd.Series([result.ci[0]]), pd.Series([result.ci[1]]))
    fig.add_trace(
        go.Scatter(
            x=[result.rate_ratio],
            y=[real_label],
            mode="markers",
            name=text["real"],
            marker={"color": _COLORS["real"], "size": 10},
            error_x={"type": "data", "array": up, "arrayminus": down, "color": _COLORS["real"]},
        )
    )
    fig.add_vline(x=1, line={"color": "#9ca3af", "width": 1})
    fig.add_vline(x=result.rate_ratio, line={"color": _COLORS["real"], "dash": "dash", "width": 1})
    order = [
        real_label,
        *[f"{text['space_placebo']}: {v}" for v in table.loc[table["kind"] == "space", "label"]],
        *[f"{text['time_placebo']}: {v}" for v in table.loc[table["kind"] == "time", "label"]],
    ]
    fig.update_yaxes(categoryorder="array", categoryarray=order[::-1])
    fig.update_xaxes(title_text=text["rate_ratio"], **_log_ticks(table["rate_ratio"], list(result.ci)))
    fig.update_layout(height=max(300, 60 + 28 * len(order)))
    return _finish(fig, text, simulated)


def _dumbbell(names: list[str], table: pd.DataFrame, text: dict[str, str]) -> go.Figure:
    """Before and after shares per row with 95 % bars, joined by a line. Three traces."""
    fig = go.Figure()
    xs: list[float | None] = []
    ys: list[str | None] = []
    for name, (_, row) in zip(names, table.iterrows(), strict=True):
        xs += [row["share_before"], row["share_after"], None]
        ys += [name, name, None]
    fig.add_trace(
        go.Scatter(
            x=xs,
            y=ys,
            mode="lines",
            line={"color": "#d1d5db", "width": 3},
            showlegend=False,
            hoverinfo="skip",
        )
    )
    for side in ("before", "after"):
        up, down = _errors(table[f"share_{side}"], table[f"share_{side}_low"], table[f"share_{side}_high"])
        fig.add_trace(
            go.Scatter(
                x=table[f"share_{side}"],
                y=names,
                mode="markers",
                name=text[side],
                marker={"color": _COLORS[side], "size": 10},
                error_x={"type": "data", "array": up, "arrayminus": down, "color": _COLORS[side]},
            )
        )
    fig.update_xaxes(tickformat=".0%", title_text=text["share"], rangemode="tozero")
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(height=max(280, 80 + 40 * len(names)))
    return fig


def displacement_figure(
    table: pd.DataFrame, labels: Mapping[str, str] | None = None, simulated: bool = False
) -> go.Figure:
    """Each area's share of all events before vs after (a dumbbell per area, 95 % bars)."""
    text = _labels(labels)
    fig = _dumbbell([str(a) for a in table["area"]], table, text)
    fig.update_yaxes(title_text=text["area"])
    return _finish(fig, text, simulated)


def route_shift_figure(
    table: pd.DataFrame, labels: Mapping[str, str] | None = None, simulated: bool = False
) -> go.Figure:
    """Each route's share within its area before vs after (one dumbbell per area · route)."""
    text = _labels(labels)
    names = [f"{a} · {r}" for a, r in zip(table["area"], table["route"], strict=True)]
    return _finish(_dumbbell(names, table, text), text, simulated)


def forest_figure(
    table: pd.DataFrame, labels: Mapping[str, str] | None = None, simulated: bool = False
) -> go.Figure:
    """Before/after rate ratio per area with 95 % bars on a log axis; one trace.

    Areas whose ratio is undefined (no events before) keep their row, without a marker.
    """
    text = _labels(labels)
    up, down = _errors(table["rate_ratio"], table["ci_low"], table["ci_high"])
    fig = go.Figure(
        go.Scatter(
            x=table["rate_ratio"],
            y=[str(a) for a in table["area"]],
            mode="markers",
            name=text["rate_ratio"],
            marker={"color": _COLORS["after"], "size": 9},
            error_x={"type": "data", "array": up, "arrayminus": down, "color": _COLORS["after"]},
            customdata=np.column_stack([table["events_before"], table["events_after"]]),
            hovertemplate="%{y}: %{x:.2f}<br>%{customdata[0]:.0f} → %{customdata[1]:.0f}<extra></extra>",
        )
    )
    fig.add_vline(x=1, line={"color": "#9ca3af", "width": 1})
    fig.update_xaxes(title_text=text["rate_ratio"], **_log_ticks(table["ci_low"], table["ci_high"]))
    fig.update_yaxes(autorange="reversed", title_text=text["area"])
    fig.update_layout(height=max(280, 80 + 40 * len(table)), showlegend=False)
    return _finish(fig, text, simulated)


def effects_figure(
    study: ImpactStudy, labels: Mapping[str, str] | None = None, simulated: bool = False
) -> go.Figure:
    """The three answers on one log axis: (a) treated, (b) each other area, (c) all areas. One trace."""
    text = _labels(labels)
    rows = []
    if study.treated_effect.ok:
        rows.append((f"{text['effect_treated']}: {study.treated_effect.label}", study.treated_effect.result))
    rows += [(f"{text['effect_other']}: {o.label}", o.result) for o in study.others if o.ok]
    if study.net.ok:
        rows.append((text["effect_net"], study.net.result))
    names = [r[0] for r in rows]
    est = pd.Series([r[1].effect for r in rows], dtype=float)
    low = pd.Series([r[1].effect_ci[0] for r in rows], dtype=float)
    high = pd.Series([r[1].effect_ci[1] for r in rows], dtype=float)
    up, down = _errors(est, low, high)
    colors = [
        _COLORS["after"] if h < 1 else _COLORS["counterfactual"] if lo > 1 else _COLORS["placebo"]
        for lo, h in zip(low, high, strict=True)
    ]
    fig = go.Figure(
        go.Scatter(
            x=est,
            y=names,
            mode="markers",
            name=text["effect_axis"],
            marker={"color": colors, "size": 10},
            error_x={"type": "data", "array": up, "arrayminus": down, "color": "#6b7280"},
            hovertemplate="%{y}: %{x:.2f}<extra></extra>",
        )
    )
    fig.add_vline(x=1, line={"color": "#9ca3af", "width": 1})
    fig.update_xaxes(title_text=text["effect_axis"], **_log_ticks(low, high))
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(height=max(260, 70 + 42 * len(rows)), showlegend=False)
    return _finish(fig, text, simulated)


def sensitivity_figure(
    scan: pd.DataFrame,
    labels: Mapping[str, str] | None = None,
    simulated: bool = False,
    chosen: int | None = None,
) -> go.Figure:
    """Estimate and 95 % interval by window (6…60 months), one trace per design."""
    text = _labels(labels)
    fig = go.Figure()
    for design, color, shift in (("its", _COLORS["counterfactual"], -0.6), ("did", _COLORS["after"], 0.6)):
        rows = scan[scan["design"] == design]
        if rows.empty:
            continue
        up, down = _errors(rows["estimate"], rows["ci_low"], rows["ci_high"])
        fig.add_trace(
            go.Scatter(
                x=rows["window"] + shift,
                y=rows["estimate"],
                mode="markers+lines",
                name=text[f"design_{design}"],
                marker={"color": color, "size": 8},
                line={"color": color, "width": 1, "dash": "dot"},
                error_y={"type": "data", "array": up, "arrayminus": down, "color": color},
                customdata=rows["window"],
                hovertemplate="%{customdata}: %{y:.2f}<extra></extra>",
            )
        )
    fig.add_hline(y=1, line={"color": "#9ca3af", "width": 1})
    if chosen is not None:
        fig.add_vline(x=chosen, line={"color": "#9ca3af", "dash": "dot"})
    fig.update_yaxes(title_text=text["effect_axis"], **_log_ticks(scan["ci_low"], scan["ci_high"]))
    fig.update_xaxes(title_text=text["window_months"], tickvals=sorted(set(scan["window"])))
    return _finish(fig, text, simulated)
