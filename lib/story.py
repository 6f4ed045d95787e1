"""The Overview's story and the reported data as first-class views; the Evidence page's figures.

Pure (no Streamlit): functions of (query, view) like lib.views, plus the DataFrame -> Figure
builders they use. Pages reach the (query, view) functions through `Page.query_view("story.<name>")`.

- `story`: the seed's finding as a figure: drug flights per quarter by area, with the VRAEM
  crackdown (185 strips destroyed, Jan–Sep 2014, S002) and Law 30339 (20 Aug 2015) marked.
  Simulated lines when the view holds simulated data; with `data=reported`, the sourced rows.
- `reported_annual`: reported rows by year, one point per sourced row (its source on hover, its
  URL in customdata): never a monthly series of zeros, never summed.
- `timeline_figure`, `conflict_groups`: the Evidence page (every sourced fact; conflicts apart).
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go

from lib import charts, l10n
from lib.i18n import t, type_label
from lib.schema import EVIDENCE_KINDS

STORY_METRIC = "flight_detected"
CRACKDOWN = ("2014-01-01", "2014-09-30")  # S002: 185 strips destroyed in the VRAEM, Jan–Sep 2014
LAW_DAY = "2015-08-20"  # Law 30339 passed (L002)
# South (the VRAEM) in warm red, the northern receiving areas in blues/greens, the rest grey.
AREA_COLOURS = {
    "VRAEM": "#b91c1c",
    "Pichis-Palcazú": "#1d4ed8",
    "Ucayali": "#0891b2",
    "Huallaga": "#6b7280",
    "Puno": "#a3a3a3",
}
KIND_COLOURS = dict(zip(EVIDENCE_KINDS, charts.PALETTE, strict=False))


@dataclass(frozen=True)
class Story:
    """What the Overview draws first: a figure (None: nothing in view) and its caption key."""

    figure: go.Figure | None
    caption: str  # i18n key
    empty_what: str  # what is missing when figure is None (already translated)


def _digits(x: float) -> int:
    """Decimals a reported rate needs (12, 2.5, 0.25): as many as its source gave, at most two."""
    return 0 if float(x).is_integer() else (1 if round(x, 1) == x else 2)


def _layout(height: int, **extra) -> dict:
    return {**charts.LAYOUT, "height": height, **extra}


# ---- the story ------------------------------------------------------------------------------
def quarterly(series: pd.DataFrame) -> pd.DataFrame:
    """Monthly rows (month, group, n) summed to quarters (quarter = its first day)."""
    out = series.copy()
    out["quarter"] = pd.to_datetime(out["month"]).dt.to_period("Q").dt.start_time
    return out.groupby(["quarter", "group"], as_index=False)["n"].sum()


def story_figure(series: pd.DataFrame, *, lang: str, height: int = 390) -> go.Figure:
    """Quarterly simulated drug flights by area, labelled at their ends, crackdown and law marked."""
    q = quarterly(series[series["provenance"] == "simulated"])
    fig = go.Figure()
    for group, part in q.groupby("group", sort=True):
        colour = AREA_COLOURS.get(str(group), "#374151")
        fig.add_trace(
            go.Scatter(
                x=part["quarter"],
                y=part["n"],
                mode="lines+markers",
                marker={"size": 3},
                name=str(group),
                customdata=[group] * len(part),  # markers: a click on the line selects a point (cross-filter)
                line={
                    "color": colour,
                    "width": 3 if group in ("VRAEM", "Pichis-Palcazú", "Ucayali") else 1.5,
                },
                hovertemplate=f"{html.escape(str(group))}<br>%{{x|%Y}} Q%{{text}}: %{{y:.0f}}<extra></extra>",
                text=[(d.month - 1) // 3 + 1 for d in part["quarter"]],
                showlegend=False,
            )
        )
        last = part.iloc[-1]
        fig.add_annotation(
            x=last["quarter"],
            y=last["n"],
            text=f"<b>{html.escape(str(group))}</b>",
            showarrow=False,
            xanchor="left",
            xshift=6,
            font={"color": colour, "size": 12},
        )
    _mark_story(fig, q, lang)
    x0, x1 = (q["quarter"].min(), q["quarter"].max() + pd.offsets.QuarterEnd(0)) if len(q) else (None, None)
    fig.update_layout(
        **_layout(height, margin={"l": 55, "r": 110, "t": 30, "b": 40}),
        xaxis={"title": t("axis_quarter", lang), "range": [x0, x1]},
        yaxis={
            "title": t("axis_flights_quarter", lang),
            "range": [0, float(q["n"].max()) * 1.18 if len(q) else 1],
        },
    )
    charts.add_simulated_mark(fig, lang)
    return fig


def _mark_story(fig: go.Figure, frame: pd.DataFrame, lang: str, x: str = "quarter") -> None:
    """The crackdown as a shaded band and Law 30339 as a line, when the view's period shows them."""
    if frame.empty:
        return
    first, last = pd.Timestamp(frame[x].min()), pd.Timestamp(frame[x].max()) + pd.offsets.QuarterEnd(0)
    c0, c1 = (pd.Timestamp(d) for d in CRACKDOWN)
    if c1 >= first and c0 <= last:
        fig.add_vrect(
            x0=max(c0, first),
            x1=min(c1, last),
            fillcolor="#fde68a",
            opacity=0.45,
            line_width=0,
            layer="below",
        )
        fig.add_annotation(
            x=min(c1, last),
            y=1.0,
            yref="paper",
            yanchor="top",
            xanchor="right",
            showarrow=False,
            text=html.escape(t("story_crackdown", lang)),
            font={"size": 11, "color": "#92400e"},
            align="right",
        )
    law = pd.Timestamp(LAW_DAY)
    if first <= law <= last:
        fig.add_shape(
            type="line",
            x0=law,
            x1=law,
            y0=0,
            y1=1,
            yref="paper",
            line={"dash": "dash", "color": "#111827", "width": 1.5},
        )
        fig.add_annotation(
            x=law,
            y=1.0,
            yref="paper",
            yanchor="top",
            xanchor="left",
            xshift=4,
            showarrow=False,
            text=f"<b>{html.escape(t('story_law', lang))}</b>",
            font={"size": 11},
        )


def story(query, view) -> Story:
    """The Overview's first figure for the view (see module doc)."""
    f, lang = view.filters, view.lang
    what = type_label(STORY_METRIC, lang)
    if view.simulated:
        series = query("events_by_month", f, by="area", event_type=STORY_METRIC)
        if (series["provenance"] == "simulated").any() and series["n"].sum() > 0:
            return Story(charts.trusted(story_figure(series, lang=lang)), "story_caption_sim", what)
        return Story(None, "story_caption_sim", what)
    rates = query("flight_rate_estimates", f)
    if rates.empty:
        return Story(None, "story_caption_rep", what)
    return Story(charts.trusted(flight_rates_figure(rates, lang=lang)), "story_caption_rep", what)


PER_MONTH = {"day": 30.44, "week": 30.44 / 7, "month": 1.0, "year": 1 / 12}


def flight_rates_figure(rates: pd.DataFrame, *, lang: str, height: int = 390) -> go.Figure:
    """Reported drug-flight rates, a month each (log scale), by area: one point per sourced
    estimate at the middle of its period, its range as a bar; never joined or averaged."""
    r = rates.copy()
    factor = r["per"].map(PER_MONTH).astype(float)
    r["low"], r["high"] = r["rate_low"].astype(float) * factor, r["rate_high"].astype(float) * factor
    r["mid"] = (r["low"] * r["high"]) ** 0.5
    start, end = pd.to_datetime(r["period_start"]), pd.to_datetime(r["period_end"])
    r["x"] = start + (end - start) / 2
    fig = go.Figure()
    for i, (area, part) in enumerate(r.groupby("area", sort=True)):
        colour = AREA_COLOURS.get(
            str(area), "#374151" if area == "Nacional" else charts.PALETTE[i % len(charts.PALETTE)]
        )
        hover = [
            "<br>".join(
                [
                    f"<b>{html.escape(str(p.area))}</b>: {l10n.number(p.rate_low, lang, _digits(p.rate_low))}–"
                    f"{l10n.number(p.rate_high, lang, _digits(p.rate_high))} / {html.escape(str(p.per))}"
                    f" (≈{l10n.number(p.low, lang)}–{l10n.number(p.high, lang)} {t('per_month_short', lang)})",
                    html.escape(str(p.period)),
                    html.escape(str(p.what)[:120]),
                    html.escape(str(p.source_title or "")),
                    html.escape(str(p.source_url or "")),
                ]
            )
            for p in part.itertuples(index=False)
        ]
        fig.add_trace(
            go.Scatter(
                x=part["x"].tolist(),
                y=part["mid"].tolist(),
                mode="markers",
                name=str(area),
                meta="reported",
                marker={
                    "symbol": "diamond",
                    "size": 11,
                    "color": colour,
                    "line": {"color": "white", "width": 1},
                },
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": (part["high"] - part["mid"]).tolist(),
                    "arrayminus": (part["mid"] - part["low"]).tolist(),
                    "color": colour,
                    "thickness": 1.2,
                },
                hovertext=hover,
                hoverinfo="text",
                customdata=list(
                    zip(part["area"], part["source_url"].fillna(""), part["estimate_id"], strict=True)
                ),
            )
        )
    frame = pd.DataFrame({"quarter": r["x"]})
    _mark_story(fig, frame, lang)
    fig.update_layout(
        **_layout(
            height, margin={"l": 55, "r": 20, "t": 30, "b": 40}, legend={"orientation": "h", "y": -0.2}
        ),
        xaxis_title=t("axis_year", lang),
        yaxis={
            "title": t("axis_flights_month_reported", lang),
            "type": "log",
            "tickvals": [1, 3, 10, 30, 100, 300, 1000],
            "range": [0, 3.05],
        },
    )
    return fig


# ---- reported rows by year ------------------------------------------------------------------
def reported_points(facts: pd.DataFrame, *, event_type: str, by: str) -> pd.DataFrame:
    """One point per sourced row of `event_type`: year of its start, its own figure (t for seizures)."""
    rows = facts[facts["event_type"] == event_type].copy()
    rows["year"] = pd.to_datetime(rows["date"]).dt.year
    seizure = event_type == "seizure"
    rows["value"] = (rows["quantity_kg"] / 1000) if seizure else rows["count"].astype(float)
    rows["unit"] = "t" if seizure else ""
    rows["group"] = rows[by].fillna(rows["area"]).fillna("(none)") if by in rows else rows["area"]
    return rows.dropna(subset=["value"]).sort_values(["year", "group", "value"])


def reported_annual_figure(
    facts: pd.DataFrame, *, event_type: str, by: str, lang: str, height: int = 460
) -> go.Figure:
    """Sourced rows by year as points (no lines: rows overlap and are never added up)."""
    pts = reported_points(facts, event_type=event_type, by=by)
    fig = go.Figure()
    for i, (group, part) in enumerate(pts.groupby("group", sort=True)):
        hover = [
            "<br>".join(
                [
                    f"<b>{html.escape(f'{l10n.number(r.value, lang, 1)} t' if r.unit else l10n.number(r.value, lang))}</b>"
                    f" · {html.escape(str(group))}",
                    f"{pd.Timestamp(r.date):%Y-%m-%d} – {pd.Timestamp(r.date_end):%Y-%m-%d}",
                    html.escape(str(r.source_title or "")),
                    html.escape(str(r.source_url or "")),
                ]
            )
            for r in part.itertuples(index=False)
        ]
        colour = AREA_COLOURS.get(str(group), charts.PALETTE[i % len(charts.PALETTE)])
        fig.add_trace(
            go.Scatter(
                x=part["year"].tolist(),
                y=part["value"].tolist(),
                mode="markers",
                name=str(group),
                marker={
                    "symbol": "diamond",
                    "size": 11,
                    "color": colour,
                    "line": {"color": "white", "width": 1},
                },
                hovertext=hover,
                hoverinfo="text",
                meta="reported",
                customdata=list(
                    zip(part["group"], part["source_url"].fillna(""), part["event_id"], strict=True)
                ),
            )
        )
    _mark_years(fig, pts, lang)
    metric = type_label(event_type, lang).capitalize()
    by_label = t("by_area" if by == "area" else "by_region", lang)
    fig.update_layout(
        **_layout(height),
        title=t("chart_reported_annual", lang, metric=metric, by=by_label),
        xaxis={
            "title": t("axis_year", lang),
            "dtick": 1,
            "range": [pts["year"].min() - 0.6, pts["year"].max() + 0.6] if len(pts) else None,
        },
        yaxis_title=t("axis_reported_value", lang),
    )
    return fig


def _mark_years(fig: go.Figure, pts: pd.DataFrame, lang: str) -> None:
    if pts.empty:
        return
    lo, hi = int(pts["year"].min()), int(pts["year"].max())
    if lo <= 2014 <= hi:
        fig.add_vrect(x0=2013.6, x1=2014.4, fillcolor="#fde68a", opacity=0.45, line_width=0, layer="below")
    if lo < 2015.63 < hi + 0.6:
        fig.add_shape(
            type="line",
            x0=2015.63,
            x1=2015.63,
            y0=0,
            y1=1,
            yref="paper",
            line={"dash": "dash", "color": "#111827", "width": 1.5},
        )
        fig.add_annotation(
            x=2015.63,
            y=1,
            yref="paper",
            xanchor="left",
            showarrow=False,
            text=html.escape(t("story_law", lang)),
            font={"size": 11},
        )


def reported_annual(query, view) -> tuple[go.Figure | None, pd.DataFrame]:
    """The Overview's explorer with `data=reported`: (figure or None when empty, its rows)."""
    state = view.state
    facts = query("reported_facts", view.filters)
    pts = reported_points(facts, event_type=state.metric, by=state.by)
    if pts.empty:
        return None, pts
    fig = reported_annual_figure(facts, event_type=state.metric, by=state.by, lang=view.lang)
    return charts.trusted(fig), pts


# ---- Evidence -------------------------------------------------------------------------------
def timeline_figure(facts: pd.DataFrame, *, lang: str) -> go.Figure:
    """Every sourced fact at its date (a bar to the end of its period), one row per kind."""
    fig = go.Figure()
    for kind in EVIDENCE_KINDS:
        part = facts[facts["kind"] == kind]
        if part.empty:
            continue
        start = pd.to_datetime(part["date_start"])
        end = pd.to_datetime(part["date_end"]).fillna(start)
        mid = start + (end - start) / 2
        hover = [
            "<br>".join(
                [
                    f"<b>{html.escape(str(r.fact_id or r.record_id))}</b> · {html.escape(str(r.what or ''))}",
                    html.escape(_figure_text(r)),
                    f"{pd.Timestamp(r.date_start):%Y-%m-%d} – {pd.Timestamp(r.date_end):%Y-%m-%d}"
                    if pd.notna(r.date_end)
                    else f"{pd.Timestamp(r.date_start):%Y-%m-%d}",
                    html.escape(str(r.place or "")),
                    html.escape(str(r.source_title or "")),
                ]
            )
            for r in part.itertuples(index=False)
        ]
        label = t(f"kind_{kind}", lang)
        fig.add_trace(
            go.Scatter(
                x=mid,
                y=[label] * len(part),
                mode="markers",
                name=label,
                marker={
                    "size": 9,
                    "color": KIND_COLOURS[kind],
                    "opacity": 0.8,
                    "line": {"color": "white", "width": 1},
                },
                error_x={
                    "type": "data",
                    "symmetric": True,
                    "array": (end - mid).dt.days * 86_400_000,
                    "color": KIND_COLOURS[kind],
                    "thickness": 1,
                    "width": 0,
                },
                hovertext=hover,
                hoverinfo="text",
                showlegend=False,
                customdata=list(zip(part["record_id"], part["source_url"].fillna(""), strict=True)),
            )
        )
    rows = max(1, facts["kind"].nunique())
    fig.update_layout(**_layout(80 + 42 * rows, margin={"l": 150, "r": 20, "t": 20, "b": 40}))
    return fig


def _figure_text(r) -> str:
    unit = "" if pd.isna(r.unit) or r.unit in ("count",) else f" {r.unit}"
    if pd.notna(r.value):
        return f"{r.value:,.4g}{unit}" if abs(r.value) < 1000 else f"{r.value:,.0f}{unit}"
    if pd.notna(r.value_low) or pd.notna(r.value_high):
        lo = "" if pd.isna(r.value_low) else f"{r.value_low:,.4g}"
        hi = "" if pd.isna(r.value_high) else f"{r.value_high:,.4g}"
        return f"{lo}–{hi}{unit}"
    return str(r.unit or "")


def figure_column(facts: pd.DataFrame) -> list[str]:
    """Each row's figure as text (value, or its range), with the unit: for tables."""
    return [_figure_text(r) for r in facts.itertuples(index=False)]


def conflict_groups(rows: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    """(group, its rows): every fact of a conflict on its own row, in the order given."""
    return [(str(g), part.reset_index(drop=True)) for g, part in rows.groupby("conflict_group", sort=True)]
