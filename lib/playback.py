"""Where the browser's map playback stopped, back into the URL.

The animated map (lib.map_export.animated_map) plays month by month inside Plotly in the
browser, with no server rerun per step. Plotly keeps the current frame to itself, so this small
Streamlit component (custom components v2: a few lines of JavaScript, no build step) listens to
that chart's animation events and, once it stops (Pause, the last month, a slider step), sends
the month back once. The page then writes `month=` to the URL like the step buttons do, so a link
copied after a pause opens on the paused month.

The script is loaded by the Streamlit frontend from a blob: URL; the deployment's CSP allows
`blob:` scripts for it (deploy/nginx.conf).
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

# Polls for the chart (Plotly draws it after the component mounts), hooks its animation events
# once per chart element, and reports the frame it stopped on after a quiet 250 ms (a Pause
# fires "interrupted" and then "animated": one report, not two). The handlers read the latest
# mount's data and setter from the element, so a rerun never leaves them on stale ones.
_JS = """
export default function ({ data, setTriggerValue }) {
  let tries = 0;
  const poll = setInterval(() => {
    const gd = document.querySelector(data.selector);
    if (gd && typeof gd.on === "function") {
      gd.__pistasPlayback = { data, setTriggerValue, current: gd.__pistasPlayback?.current ?? null };
      if (!gd.__pistasHooked) {
        gd.__pistasHooked = true;
        let timer = null;
        const settle = () => {
          clearTimeout(timer);
          timer = setTimeout(() => {
            const s = gd.__pistasPlayback;
            if (s.current && s.current !== s.data.month) {
              s.data = { ...s.data, month: s.current };
              s.setTriggerValue("month", s.current);
            }
          }, 250);
        };
        gd.on("plotly_animatingframe", (e) => { gd.__pistasPlayback.current = e.name; });
        gd.on("plotly_animationinterrupted", settle);
        gd.on("plotly_animated", settle);
      }
      clearInterval(poll);
    } else if (++tries > 150) {
      clearInterval(poll);
    }
  }, 200);
  return () => clearInterval(poll);
}
"""

_sync = st.components.v2.component("pistas.playback_sync", js=_JS, isolate_styles=False)


def chart_selector(chart_key: str) -> str:
    """The Plotly graph element of the chart drawn with `st.plotly_chart(key=chart_key)`."""
    return f".st-key-{chart_key} .js-plotly-plot"


def sync(chart_key: str, month: str | None, on_stop: Callable[[str], None]) -> None:
    """Mount the listener for the animated chart `chart_key`; call `on_stop(month)` when the
    browser's playback stops on a month other than `month` (the view's)."""
    key = f"{chart_key}_sync"

    def stopped() -> None:
        value = getattr(st.session_state[key], "month", None)
        if value:
            on_stop(str(value))

    _sync(
        key=key,
        data={"selector": chart_selector(chart_key), "month": month},
        on_month_change=stopped,
        height=0,
    )
