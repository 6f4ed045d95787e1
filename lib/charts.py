"""DataFrame -> plotly Figure. Pure: no Streamlit, no queries; texts come in via `lang`.

Conventions every chart keeps:
- simulated series are solid lines; reported (sourced) figures are diamond markers whose hover
  gives the figure, its period and its source, so the two never look alike;
- when simulated data is in the figure, a small "simulated data" mark sits in its corner;
- each trace carries its area/region in `customdata`, so a click can narrow the view.
"""

from __future__ import annotations

import copy
import functools
import html

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import plotly.io as pio

from lib import l10n
from lib.i18n import MONTHS, route_label, t, type_label

PALETTE = px.colors.qualitative.Safe
ROUTE_COLOURS = {
    "air": "#1f77b4",
    "land": "#8c564b",
    "river": "#17becf",
    "sea": "#2ca02c",
    "land_or_river": "#9467bd",
}
POLICY_SHORT = {
    "law-30339": ("Law 30339", "Ley N.° 30339"),
    "law-30339-protocol": ("interception protocol", "protocolo de interceptación"),
    "air-bridge-halt": ("2001 halt", "suspensión 2001"),
    "us-peru-agreement-2023": ("2023 agreement", "acuerdo 2023"),
}
LAYOUT = {
    "template": "plotly_white",
    "margin": {"l": 50, "r": 20, "t": 60, "b": 40},
    "legend": {"orientation": "h", "y": -0.15},
    "hovermode": "closest",
}


def simulated_mark(lang: str) -> dict:
    """The small corner mark every chart with simulated data carries (an image export replaces it
    with its own, larger mark: lib.export.annotated_copy)."""
    return {
        "text": t("simulated_mark", lang),
        "xref": "paper",
        "yref": "paper",
        "x": 1,
        "y": 1.08,
        "xanchor": "right",
        "showarrow": False,
        "font": {"size": 11, "color": "#b45309"},
        "bgcolor": "#fef3c7",
        "bordercolor": "#b45309",
        "borderwidth": 1,
        "name": "simulated-mark",
    }


def add_simulated_mark(fig: go.Figure, lang: str) -> go.Figure:
    fig.add_annotation(**simulated_mark(lang))
    return fig


def add_policy_markers(fig: go.Figure, policies: pd.DataFrame, lang: str) -> go.Figure:
    """Vertical dotted lines with short labels at the key policy dates (POLICY_SHORT)."""
    policies = policies[policies["policy_id"].isin(POLICY_SHORT)]
    for i, row in enumerate(policies.itertuples(index=False)):
        short = POLICY_SHORT.get(row.policy_id)
        label = (short[1] if lang == "es" else short[0]) if short else row.policy_id
        x = pd.Timestamp(row.date)
        fig.add_shape(
            type="line",
            x0=x,
            x1=x,
            y0=0,
            y1=1,
            yref="paper",
            line={"dash": "dot", "color": "#6b7280", "width": 1},
        )
        fig.add_annotation(
            x=x,
            y=1 - 0.06 * (i % 3),
            yref="paper",
            text=html.escape(label),
            showarrow=False,
            xanchor="left",
            font={"size": 10, "color": "#374151"},
        )
    return fig


def _months_spanned(start: pd.Timestamp, end: pd.Timestamp) -> float:
    # A report shorter than a month is that month's figure, not a rate to blow up.
    return max((end - start).days + 1, 30.44) / 30.44


def add_reported_markers(fig: go.Figure, facts: pd.DataFrame, event_type: str, lang: str) -> go.Figure:
    """Sourced figures as diamonds at their per-month equivalent, spanning their period.

    A report of 185 strips over nine months sits at 20.6 a month with a bar from January to
    September, so it reads against the monthly series without pretending to be one month.
    """
    facts = facts[facts["event_type"] == event_type]
    if facts.empty:
        return fig
    start = pd.to_datetime(facts["date"])
    end = pd.to_datetime(facts["date_end"]).fillna(start)
    months = [_months_spanned(s, e) for s, e in zip(start, end, strict=True)]
    per_month = facts["count"].to_numpy() / months
    mid = start + (end - start) / 2
    hover = [
        "<br>".join(
            [
                html.escape(
                    t("reported_marker", lang, count=int(r.count), what=type_label(event_type, lang))
                ),
                f"{r.date:%Y-%m-%d} – {r.date_end:%Y-%m-%d} ({pm:.1f}/mes)"
                if lang == "es"
                else f"{r.date:%Y-%m-%d} – {r.date_end:%Y-%m-%d} ({pm:.1f}/month)",
                html.escape(" · ".join(str(x) for x in (r.area, r.region) if isinstance(x, str))),
                html.escape(str(r.source_title or "")),
                html.escape(str(r.source_url or "")),
            ]
        )
        for r, pm in zip(facts.itertuples(index=False), per_month, strict=True)
    ]
    fig.add_trace(
        go.Scatter(
            x=mid,
            y=per_month,
            mode="markers",
            name=t("reported_legend", lang),
            marker={
                "symbol": "diamond",
                "size": 11,
                "color": "#111827",
                "line": {"color": "white", "width": 1},
            },
            error_x={
                "type": "data",
                "symmetric": True,
                "array": (end - mid).dt.days * 86_400_000,
                "color": "#111827",
                "thickness": 1,
            },
            hovertext=hover,
            hoverinfo="text",
            customdata=facts["area"].to_numpy(),
            meta="reported",
        )
    )
    return fig


def monthly_series(
    series: pd.DataFrame,
    facts: pd.DataFrame,
    policies: pd.DataFrame,
    *,
    event_type: str,
    by: str,
    lang: str,
    simulated: bool,
) -> go.Figure:
    """Monthly counts of one event type by area/region, policy markers and sourced figures."""
    fig = go.Figure()
    # Reported rows are drawn only as sourced markers: sparse reports joined by lines would
    # read as a series that nobody measured.
    sim = series[series["provenance"] == "simulated"]
    for i, (group, part) in enumerate(sim.groupby("group", sort=True)):
        fig.add_trace(
            go.Scatter(
                x=part["month"],
                y=part["n"],
                mode="lines+markers",
                name=f"{group} ({t('prov_simulated', lang)})",
                line={"color": PALETTE[i % len(PALETTE)], "width": 2},
                marker={"size": 4},
                customdata=[group] * len(part),
                hovertemplate=f"{html.escape(str(group))}<br>%{{x|%Y-%m}}: %{{y}}<extra></extra>",
                legendgroup=str(group),
            )
        )
    add_reported_markers(fig, facts, event_type, lang)
    add_policy_markers(fig, policies, lang)
    by_label = t("by_area" if by == "area" else "by_region", lang)
    title = t("chart_monthly", lang, metric=type_label(event_type, lang).capitalize(), by=by_label)
    fig.update_layout(
        title=title, xaxis_title=t("axis_month", lang), yaxis_title=t("axis_events", lang), **LAYOUT
    )
    if simulated:
        add_simulated_mark(fig, lang)
    return fig


# ---- small multiples, built as plain dicts --------------------------------------------------
# The Routes page redraws these two charts on every filter change. Built through plotly's
# validating API they cost ~45 ms each (validation, make_subplots, template copies); as dicts
# wrapped in a TrustedFigure a few ms. tests/test_charts.py validates every one they produce.
class TrustedFigure(go.Figure):
    """A Figure from a dict already known to be valid: not validated again, also when unpickled
    from a cache (a plain Figure re-validates itself on unpickling: ~10 ms per chart)."""

    def __init__(self, data=None, **kwargs):
        super().__init__(data, _validate=False, **kwargs)

    def __reduce__(self):
        return (TrustedFigure, (self.to_dict(),))


def trusted(fig: go.Figure) -> TrustedFigure:
    """A validated figure as a TrustedFigure: cheap to unpickle from the page caches."""
    return TrustedFigure(fig.to_dict())


def trusted_with_template(fig: go.Figure) -> TrustedFigure:
    """A validated figure built without a template, as a TrustedFigure with LAYOUT's template
    spelt out (the template is Plotly's own: validating it again costs ~80 ms a figure)."""
    spec = fig.to_dict()
    spec["layout"] = {"template": _template(LAYOUT["template"]), **spec.get("layout", {})}
    return TrustedFigure(spec)


@functools.cache
def _template(name: str) -> dict:
    return pio.templates[name].to_plotly_json()


def _layout(**extra) -> dict:
    """LAYOUT with the template spelt out (unvalidated figures do not resolve template names)."""
    return copy.deepcopy({**LAYOUT, "template": _template(LAYOUT["template"]), **extra})


@functools.cache
def _grid_layout(panels: int, cols: int, shared_y: bool) -> dict:
    """make_subplots' layout for `panels` small multiples (domains, shared axes, title slots)."""
    from plotly.subplots import make_subplots

    rows = max(1, -(-panels // cols))
    fig = make_subplots(
        rows=rows,
        cols=cols,
        subplot_titles=[str(i) for i in range(panels)],
        shared_xaxes=True,
        shared_yaxes=shared_y,
        horizontal_spacing=0.06,
        vertical_spacing=0.12 if rows > 1 else 0.1,
    )
    return fig.to_dict()["layout"]


def _area_grid(areas: list[str], cols: int, *, shared_y: bool = True) -> tuple[dict, dict[str, int]]:
    """Small multiples: one panel per area on shared axes, titled by area; {area: axis number}."""
    layout = copy.deepcopy(_grid_layout(len(areas), cols, shared_y))
    for note, area in zip(layout.get("annotations", []), areas, strict=False):
        note["text"] = area
    return layout, {area: i + 1 for i, area in enumerate(areas)}


def _ref(kind: str, n: int) -> str:
    return f"{kind}{'' if n == 1 else n}"


def _grid_axes(layout: dict, kind: str) -> dict[int, dict]:
    """{axis number: axis} for every `kind` axis of the grid, empty cells included."""
    return {int(k[len(kind) + 4 :] or 1): v for k, v in layout.items() if k.startswith(f"{kind}axis")}


def _style_share_axes(layout: dict, cols: int, lang: str) -> None:
    for n, axis in _grid_axes(layout, "y").items():
        axis.update(range=[0, 1], tickformat=".0%")
        if (n - 1) % cols == 0:
            axis["title"] = {"text": t("axis_share", lang)}


def _small_multiples(
    traces: list[dict], layout: dict, *, title: str, height: int, simulated: bool, lang: str
) -> TrustedFigure:
    layout.update(_layout(title={"text": title}, height=height))
    if simulated:
        layout.setdefault("annotations", []).append(simulated_mark(lang))
    return TrustedFigure({"data": traces, "layout": layout})


def route_shares(shares: pd.DataFrame, *, lang: str, simulated: bool) -> go.Figure:
    """100% stacked route shares by quarter, one panel per area on shared axes.

    Quarters, not months: a few dozen seizures a month make monthly shares mostly noise.
    """
    quarter = pd.to_datetime(shares["month"]).dt.to_period("Q").dt.start_time
    df = shares.assign(month=quarter).groupby(["month", "area", "route"], as_index=False)["n"].sum()
    df["share"] = df["n"] / df.groupby(["month", "area"])["n"].transform("sum")
    areas = sorted(df["area"].unique())
    layout, panels = _area_grid(areas, 2)
    traces = []
    for area, part in df.groupby("area", sort=True):
        wide = part.pivot(index="month", columns="route", values="share").fillna(0.0)
        n, x = panels[area], wide.index.strftime("%Y-%m-%d").tolist()
        for route in [r for r in ROUTE_COLOURS if r in wide.columns]:
            traces.append(
                {
                    "type": "scatter",
                    "x": x,
                    "y": wide[route].to_numpy(),
                    "mode": "lines",
                    "stackgroup": f"p{n}",
                    "name": route_label(route, lang),
                    "legendgroup": route,
                    "showlegend": area == areas[0],
                    "line": {"width": 0.5, "color": ROUTE_COLOURS[route]},
                    "customdata": [area] * len(wide),
                    "hovertemplate": f"{html.escape(area)} · {html.escape(route_label(route, lang))}: "
                    "%{y:.0%}<br>%{x|%Y-%m}<extra></extra>",
                    "xaxis": _ref("x", n),
                    "yaxis": _ref("y", n),
                }
            )
    _style_share_axes(layout, 2, lang)
    return _small_multiples(
        traces,
        layout,
        title=t("chart_route_shares", lang),
        simulated=simulated,
        lang=lang,
        height=260 * max(1, (len(areas) + 1) // 2),
    )


def route_season(profile: pd.DataFrame, *, lang: str, simulated: bool) -> go.Figure:
    """Route shares by calendar month per area, the rainy season (Dec–Apr) shaded."""
    areas = sorted(profile["area"].unique())
    layout, panels = _area_grid(areas, 3)
    months = list(MONTHS["es" if lang == "es" else "en"])
    traces, shapes = [], []
    for area, part in profile.groupby("area", sort=True):
        n = panels[area]
        for route, line in part.groupby("route", sort=False):
            traces.append(
                {
                    "type": "scatter",
                    "x": line["month_of_year"].to_numpy(),
                    "y": line["share"].to_numpy(),
                    "mode": "lines+markers",
                    "name": route_label(route, lang),
                    "legendgroup": route,
                    "showlegend": area == areas[0],
                    "line": {"color": ROUTE_COLOURS.get(route, "#6b7280")},
                    "marker": {"size": 5},
                    "customdata": [area] * len(line),
                    "xaxis": _ref("x", n),
                    "yaxis": _ref("y", n),
                }
            )
    for axis in _grid_axes(layout, "x").values():
        axis.update(tickvals=list(range(1, 13)), ticktext=months)
    for n in panels.values():
        for x0, x1 in ((0.5, 4.5), (11.5, 12.5)):  # rainy season: December to April
            shapes.append(
                {
                    "type": "rect",
                    "xref": _ref("x", n),
                    "yref": f"{_ref('y', n)} domain",
                    "x0": x0,
                    "x1": x1,
                    "y0": 0,
                    "y1": 1,
                    "fillcolor": "#bfdbfe",
                    "opacity": 0.35,
                    "line": {"width": 0},
                    "layer": "below",
                }
            )
    layout["shapes"] = shapes
    _style_share_axes(layout, 3, lang)
    return _small_multiples(
        traces,
        layout,
        title=t("chart_route_season", lang),
        simulated=simulated,
        lang=lang,
        height=260 * max(1, -(-len(areas) // 3)),
    )


def route_estimates(estimates: pd.DataFrame, *, lang: str) -> go.Figure:
    """Each reported route-share estimate as its own sourced point, with its range."""
    fig = go.Figure()
    df = estimates.copy()
    df["x"] = (
        pd.to_datetime(df["period_start"])
        + (pd.to_datetime(df["period_end"]) - pd.to_datetime(df["period_start"])) / 2
    )
    df["y"] = df["share"].fillna((df["share_low"].fillna(0) + df["share_high"].fillna(1)) / 2)
    for route, part in df.groupby("route", sort=False):
        hover = [
            "<br>".join(
                html.escape(str(v))
                for v in (
                    f"{r.area} · {route_label(route, lang)}: "
                    + (l10n.percent(r.share, lang) if pd.notna(r.share) else "—"),
                    r.period,
                    r.basis,
                    r.source_title,
                    r.source_url,
                )
                if isinstance(v, str) and v
            )
            for r in part.itertuples(index=False)
        ]
        low = (part["y"] - part["share_low"]).where(part["share_low"].notna(), 0)
        high = (part["share_high"] - part["y"]).where(part["share_high"].notna(), 0)
        fig.add_trace(
            go.Scatter(
                x=part["x"],
                y=part["y"],
                mode="markers",
                name=route_label(route, lang),
                marker={
                    "size": 12,
                    "color": ROUTE_COLOURS.get(route, "#6b7280"),
                    "symbol": ["diamond" if a == "VRAEM" else "circle" for a in part["area"]],
                },
                error_y={"type": "data", "array": high, "arrayminus": low, "thickness": 1},
                hovertext=hover,
                hoverinfo="text",
                customdata=part["area"].to_numpy(),
            )
        )
    fig.update_yaxes(range=[0, 1.05], tickformat=".0%", title=t("axis_share_reported", lang))
    fig.update_layout(title=t("chart_route_estimates", lang), **LAYOUT)
    return fig


def uploaded_series(series: pd.DataFrame, *, lang: str, simulated: bool) -> go.Figure:
    """A session's uploaded rows by month and area (dashed), beside the built-in data (solid)."""
    fig = go.Figure()
    for i, ((group, prov), part) in enumerate(series.groupby(["group", "provenance"], sort=True)):
        uploaded = prov == "uploaded"
        fig.add_trace(
            go.Scatter(
                x=part["month"],
                y=part["n"],
                mode="lines+markers",
                name=f"{group} ({t(f'prov_{prov}', lang)})",
                line={"dash": "dash" if uploaded else "solid", "color": PALETTE[i % len(PALETTE)]},
                marker={"size": 5},
                customdata=[group] * len(part),
            )
        )
    fig.update_layout(
        title=t("upload_chart", lang),
        xaxis_title=t("axis_month", lang),
        yaxis_title=t("axis_events", lang),
        **LAYOUT,
    )
    if simulated:
        add_simulated_mark(fig, lang)
    return fig
