"""The plain-language reading of an :class:`~lib.impact.design.ImpactStudy`, in English or Spanish.

It leads with the three answers (treated area, other areas, all areas), each with its 95 %
interval and a verdict that never outruns the interval: an interval that contains 1 is called
*inconclusive*. Then which design answered which question, and the diagnostics beside them.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from lib import l10n
from lib.i18n import MONTHS, place_phrase
from lib.impact.design import ImpactStudy, moved

_T = {
    "a": (
        "**(a) In {place}:** over the {after} months from {month}, {event} ran at **{ratio}×** ({ci}) what "
        "its own pre-policy path predicted: **{verdict}**.",
        "**(a) En {place}:** en los {after} meses desde {month}, el número de {event} fue **{ratio}×** ({ci}) lo que "
        "anticipaba su propia trayectoria previa: **{verdict}**.",
    ),
    "b": (
        "**(b) In the other areas** (displacement shows as a rise): {items}.",
        "**(b) En los demás ámbitos** (el desplazamiento aparece como un aumento): {items}.",
    ),
    "c": (
        "**(c) All areas together:** **{ratio}×** ({ci}): {verdict}",
        "**(c) Todos los ámbitos juntos:** **{ratio}×** ({ci}): {verdict}",
    ),
    "c_fell": (
        "the total fell: the policy reduced {event}, not only moved them.",
        "el total bajó: la norma redujo el número de {event}, no solo desplazó la actividad.",
    ),
    "c_rose": ("the total rose.", "el total subió."),
    "c_none": (
        "inconclusive: the data cannot tell whether the total changed, so the policy may only have "
        "moved {event} elsewhere.",
        "no concluyente: los datos no permiten saber si el total cambió, así que la norma pudo solo "
        "haber desplazado {event} a otros ámbitos.",
    ),
    "fell": ("a fall", "una caída"),
    "rose": ("a rise", "un aumento"),
    "none": (
        "inconclusive (the interval includes no change)",
        "no concluyente (el intervalo incluye «sin cambio»)",
    ),
    "item": ("{place} {ratio}× ({ci}), {verdict}", "{place} {ratio}× ({ci}), {verdict}"),
    "design": (
        "(a)–(c) compare each area with its own counterfactual: an interrupted time series that carries "
        "the pre-policy level, trend and season forward, with intervals that allow for correlated, "
        "overdispersed months. Against a flat counterfactual (no trend) (a) is {flat}× ({flat_ci}).",
        "(a)–(c) comparan cada ámbito con su propio contrafactual: una serie temporal interrumpida que "
        "prolonga el nivel, la tendencia y la estacionalidad previos, con intervalos que admiten meses "
        "correlacionados y sobredispersos. Frente a un contrafactual plano (sin tendencia), (a) es "
        "{flat}× ({flat_ci}).",
    ),
    "did": (
        "**Cross-check of (a)** against areas the policy did not move (difference in differences with "
        "{controls}): **{ratio}×** ({ci}), {verdict}.",
        "**Contraste de (a)** con ámbitos que la norma no alteró (diferencia en diferencias; comparación: {controls}): "
        "**{ratio}×** ({ci}), {verdict}.",
    ),
    "moved_out": (
        "Left out of that comparison because their own series break at the policy date: {areas}.",
        "Excluidos de esa comparación porque su propia serie se quiebra en la fecha de la norma: {areas}.",
    ),
    "unchecked": (
        "Left out because their own break could not be tested: {areas}.",
        "Excluidos porque no se pudo probar su propio quiebre: {areas}.",
    ),
    "forced": (
        "Kept because you chose them, though their own series break at the policy date: {areas}.",
        "Se mantienen porque usted los eligió, aunque su serie se quiebra en la fecha de la norma: {areas}.",
    ),
    "ci": ("95% interval {lo}–{hi}", "intervalo del 95\u00a0%: {lo}–{hi}"),
}


def text(key: str, lang: str, **values: object) -> str:
    en, es = _T[key]
    return (es if lang == "es" else en).format(**values)


def number(x: float, lang: str) -> str:
    """A ratio with sensible precision, in the language's number format (lib.l10n: 0,47 in Spanish).

    Two decimals below 1.1 so that a bound such as 1.04 is not shown as "1.0" (no change).
    """
    if not np.isfinite(x):
        return "∞"
    return l10n.number(x, lang, 0 if x >= 10 else 1 if x >= 1.1 else 2)


def interval(ci: tuple[float, float], lang: str) -> str:
    return text("ci", lang, lo=number(ci[0], lang), hi=number(ci[1], lang))


def verdict(ci: tuple[float, float], lang: str) -> str:
    """Fall, rise or inconclusive, by whether the 95 % interval excludes 1."""
    if ci[1] < 1:
        return text("fell", lang)
    if ci[0] > 1:
        return text("rose", lang)
    return text("none", lang)


def month_label(ts: pd.Timestamp, lang: str) -> str:
    return f"{MONTHS[lang if lang == 'es' else 'en'][ts.month - 1]} {ts.year}"


def reading(study: ImpactStudy, lang: str, *, event_label: str) -> list[str]:
    """Paragraphs (Markdown, no user-supplied HTML): the three answers, the designs, the check."""
    out = []
    a = study.treated_effect.result
    if a is not None:
        out.append(
            text(
                "a",
                lang,
                place=place_phrase(", ".join(study.treated), lang),
                after=a.months_after,
                month=month_label(a.policy_month, lang),
                event=event_label,
                ratio=number(a.effect, lang),
                ci=interval(a.effect_ci, lang),
                verdict=verdict(a.effect_ci, lang),
            )
        )
    items = [
        text(
            "item",
            lang,
            place=o.label,
            ratio=number(o.result.effect, lang),
            ci=interval(o.result.effect_ci, lang),
            verdict=verdict(o.result.effect_ci, lang),
        )
        for o in study.others
        if o.ok
    ]
    if items:
        out.append(text("b", lang, items="; ".join(items)))
    net = study.net.result
    if net is not None:
        key = "c_fell" if net.effect_ci[1] < 1 else "c_rose" if net.effect_ci[0] > 1 else "c_none"
        out.append(
            text(
                "c",
                lang,
                ratio=number(net.effect, lang),
                ci=interval(net.effect_ci, lang),
                verdict=text(key, lang, event=event_label),
            )
        )
    if a is not None:
        out.append(text("design", lang, flat=number(a.flat_effect, lang), flat_ci=interval(a.flat_ci, lang)))
    did = study.did.result
    if did is not None:
        out.append(
            text(
                "did",
                lang,
                controls=", ".join(did.control),
                ratio=number(did.rate_ratio, lang),
                ci=interval(did.ci, lang),
                verdict=verdict(did.ci, lang),
            )
        )
    for key, areas in (
        ("moved_out", study.control_moved),
        ("unchecked", study.control_unchecked),
        ("forced", study.control_forced),
    ):
        if areas:
            out.append(text(key, lang, areas=", ".join(areas)))
    return out


_DIAG = {
    "lag1": (
        "Residual lag-1 autocorrelation (treated area)",
        "Autocorrelación residual de rezago 1 (ámbito tratado)",
        "allowed for in the intervals",
        "considerada en los intervalos",
    ),
    "pretrend": (
        "Pre-trend test, joint (event-study leads)",
        "Prueba de tendencias previas, conjunta (adelantos)",
        "p < 0.05: treated and comparison areas already diverged",
        "p < 0,05: ya divergían antes",
    ),
    "pretrend_linear": (
        "Pre-trend test, linear (1 df)",
        "Prueba de tendencia previa lineal (1 gl)",
        "p < 0.05: a steady divergence before the policy",
        "p < 0,05: divergencia sostenida previa",
    ),
    "time_placebo": (
        "Placebo rank p, fake dates",
        "p de rango placebo, fechas ficticias",
        "smallest attainable: {floor}",
        "mínimo alcanzable: {floor}",
    ),
    "space_placebo": (
        "Placebo rank p, fake treated areas",
        "p de rango placebo, ámbitos ficticios",
        "smallest attainable: {floor}",
        "mínimo alcanzable: {floor}",
    ),
    "screen": (
        "Comparison-area screening",
        "Selección de ámbitos de comparación",
        "areas whose own series break at the policy date are left out",
        "se excluyen ámbitos con quiebre propio",
    ),
}


def diagnostics(study: ImpactStudy, lang: str) -> pd.DataFrame:
    """One row per diagnostic: what, value, how to read it (shown beside the estimates)."""
    es = lang == "es"
    rows = []

    def add(key: str, value: str, **fmt: object) -> None:
        en, sp, note_en, note_es = _DIAG[key]
        rows.append(
            {
                "diagnostic": sp if es else en,
                "value": value,
                "reading": (note_es if es else note_en).format(**fmt),
            }
        )

    a = study.treated_effect.result
    if a is not None:
        add("lag1", number(a.lag1, lang))
    did = study.did.result
    if did is not None:
        add("pretrend", _p(did.pretrend_p, lang))
        add("pretrend_linear", _p(did.pretrend_linear_p, lang))
        add("time_placebo", _p(did.time_placebo_p, lang), floor=_p(did.time_placebo_floor, lang))
        add("space_placebo", _p(did.space_placebo_p, lang), floor=_p(did.space_placebo_floor, lang))
    moved_areas = [o.label for o in study.others if moved(o)]
    add("screen", ", ".join(moved_areas) or "—")
    label = ("Diagnóstico", "Valor", "Lectura") if es else ("Diagnostic", "Value", "How to read it")
    return pd.DataFrame(rows, columns=["diagnostic", "value", "reading"]).set_axis(label, axis=1)


def _p(p: float, lang: str) -> str:
    if not math.isfinite(p):
        return "—"
    out = "< 0.001" if p < 0.001 else f"{p:.3f}" if p < 0.1 else f"{p:.2f}"
    return out.replace(".", ",") if lang == "es" else out
