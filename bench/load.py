"""Load: N real browser sessions against one `streamlit run` server, and a bounded-memory check.

    python -m bench.load --sessions 25 --seconds 180 [--url URL | --data-dir DIR]
    python -m bench.load --distinct-views 1000 [--sessions 2] [--url URL | --data-dir DIR]

Load mode starts the app on a free loopback port (or uses --url, which must be a loopback
address) and opens N pages in one headless Debian Chromium, one browser context (one user)
each. Every session loops over PLAN — links to the Overview with various `areas`, `start`,
`data`, the Routes, Data and Map (`basemap=none`: nothing leaves the machine) pages, and a
click on the "Simulated only" radio — each session starting at a different step, until
--seconds have passed; steps in flight then get STEP_TIMEOUT_S to finish.

What a step measures. An init script in every page watches the app root's
`data-test-script-state` and `data-test-connection-state` attributes (the frontend's own state)
and reports with the browser's clock to an exposed function, so timing is taken in the page:
one Python thread driving many busy pages does not inflate it (it only delays the next
action). A step's *rerun latency* runs from the action (navigation or click) until the page
of the script run it started is drawn: the run is over (no status widget), the footer of this
run ("Data version …") is there, nothing stale is left and no element is still a loading
skeleton. The script run alone (action -> run finished) is reported beside it: the difference
is the browser drawing.

What counts as an error: an stException element, "This app has encountered an error", an
st.error alert, a step not finished within 30 s, the websocket connection dropping, a failed
action, and a *mismatch*: before the load, one lone session visits every step once and
records each page's KPI values (every st.metric: label, value, delta) and data version by
its canonical URL; every step under load must show exactly those for its URL.

The server's RSS (VmRSS of the process and its children, from /proc) is sampled every second;
its CPU time, how busy the machine was and its load average are reported too, because the
benchmark's Chromium (and anything else running) shares the machine's cores with the server.
Distinct-views mode requests N distinct views (start/end/areas combinations spread over the
Overview, Routes, Data and Map pages) through --sessions pages one after another, and reports
RSS as they accumulate: the app's caches have entry limits, so memory must level off.

Results go to bench/load_results.json (one section per mode) and a summary is printed.
Everything stays on 127.0.0.1; every loop stops by itself.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import re
import statistics
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "load_results.json"
STEP_TIMEOUT_S = 30.0
VIEWPORT = {"width": 1400, "height": 1000}
RSS_TARGET_MB = 500
VERSION_RE = re.compile(r"(?:Data version|Versión de datos) ([0-9a-f]+)")


@dataclass(frozen=True)
class Step:
    kind: str  # "goto": open `target` (path and query); "click": click the option labelled `target`
    target: str

    @property
    def name(self) -> str:
        if self.kind == "click":
            return f"click {self.target}"
        return f"goto {urlsplit(self.target).path.strip('/') or 'Overview'}"


# A click step follows a step that opens an Overview where the option is not yet chosen.
PLAN: tuple[Step, ...] = (
    Step("goto", "/?areas=vraem&start=2014-01"),
    Step("click", "Simulated only"),
    Step("goto", "/Routes?areas=huanuco,ucayali&start=2012-01"),
    Step("goto", "/?areas=ucayali&data=reported"),
    Step("goto", "/Data?areas=vraem&start=2016-01&end=2016-06"),
    Step("goto", "/?start=2015-09&end=2017-12&data=simulated"),
    Step("goto", "/Map?basemap=none&areas=vraem&start=2014-01"),
    Step("goto", "/?areas=pasco,huanuco"),
    Step("click", "Simulated only"),
    Step("goto", "/Routes?data=simulated&start=2015-01"),
)
# A short tour for the test suite: one of each kind of step, cheap to baseline.
QUICK_PLAN: tuple[Step, ...] = (PLAN[0], PLAN[1], PLAN[2], PLAN[4], PLAN[3])

# What a drawn page shows (also evaluated on its own by tests).
SNAPSHOT_JS = r"""
() => {
  const text = e => (e ? e.innerText.trim() : null);
  const footer = [...document.querySelectorAll('[data-testid="stCaptionContainer"]')]
    .map(e => e.textContent).filter(t => /Data version|Versión de datos/.test(t));
  return {
    href: location.pathname + location.search,
    footer: footer.length ? footer[footer.length - 1] : null,
    metrics: [...document.querySelectorAll('[data-testid="stMetric"]')].map(m => [
      text(m.querySelector('[data-testid="stMetricLabel"]')),
      text(m.querySelector('[data-testid="stMetricValue"]')),
      text(m.querySelector('[data-testid="stMetricDelta"]'))]),
    exceptions: document.querySelectorAll('[data-testid="stException"]').length,
    app_error: document.body.textContent.includes('This app has encountered an error'),
    error_alerts: [...document.querySelectorAll('[data-testid="stAlertContentError"]')]
      .map(e => e.textContent.slice(0, 300)),
  };
}
"""

# Installed in every document before the app's scripts. A script run is known by the app's own
# React state (`scriptRunId`, `scriptRunState`, `scriptRunFinishedSequence` of Streamlit's App
# component, found through the stApp element): the DOM attribute `data-test-script-state` alone
# misses a whole rerun when a busy page applies its messages in one render, and shows "not
# running" before the previous run's leftover elements are removed. After each change of the page
# (coalesced) and every 250 ms it checks whether the latest run is over and its page drawn:
# nothing stale is left, no element is still a loading skeleton, and the footer ("Data
# version") is there (without it the run failed: an exception, an error, a stop). It reports to Python through the exposed function REPORT, with the
# browser's clock (epoch ms, the same clock as time.time()):
#   {kind: "run", run: [start, end]}                    a script run is over (start: first seen)
#   {kind: "drawn" | "failed", run, at, snapshot}        its page is drawn / ended without a footer
#   {kind: "drop", at, state}                           the websocket connection was lost
REPORT = "__pistasLoadReport"
WATCH_JS = r"""
(() => {
  if (window.__pistasLoad) return;
  const w = window.__pistasLoad = {runs: [], settled: [], drops: [], connected: false, leaving: false,
                                   app: null, seen: {}, done: 0, queued: false};
  const report = msg => { try { window.REPORT(msg); } catch (e) { /* not exposed here */ } };
  const snapshot = SNAPSHOT_JS;
  const appState = () => {
    if (!w.app) {
      const root = document.querySelector('[data-testid="stApp"]');
      const key = root && Object.keys(root).find(k => k.startsWith('__reactFiber$'));
      let f = key ? root[key] : null;
      while (f && !(f.stateNode && f.stateNode.state && 'scriptRunId' in f.stateNode.state)) f = f.return;
      if (!f) return null;
      w.app = f.stateNode;
    }
    return w.app.state;
  };
  const settled = () =>
    !document.querySelector('[data-testid="stElementContainer"][data-stale="true"], [data-testid="stSkeleton"]');
  const footer = () => [...document.querySelectorAll('[data-testid="stCaptionContainer"]')].some(e =>
    /Data version|Versión de datos/.test(e.textContent));
  // A run is over when the app counted its script_finished (scriptRunFinishedSequence, set in the
  // same render that removes the previous run's leftover elements) and is not running.
  const check = () => {
    w.queued = false;
    const state = appState();
    if (!state || state.scriptRunId === '<null>') return;
    const now = Date.now(), id = state.scriptRunId;
    const finished = state.scriptRunFinishedSequence ?? id;  // (older frontends: one run, one id)
    const run = w.seen[id] || (w.seen[id] = {start: now, end: null});
    if (state.scriptRunState !== 'notRunning' || finished === w.done) return;
    if (run.end === null) {
      run.end = now;
      w.runs.push([run.start, run.end]);
      report({kind: 'run', run: [run.start, run.end]});
    }
    // Drawn: nothing stale or loading is left. Without the footer the page failed (an
    // exception, an error message, a stop): reported too, and judged by its snapshot.
    if (settled() || document.querySelector('[data-testid="stException"]')) {
      w.done = finished;
      w.settled.push([run.start, run.end, now]);
      report({kind: footer() ? 'drawn' : 'failed', run: [run.start, run.end], at: now, snapshot: snapshot()});
    }
  };
  const later = () => { if (!w.queued) { w.queued = true; setTimeout(check, 16); } };
  new MutationObserver(later).observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
  setInterval(check, 250);
  addEventListener('pagehide', () => { w.leaving = true; });
  new MutationObserver(records => {
    for (const r of records) {
      const value = r.target.getAttribute(r.attributeName);
      if (value === 'CONNECTED') {
        w.connected = true;
      } else if (w.connected && !w.leaving) {
        w.connected = false;
        w.drops.push([Date.now(), value]);
        report({kind: 'drop', at: Date.now(), state: value});
      }
    }
  }).observe(document, {subtree: true, attributes: true, attributeFilter: ['data-test-connection-state']});
})();
""".replace("REPORT", REPORT).replace("SNAPSHOT_JS", SNAPSHOT_JS.strip())


@dataclass
class Snapshot:
    """What a finished step shows: compared between sessions by URL."""

    href: str
    version: str | None
    metrics: list
    footer: str | None = None
    exceptions: int = 0
    app_error: bool = False
    error_alerts: list = field(default_factory=list)

    @classmethod
    def of(cls, raw: dict) -> Snapshot:
        match = VERSION_RE.search(raw.get("footer") or "")
        return cls(
            raw["href"],
            match.group(1) if match else None,
            raw["metrics"],
            raw["footer"],
            raw["exceptions"],
            raw["app_error"],
            raw["error_alerts"],
        )

    @property
    def view(self) -> dict:
        """The part that must be equal for equal URLs."""
        return {"href": self.href, "version": self.version, "metrics": self.metrics}

    def problems(self) -> list[tuple[str, str]]:
        out = []
        if self.exceptions:
            out.append(("exception", f"{self.exceptions} stException element(s)"))
        if self.app_error:
            out.append(("app_error", "This app has encountered an error"))
        out += [("error_alert", text) for text in self.error_alerts]
        if self.footer is None:
            out.append(("no_footer", "the run ended without drawing the footer"))
        return out


@dataclass
class Outcome:
    session: int
    step: str
    href: str | None
    started_s: float  # since the load began
    latency_ms: float | None  # action -> this run's page drawn (footer, nothing stale or loading)
    run_ms: float | None  # action -> the end of the script run (the frontend's run state)
    error: str | None = None  # kind
    detail: str = ""


# ---- one browser session --------------------------------------------------------------------
def new_context(browser):
    """A browser context (one user: its own cookies and cache) whose pages are watched."""
    context = browser.new_context(viewport=VIEWPORT, locale="en-US", reduced_motion="reduce")
    context.add_init_script(WATCH_JS)
    return context


class Session:
    """One user: a page driven one step at a time without blocking on it.

    The page reports (WATCH_JS) through an exposed function; Playwright delivers those calls
    while Python is inside any Playwright call, so a driver pumps events (pump()) and then reads
    each session's outcome with poll(), which never talks to the page.
    """

    def __init__(self, browser, base: str, index: int, *, cookies: list[dict] | None = None, context=None):
        """A page in a new context of `browser`, or in `context` (from new_context(), left open)."""
        self.base, self.index = base, index
        self.own_context = context is None
        self.context = new_context(browser) if context is None else context
        if cookies:
            self.context.add_cookies(cookies)
        self.page = self.context.new_page()
        self.reports: list[dict] = []
        self.page.expose_function(REPORT, self._report)
        self.page.on("crash", lambda _page: self.reports.append({"kind": "crash", "at": time.time() * 1000}))
        self.step: Step | None = None
        self.t0 = 0.0  # epoch ms of the current action
        self.clock0 = time.time()
        self.last_failed = False
        self.finished: list[Outcome] = []

    def _report(self, message: dict) -> None:
        self.reports.append(message)

    def begin(
        self, step: Step, clock0: float | None = None, timeout_s: float = STEP_TIMEOUT_S
    ) -> Outcome | None:
        """Start a step; an Outcome when it could not even start."""
        self.reports.clear()
        self.step, self.t0 = step, time.time() * 1000
        self.clock0 = self.clock0 if clock0 is None else clock0
        try:
            if step.kind == "goto":
                self.page.goto(self.base + step.target, wait_until="commit", timeout=timeout_s * 1000)
            else:
                radio = self.page.get_by_role("radiogroup").first
                radio.get_by_text(step.target, exact=True).click(timeout=timeout_s * 1000)
        except Exception as exc:  # playwright's TimeoutError / Error: a failed action
            return self._end(None, "action_failed", f"{type(exc).__name__}: {str(exc)[:300]}")
        return None

    def poll(self, timeout_s: float = STEP_TIMEOUT_S) -> tuple[Outcome, Snapshot | None] | None:
        """The step's outcome once its page is drawn (or failed, or timed out); None meanwhile."""
        mine = [r for r in self.reports if (r["run"][0] if "run" in r else r["at"]) >= self.t0 - 1]
        for r in mine:
            if r["kind"] == "crash":
                return self._end(None, "page_error", "the page crashed"), None
            if r["kind"] == "drop":
                return self._end(None, "disconnect", f"websocket connection lost (state {r['state']})"), None
        done = [r for r in mine if r["kind"] in ("drawn", "failed")]
        if done:
            last = done[-1]
            snap = Snapshot.of(last["snapshot"])
            latency, run = last["at"] - self.t0, last["run"][1] - self.t0
            if latency > timeout_s * 1000:  # drawn, but too late (the driver saw it late)
                detail = f"drawn after {latency / 1000:.1f} s (script run {run / 1000:.1f} s), over {timeout_s:.0f} s"
                return self._end(None, "timeout", detail, snap.href, run), snap
            problems = snap.problems()
            if problems:
                kind, detail = problems[0]
                return self._end(latency, kind, detail, snap.href, run), snap
            return self._end(latency, None, "", snap.href, run), snap
        if time.time() * 1000 - self.t0 > timeout_s * 1000:
            ended = [r["run"][1] for r in mine if r["kind"] == "run"]
            how = (
                f"its script run ended after {(max(ended) - self.t0) / 1000:.1f} s, the page was not drawn"
                if ended
                else "no script run ended"
            )
            return self._end(None, "timeout", f"not drawn within {timeout_s:.0f} s: {how}"), None
        return None

    def wait(self, timeout_s: float = STEP_TIMEOUT_S) -> tuple[Outcome, Snapshot | None]:
        """Block until the current step's outcome."""
        while (result := self.poll(timeout_s)) is None:
            pump([self])
        return result

    def _end(self, latency, error, detail, href=None, run=None) -> Outcome:
        outcome = Outcome(
            self.index,
            self.step.name,
            href,
            round(self.t0 / 1000 - self.clock0, 3),
            None if latency is None else round(latency, 1),
            None if run is None else round(run, 1),
            error,
            detail,
        )
        self.finished.append(outcome)
        self.last_failed = error is not None
        self.step = None
        return outcome

    def close(self) -> None:
        try:
            (self.context if self.own_context else self.page).close()
        except Exception:  # the browser may already be gone
            pass


def pump(sessions: list[Session], ms: float = 50) -> None:
    """Let Playwright deliver the pages' reports for `ms` (a timer in Playwright's driver: the
    pages' renderers are not involved, however busy they are)."""
    for s in sessions:
        try:
            s.page.wait_for_timeout(ms)
            return
        except Exception:  # that page crashed or is closed: another one will do
            continue
    time.sleep(ms / 1000)


cycles: list[float] = []  # the last drive()'s loop durations: how often each page is looked at


def drive(
    sessions: list[Session],
    next_step: Callable[[Session], Step | None],
    seconds: float,
    on_done: Callable[[Session, Outcome, Snapshot | None], None],
    step_timeout: float = STEP_TIMEOUT_S,
) -> float:
    """Run every session until `seconds` have passed (or next_step gives None); in-flight steps
    then get `step_timeout` to finish. One thread: idle sessions get their next action, events
    are pumped, outcomes collected."""
    clock0 = time.time()
    deadline = time.monotonic() + seconds
    retired: set[int] = set()
    cycles.clear()
    while True:
        cycle = time.monotonic()
        active = False
        for s in sessions:
            if s.step is not None:
                result = s.poll(step_timeout)
                if result:
                    on_done(s, *result)
            if s.step is None and time.monotonic() < deadline and s.index not in retired:
                step = next_step(s)
                if step is None:
                    retired.add(s.index)
                    continue
                failed = s.begin(step, clock0, step_timeout)
                if failed:
                    on_done(s, failed, None)
            active = active or s.step is not None
        if not active or time.monotonic() > deadline + step_timeout + 10:
            return time.time() - clock0
        pump(sessions)
        cycles.append(time.monotonic() - cycle)


def visit(
    browser, url: str, *, cookies: list[dict] | None = None, context=None, timeout_s: float = STEP_TIMEOUT_S
) -> tuple[Snapshot | None, Outcome, list[dict]]:
    """Open `url` in a fresh context (a new user), or a new page of `context`; its snapshot,
    outcome and the context's cookies once the page is closed."""
    parts = urlsplit(url)
    session = Session(browser, f"{parts.scheme}://{parts.netloc}", 0, cookies=cookies, context=context)
    try:
        outcome = session.begin(Step("goto", url[len(session.base) :] or "/"), timeout_s=timeout_s)
        snap = None
        if outcome is None:
            outcome, snap = session.wait(timeout_s)
        return snap, outcome, session.context.cookies()
    finally:
        session.close()


# ---- the server's memory ----------------------------------------------------------------------
def rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = collections.defaultdict(list)
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children[ppid].append(int(entry))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def tree_rss_mb(pid: int) -> float:
    return sum(rss_kb(p) for p in (pid, *descendants(pid))) / 1024


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes so far."""
    ticks = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            continue
    return ticks / os.sysconf("SC_CLK_TCK")


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of all CPUs, from /proc/stat."""
    with open("/proc/stat") as fh:
        values = [int(v) for v in fh.readline().split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return sum(values) - idle, sum(values)


class RssSampler(threading.Thread):
    """VmRSS of a process and its children every `interval` seconds until stop(); also the CPU
    the server used meanwhile, how busy the whole machine was, and its load average (other work
    on the machine and the benchmark's own Chromium share the same cores)."""

    def __init__(self, pid: int | None, interval: float = 1.0):
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.samples: list[tuple[float, float]] = []  # (seconds since start, MB)
        self._stop_event = threading.Event()
        self._t0 = time.monotonic()
        self._cpu0 = cpu_seconds([pid, *descendants(pid)]) if pid else 0.0
        self._busy0 = machine_busy()
        self._load0 = os.getloadavg()[0]

    def run(self) -> None:
        while self.pid and not self._stop_event.is_set():
            self.samples.append((round(time.monotonic() - self._t0, 1), round(tree_rss_mb(self.pid), 1)))
            self._stop_event.wait(self.interval)

    def stop(self) -> dict:
        self._stop_event.set()
        if self.is_alive():
            self.join(timeout=5)
        wall = time.monotonic() - self._t0
        busy, total = (b - a for a, b in zip(self._busy0, machine_busy(), strict=True))
        machine = {
            "cores": os.cpu_count(),
            "busy_pct": round(100 * busy / total, 1) if total else None,
            "loadavg_1m_start": round(self._load0, 2),
            "loadavg_1m_end": round(os.getloadavg()[0], 2),
        }
        values = [mb for _, mb in self.samples]
        if not values:
            return {"sampled": False, "machine": machine}
        cpu = cpu_seconds([self.pid, *descendants(self.pid)]) - self._cpu0
        return {
            "sampled": True,
            "pid": self.pid,
            "samples": len(values),
            "min_mb": min(values),
            "median_mb": round(statistics.median(values), 1),
            "max_mb": max(values),
            "first_mb": values[0],
            "last_mb": values[-1],
            "server_cpu_s": round(cpu, 1),
            "server_cpu_pct_of_one_core": round(100 * cpu / wall, 1),
            "machine": machine,
            "timeline": self.samples,
        }


def pid_listening(port: int) -> int | None:
    """The process with a listening socket on `port` (for --url; needs /proc and permission)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as fh:
                for line in fh.readlines()[1:]:
                    cols = line.split()
                    if cols[3] == "0A" and int(cols[1].rsplit(":", 1)[1], 16) == port:
                        inodes.add(cols[9])
        except OSError:
            continue
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            for fd in os.listdir(f"/proc/{entry}/fd"):
                link = os.readlink(f"/proc/{entry}/fd/{fd}")
                if link.startswith("socket:[") and link[8:-1] in inodes:
                    return int(entry)
        except OSError:
            continue
    return None


# ---- figures ----------------------------------------------------------------------------------
def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return round(ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo), 1)


def latency_summary(outcomes: list[Outcome]) -> dict:
    """Percentiles of the drawn latency (and of the script run alone), overall and by step."""

    def figures(values):
        return {
            "n": len(values),
            "p50_ms": percentile(values, 0.5),
            "p95_ms": percentile(values, 0.95),
            "max_ms": max(values) if values else None,
        }

    ok = [o for o in outcomes if o.error is None and o.latency_ms is not None]
    by_step: dict[str, list[float]] = collections.defaultdict(list)
    for o in ok:
        by_step[o.step].append(o.latency_ms)
    return {
        "all": figures([o.latency_ms for o in ok]),
        "script_run": figures([o.run_ms for o in ok if o.run_ms is not None]),
        "by_step": {k: figures(v) for k, v in sorted(by_step.items())},
    }


def cycle_summary() -> dict:
    """How long one pass over all sessions took (each blocking action counts): a session's
    step is checked against its 30 s only once per pass."""
    return {"p50": percentile(cycles, 0.5), "max": round(max(cycles), 2) if cycles else None}


def error_summary(outcomes: list[Outcome]) -> dict:
    bad = [o for o in outcomes if o.error]
    return {
        "total": len(bad),
        "by_kind": dict(collections.Counter(o.error for o in bad)),
        "examples": [asdict(o) for o in bad[:10]],
    }


# ---- load mode --------------------------------------------------------------------------------
def baseline(browser, base: str, plan: tuple[Step, ...] = PLAN) -> dict[str, dict]:
    """A lone session's view (KPIs, data version) for every URL the plan reaches."""
    expected: dict[str, dict] = {}
    steps = iter(plan)
    failures: list[Outcome] = []

    def done(_s, outcome: Outcome, snap: Snapshot | None) -> None:
        if outcome.error or snap is None:
            failures.append(outcome)
        else:
            expected[snap.href] = snap.view

    session = Session(browser, base, 0)
    try:
        drive([session], lambda _s: next(steps, None), seconds=len(plan) * STEP_TIMEOUT_S, on_done=done)
    finally:
        session.close()
    if failures:
        raise RuntimeError(f"the lone session failed before any load: {[asdict(f) for f in failures]}")
    return expected


def run_load(
    browser,
    base: str,
    *,
    sessions: int,
    seconds: float,
    server_pid: int | None = None,
    plan: tuple[Step, ...] = PLAN,
    log: Callable[[str], None] = lambda _m: None,
) -> dict:
    """N sessions looping over `plan` for `seconds`: latency, errors, KPI equality, server RSS."""
    log(f"baseline: one lone session through {len(plan)} steps ...")
    started = time.monotonic()
    expected = baseline(browser, base, plan)
    baseline_s = time.monotonic() - started
    log(f"baseline done in {baseline_s:.1f} s ({len(expected)} URLs); opening {sessions} sessions ...")
    starts = [i for i, step in enumerate(plan) if step.kind == "goto"]
    outcomes: list[Outcome] = []
    mismatches: list[dict] = []
    position: dict[int, int] = {}

    def next_step(s: Session) -> Step | None:
        i = position.get(s.index, starts[s.index % len(starts)])
        step = plan[i % len(plan)]
        if step.kind == "click" and (s.last_failed or not s.finished):
            i, step = i + 1, plan[(i + 1) % len(plan)]  # the page it clicks on is not there
        position[s.index] = i + 1
        return step

    def done(s: Session, outcome: Outcome, snap: Snapshot | None) -> None:
        if outcome.error is None and snap is not None:
            want = expected.get(snap.href)
            if want != snap.view:
                outcome.error = "mismatch" if want else "unexpected_url"
                outcome.detail = json.dumps({"got": snap.view, "lone_session": want}, ensure_ascii=False)[
                    :600
                ]
                s.last_failed = True
                mismatches.append(asdict(outcome))
        outcomes.append(outcome)

    open_s: list[Session] = []
    sampler = RssSampler(server_pid)
    sampler.start()
    try:
        for i in range(sessions):
            open_s.append(Session(browser, base, i))
        log(f"driving {sessions} sessions for {seconds:.0f} s ...")
        elapsed = drive(open_s, next_step, seconds, done)
    finally:
        rss = sampler.stop()
        for s in open_s:
            s.close()
    per_session = [sum(1 for o in s.finished if o.error is None) for s in open_s]
    # Held: still connected at the end (never lost its websocket, page never crashed) and served.
    dropped = {o.session for o in outcomes if o.error in ("disconnect", "page_error")}
    held = [i for i, n in enumerate(per_session) if n > 0 and i not in dropped]
    clean = [
        i for i, n in enumerate(per_session) if n > 0 and i not in {o.session for o in outcomes if o.error}
    ]
    return {
        "mode": "load",
        "url": base,
        "sessions": sessions,
        "seconds": seconds,
        "elapsed_s": round(elapsed, 1),
        "plan": [asdict(step) for step in plan],
        "baseline_s": round(baseline_s, 1),
        "baseline_urls": len(expected),
        "steps": len(outcomes),
        "steps_ok": sum(1 for o in outcomes if o.error is None),
        "sessions_held": len(held),
        "sessions_without_error": len(clean),
        "steps_ok_per_session": per_session,
        "latency": latency_summary(outcomes),
        "errors": error_summary(outcomes),
        "mismatches": len(mismatches),
        "driver_cycle_s": cycle_summary(),
        "rss": rss,
    }


# ---- distinct-views mode ----------------------------------------------------------------------
VIEW_PAGES = ("/", "/Routes", "/Data", "/Map")


def distinct_views(n: int, first_month: str, last_month: str, seed: int = 7) -> list[str]:
    """`n` distinct links: start/end/areas combinations, spread over the pages."""
    from lib.schema import AREAS, REGIONS

    places = tuple(dict.fromkeys((*AREAS, *REGIONS)))
    year0, month0 = map(int, first_month.split("-"))
    year1, month1 = map(int, last_month.split("-"))
    months = [
        f"{y:04d}-{m:02d}"
        for y in range(year0, year1 + 1)
        for m in range(1, 13)
        if (year0, month0) <= (y, m) <= (year1, month1)
    ]
    rng = random.Random(seed)
    seen: set[tuple] = set()
    links: list[str] = []
    while len(links) < n:
        i = rng.randrange(len(months))
        start = months[i]
        end = None if rng.random() < 0.3 else months[rng.randrange(i, len(months))]
        areas = tuple(sorted(rng.sample(places, rng.choice((0, 1, 1, 2, 3)))))
        page = VIEW_PAGES[len(links) % len(VIEW_PAGES)]
        key = (page, start, end, areas)
        if key in seen:
            continue
        seen.add(key)
        query = {
            "start": start,
            **({"end": end} if end else {}),
            **({"areas": ",".join(areas)} if areas else {}),
        }
        if page == "/Map":
            query["basemap"] = "none"
        links.append(f"{page}?{urlencode(query)}")
    return links


class Milestones:
    """RSS of a process tree after 0, 25, 50, 100, 250, 500, 750, 1000 … views."""

    POINTS = (0, 25, 50, 100, 250, 500, 750, 1000, 2000, 5000)

    def __init__(self, views: int, pid: int | None, log: Callable[[str], None]):
        self.pid, self.log = pid, log
        self.points = {m for m in self.POINTS if m <= views} | {views}
        self.mb: dict[int, float] = {0: round(tree_rss_mb(pid), 1)} if pid else {}

    def done(self, n: int) -> None:
        if self.pid and n in self.points:
            self.mb[n] = round(tree_rss_mb(self.pid), 1)
            self.log(f"{n} views: RSS {self.mb[n]} MB")

    def summary(self, done: int, rss: dict) -> dict:
        warm = self.mb.get(50) or self.mb.get(min((m for m in self.mb if m > 0), default=0))
        final = self.mb.get(done) or rss.get("last_mb")
        return {
            "rss_by_views_mb": {str(k): v for k, v in sorted(self.mb.items())},
            "rss_growth_after_warmup_mb": None if not (warm and final) else round(final - warm, 1),
            "rss_target_mb": RSS_TARGET_MB,
            "within_target": bool(rss.get("sampled") and rss["max_mb"] <= RSS_TARGET_MB),
        }


def run_distinct_views(
    browser,
    base: str,
    *,
    views: int,
    first_month: str,
    last_month: str,
    sessions: int = 2,
    server_pid: int | None = None,
    seconds: float = 1800,
    log: Callable[[str], None] = lambda _m: None,
) -> dict:
    """Request `views` distinct views through `sessions` pages; server RSS as they accumulate."""
    links = iter([Step("goto", link) for link in distinct_views(views, first_month, last_month)])
    outcomes: list[Outcome] = []
    hrefs: set[str] = set()
    milestones = Milestones(views, server_pid, log)

    def done(_s: Session, outcome: Outcome, snap: Snapshot | None) -> None:
        outcomes.append(outcome)
        if snap is not None:
            hrefs.add(snap.href)
        milestones.done(len(outcomes))

    open_s: list[Session] = []
    sampler = RssSampler(server_pid)
    sampler.start()
    try:
        for i in range(sessions):
            open_s.append(Session(browser, base, i))
        elapsed = drive(open_s, lambda _s: next(links, None), seconds, done)
    finally:
        rss = sampler.stop()
        for s in open_s:
            s.close()
    return {
        "mode": "distinct_views",
        "client": f"{sessions} Chromium pages",
        "url": base,
        "views_requested": views,
        "views_done": len(outcomes),
        "distinct_urls_served": len(hrefs),
        "elapsed_s": round(elapsed, 1),
        "latency": latency_summary(outcomes),
        "errors": error_summary(outcomes),
        **milestones.summary(len(outcomes), rss),
        "driver_cycle_s": cycle_summary(),
        "rss": rss,
    }


PAGE_FILES = {
    "/": "app.py",
    "/Routes": "pages/1_Routes.py",
    "/Map": "pages/2_Map.py",
    "/Data": "pages/4_Data.py",
}


def run_distinct_views_apptest(
    data_dir: Path,
    *,
    views: int,
    first_month: str,
    last_month: str,
    seconds: float = 1800,
    log: Callable[[str], None] = lambda _m: None,
) -> dict:
    """The same distinct views run by Streamlit's AppTest in this process (no server, no browser,
    much faster); the RSS is this process's, which holds the app's caches the same way."""
    from urllib.parse import parse_qsl

    from streamlit import logger as streamlit_logger
    from streamlit.testing.v1 import AppTest

    streamlit_logger.set_log_level("error")  # not a "missing ScriptRunContext" line per run
    os.environ["PISTAS_DATA_DIR"] = str(data_dir)
    pid = os.getpid()
    outcomes: list[Outcome] = []
    milestones = Milestones(views, pid, log)
    sampler = RssSampler(pid)
    sampler.start()
    clock0, deadline = time.time(), time.monotonic() + seconds
    try:
        for link in distinct_views(views, first_month, last_month):
            if time.monotonic() > deadline:
                break
            path, _, query = link.partition("?")
            started = time.perf_counter()
            error, detail = None, ""
            try:
                app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
                if path != "/":
                    app.switch_page(PAGE_FILES[path])
                for key, value in parse_qsl(query):
                    app.query_params[key] = value
                app.run()
                if app.exception:
                    error, detail = "exception", str(app.exception[0].message)[:300]
                elif len(app.error):
                    error, detail = "error_alert", str(app.error[0].value)[:300]
            except Exception as exc:  # AppTest's own timeout, …
                error, detail = "page_error", f"{type(exc).__name__}: {str(exc)[:300]}"
            ms = round((time.perf_counter() - started) * 1000, 1)
            outcomes.append(
                Outcome(
                    0,
                    f"apptest {path.strip('/') or 'Overview'}",
                    link,
                    round(time.time() - clock0, 3),
                    None if error else ms,
                    ms,
                    error,
                    detail,
                )
            )
            milestones.done(len(outcomes))
    finally:
        rss = sampler.stop()
    return {
        "mode": "distinct_views_apptest",
        "client": "AppTest in this process",
        "data_dir": str(data_dir),
        "views_requested": views,
        "views_done": len(outcomes),
        "distinct_urls_served": len({o.href for o in outcomes}),
        "elapsed_s": round(time.time() - clock0, 1),
        "latency": latency_summary(outcomes),
        "errors": error_summary(outcomes),
        **milestones.summary(len(outcomes), rss),
        "rss": rss,
    }


# ---- command line -----------------------------------------------------------------------------
def lower_priority(nice: int, keep: int | None) -> int:
    """Renice this process and its descendants (Playwright's driver, Chromium: renderers started
    later inherit it), except the tree of `keep` (the server). How many were reniced."""
    spared = {keep, *descendants(keep)} if keep else set()
    done = 0
    for pid in (os.getpid(), *descendants(os.getpid())):
        if pid in spared:
            continue
        try:
            os.setpriority(os.PRIO_PROCESS, pid, max(os.getpriority(os.PRIO_PROCESS, pid), nice))
            done += 1
        except OSError:
            continue
    return done


def _loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    return host == "localhost" or host == "::1" or host.startswith("127.")


def _print_summary(report: dict) -> None:
    lat, err, rss = report["latency"]["all"], report["errors"], report["rss"]
    print(
        f"\n== {report['mode']} against {report.get('url') or report.get('data_dir')} ({report['elapsed_s']} s)"
    )
    if report["mode"] == "load":
        print(
            f"sessions held (connected to the end, served): {report['sessions_held']}/{report['sessions']}"
            f"   without any error: {report['sessions_without_error']}   steps ok: "
            f"{report['steps_ok']}/{report['steps']}   mismatches: {report['mismatches']}"
        )
    else:
        print(
            f"views done: {report['views_done']}/{report['views_requested']}   distinct URLs served: "
            f"{report['distinct_urls_served']}"
        )
    run = report["latency"]["script_run"]
    print(
        f"rerun latency (action -> page drawn): p50 {lat['p50_ms']} ms, p95 {lat['p95_ms']} ms, "
        f"max {lat['max_ms']} ms (n={lat['n']})"
    )
    print(
        f"    of which the script run (action -> run finished): p50 {run['p50_ms']} ms, p95 {run['p95_ms']} ms"
    )
    for name, fig in report["latency"]["by_step"].items():
        print(f"    {name:<22} p50 {fig['p50_ms']:>8} ms  p95 {fig['p95_ms']:>8} ms  n={fig['n']}")
    cycle = report.get("driver_cycle_s") or {}
    print(
        f"errors: {err['total']} {err['by_kind'] or ''}"
        + (f"   (driver pass over all sessions: p50 {cycle['p50']} s, max {cycle['max']} s)" if cycle else "")
    )
    for example in err["examples"][:3]:
        print(f"    {example['error']}: {example['step']} {example['href'] or ''} {example['detail'][:200]}")
    who = "this process" if report["mode"].endswith("apptest") else "server"
    if rss.get("sampled"):
        print(
            f"{who} RSS: min {rss['min_mb']} MB, median {rss['median_mb']} MB, max {rss['max_mb']} MB "
            f"({rss['samples']} samples); {who} CPU {rss['server_cpu_pct_of_one_core']}% of one core"
        )
    else:
        print("server RSS: not sampled (no server pid)")
    m = rss["machine"]
    print(
        f"machine: {m['cores']} cores {m['busy_pct']}% busy, load average {m['loadavg_1m_start']} -> "
        f"{m['loadavg_1m_end']} (the browser and any other work share these cores)"
    )
    if report["mode"].startswith("distinct_views"):
        print(f"client: {report['client']}")
        print(f"RSS by views done: {report['rss_by_views_mb']}")
        print(
            f"growth after warm-up (50 views): {report['rss_growth_after_warmup_mb']} MB; "
            f"max {rss.get('max_mb')} MB vs target {RSS_TARGET_MB} MB: "
            f"{'within' if report['within_target'] else 'OVER'}"
        )


def _save(report: dict, out: Path) -> None:
    try:
        results = json.loads(out.read_text())
    except (OSError, ValueError):
        results = {}
    results[report["mode"]] = {**report, "when": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    out.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=None, help="concurrent sessions (load: 25, views: 2)")
    parser.add_argument("--seconds", type=float, default=None, help="load: 180; views: a cap of 1800")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--url", help="a running app on a loopback address (default: start one)")
    where.add_argument("--data-dir", type=Path, help="PISTAS_DATA_DIR for the server we start")
    parser.add_argument(
        "--pid", type=int, help="with --url: the server's pid for RSS (default: found by port)"
    )
    parser.add_argument(
        "--distinct-views",
        type=int,
        default=0,
        metavar="N",
        help="request N distinct views and report the server's RSS growth",
    )
    parser.add_argument(
        "--apptest",
        action="store_true",
        help="with --distinct-views: run them by AppTest in this process (no server, "
        "no browser; this process's RSS)",
    )
    parser.add_argument(
        "--browser-nice",
        type=int,
        default=10,
        metavar="N",
        help="run the load generator (this process, Playwright, Chromium) at nice N so "
        "the server it measures gets the CPU first (0: no change)",
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    from tests.conftest import CHROMIUM, CHROMIUM_ARGS  # also sets the offline geo defaults
    from tests.e2e.conftest import free_port, start_streamlit, stop, wait_healthy

    data_dir = args.data_dir or Path(os.environ.get("PISTAS_DATA_DIR") or ROOT / "data")

    def log(message: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)

    def month_range() -> tuple[str, str]:
        from lib import queries
        from lib.db import Database

        ctx = queries.data_context(Database(data_dir / "built"))
        return ctx.first_month, ctx.last_month

    if args.apptest:
        if not args.distinct_views or args.url:
            parser.error("--apptest goes with --distinct-views N and a data folder (not --url)")
        first, last = month_range()
        report = run_distinct_views_apptest(
            data_dir,
            views=args.distinct_views,
            first_month=first,
            last_month=last,
            seconds=args.seconds or 1800,
            log=log,
        )
        _save(report, args.out)
        _print_summary(report)
        print(f"\nwritten: {args.out}")
        return 0

    months = month_range() if args.distinct_views else None  # fails early on an unusable build
    proc = None
    if args.url:
        if not _loopback(args.url):
            parser.error("--url must be a loopback address (127.0.0.1, localhost, ::1)")
        base = args.url.rstrip("/")
        pid = args.pid or pid_listening(urlsplit(base).port or 80)
    else:
        if not (data_dir / "built" / "CURRENT").is_file():
            parser.error(
                f"no built data in {data_dir}/built: run `make data` or "
                f"`python -m lib.build --out {data_dir}/built`"
            )
        port = free_port()
        proc = start_streamlit(data_dir, port)
        base = f"http://127.0.0.1:{port}"
        wait_healthy(base, proc)
        tail: collections.deque[str] = collections.deque(maxlen=50)  # keep the server's pipe drained
        threading.Thread(
            target=lambda: [tail.append(line.decode(errors="replace")) for line in proc.stdout], daemon=True
        ).start()
        pid = proc.pid
    print(f"server {base} (pid {pid})", flush=True)

    from playwright.sync_api import sync_playwright

    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            if args.browser_nice:
                reniced = lower_priority(args.browser_nice, keep=pid)
                log(f"load generator at nice {args.browser_nice} ({reniced} processes; the server stays)")
            try:
                if args.distinct_views:
                    first, last = months
                    report = run_distinct_views(
                        browser,
                        base,
                        views=args.distinct_views,
                        first_month=first,
                        last_month=last,
                        sessions=args.sessions or 2,
                        server_pid=pid,
                        seconds=args.seconds or 1800,
                        log=log,
                    )
                else:
                    report = run_load(
                        browser,
                        base,
                        sessions=args.sessions or 25,
                        seconds=args.seconds or 180,
                        server_pid=pid,
                        log=log,
                    )
            finally:
                browser.close()
    finally:
        if proc is not None:
            stop(proc)
    report["browser_nice"] = args.browser_nice
    _save(report, args.out)
    _print_summary(report)
    print(f"\nwritten: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
