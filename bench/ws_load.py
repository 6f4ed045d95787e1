"""Protocol-level load: N websocket sessions against `streamlit run`, no browser on the cores.

    python -m bench.ws_load [--quick] [--configs gc,nogc] [--sizes 1,8,20,40] [--only PREFIXES]
                            [--profile] [--replicas K] [--data-dir DIR] [--out FILE]

A session is what a browser tab is to the server: one websocket on /_stcore/stream (subprotocol
"streamlit"), a `BackMsg.rerun_script` (a ClientState: query string, page name, the hashes of the
messages it has cached, locale and timezone) per view, and ForwardMsgs back until the run's
`script_finished`. A rerun's latency runs from sending the BackMsg to receiving `script_finished`
(FINISHED_EARLY_FOR_RERUN means another run follows: we wait for that one). Like the browser,
the client keeps every `cacheable` message it got for `global.maxCachedMessageAge` (2) runs and
announces their hashes, so the server sends big unchanged elements as `ref_hash` references.
Nothing is drawn: the figures are the server's (and the loopback's), not what a browser shows.

Views are realistic URLs of this app (lib/state.py's contract through bench/states.py: period,
places, types, routes, data=, metric=, by=, with lang=es for 1 in 5) on the Overview, Routes,
Data and Map (basemap=none) pages, drawn seeded and distinct: a "new" view is in no cache.

Scenarios, each on every configuration (a `streamlit run` with its own options: gc =
`--runner.postScriptGC true`, Streamlit's default; nogc = `--runner.postScriptGC false`), the servers alive side by side and the order alternating
(A B, then B A) so the ratios are measured under the same machine load:

    solo-new        1 session, new views back to back
    solo-cached-P   1 session, one view of page P already in every cache, back to back
    b2b-N-new       N sessions at once, new views back to back
    b2b-N-cached    N sessions at once, each on its own view already cached
    think-N         N sessions, each a new view every ~4 s (think time uniform 2-6 s after the
                    page arrived, first one staggered), for --think-seconds
    soak            2 sessions cycling over 20 cached views for a few hundred reruns: RSS after
                    every 50 (does memory level off without the forced GC?)

Per scenario: reruns/s (finished runs / wall time), p50 / p95 latency (linear percentiles), errors
(an Exception element or an ERROR alert in the deltas, a run without the footer's data version,
a disconnect, a timeout, a KPI mismatch), server RSS (psutil: process and children, sampled
every 0.25 s: max, end), server CPU ms per rerun, load average. KPI correctness: after the load,
a fresh server and one lone session visit every distinct view once; every loaded run's st.metric
values (label, value, delta) and data version must equal the lone session's for the same view.

--profile: after the measurements, py-spy (pip install py-spy; root, or ptrace allowed) records
each server during b2b-8-new (new views again) and each solo-cached-<page>; the top frames
(inclusive and self, % of the samples of Streamlit's ScriptRunner threads) are reported.
--replicas K: the think scenarios again through deploy/nginx.conf (rendered for loopback like
tests/e2e/test_scale_out.py) in front of K servers of the first configuration, after the
single-server runs (not alternated with them).

Results: bench/ws_load_results.json and a table on stdout. Everything stays on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import getpass
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import psutil
import websockets
from streamlit.proto.Alert_pb2 import Alert
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "ws_load_results.json"
PORTS = range(8620, 8641)  # this machine's convention for benchmark servers
RUN_TIMEOUT_S = 90.0
VERSION_RE = re.compile(r"(?:Data version|Versión de datos) ([0-9a-f]+)")
MAX_CACHED_MESSAGE_AGE = 2  # global.maxCachedMessageAge: what the browser keeps
# Page -> the page name the browser sends (the url_pathname of pages/N_<Name>.py); weights of the mix.
PAGE_NAMES = {"overview": "", "routes": "Routes", "data": "Data", "map": "Map"}
PAGE_WEIGHTS = {"overview": 5, "routes": 2, "data": 2, "map": 1}
# Each configuration states its options on the command line, so .streamlit/config.toml (which
# sets runner.postScriptGC = false) does not decide the comparison. "gc" is Streamlit's default.
# (A running server re-reads config.toml when it changes: don't edit it during a run.)
CONFIGS = {
    "gc": ["--runner.postScriptGC", "true"],
    "nogc": ["--runner.postScriptGC", "false"],
}


# ---- views --------------------------------------------------------------------------------
@dataclass(frozen=True)
class View:
    page: str  # key of PAGE_NAMES
    query: str  # the URL's query string, without "?"

    @property
    def key(self) -> str:
        return f"{self.page}?{self.query}"


def view_pool(n: int, seed: int, data_dir: Path | None = None) -> list[View]:
    """`n` distinct realistic views (pages and URLs), seeded."""
    from bench.states import random_state
    from lib import queries
    from lib.db import Database
    from lib.paths import built_dir

    built = (data_dir / "built") if data_dir else built_dir()
    ctx = queries.data_context(Database(built))
    rng = random.Random(seed)
    pages = list(PAGE_WEIGHTS)
    out: list[View] = []
    seen: set = set()
    while len(out) < n:
        state = random_state(rng, ctx)
        if state in seen:
            continue
        seen.add(state)
        page = rng.choices(pages, weights=[PAGE_WEIGHTS[p] for p in pages])[0]
        if page == "map":
            state = state.with_changes(basemap="none")  # nothing leaves the machine
        if rng.random() < 0.2:
            state = state.with_changes(lang="es")
        out.append(View(page, urlencode(state.to_query())))
    return out


# ---- one session --------------------------------------------------------------------------
@dataclass
class Run:
    view: str
    started_s: float  # since the scenario began
    latency_ms: float | None
    metrics: list = field(default_factory=list)  # [label, value, delta] of every st.metric
    version: str | None = None  # the footer's data version
    errors: list = field(default_factory=list)  # [kind, detail]
    messages: int = 0
    bytes: int = 0

    def signature(self) -> dict:
        return {"metrics": self.metrics, "version": self.version}


class Session:
    """One browser tab's websocket, driven one rerun at a time."""

    def __init__(self, base: str, *, locale: str = "en-US") -> None:
        self.base = base
        self.locale = locale
        self.ws = None
        self.cache: dict[str, tuple[bytes, int]] = {}  # hash -> (message, run it was last seen)
        self.runs = 0

    async def connect(self) -> None:
        url = self.base.replace("http://", "ws://") + "/_stcore/stream"
        # No client pings: a server busy in its script threads answers late, and a browser tab
        # would not drop the connection for that (Streamlit has its own heartbeat).
        self.ws = await websockets.connect(
            url,
            subprotocols=["streamlit"],
            origin=self.base,
            max_size=None,
            ping_interval=None,
            open_timeout=30,
            close_timeout=2,
        )

    async def close(self) -> None:
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await self.ws.close()
            self.ws = None

    def _back_msg(self, view: View) -> bytes:
        msg = BackMsg()
        state = msg.rerun_script
        state.query_string = view.query
        state.page_name = PAGE_NAMES[view.page]
        state.cached_message_hashes.extend(self.cache)
        state.context_info.locale = self.locale
        state.context_info.timezone = "America/Lima"
        state.context_info.timezone_offset = 300
        state.context_info.url = f"{self.base}/{PAGE_NAMES[view.page]}"
        return msg.SerializeToString()

    async def rerun(self, view: View, t0: float, timeout: float = RUN_TIMEOUT_S) -> Run:
        """Send one rerun_script and read until its script_finished."""
        run = Run(view.key, time.perf_counter() - t0, None)
        self.runs += 1
        try:
            if self.ws is None:
                await self.connect()
            started = time.perf_counter()
            await self.ws.send(self._back_msg(view))
            deadline = started + timeout
            while True:
                raw = await asyncio.wait_for(self.ws.recv(), max(0.01, deadline - time.perf_counter()))
                run.messages += 1
                run.bytes += len(raw)
                msg = ForwardMsg()
                msg.ParseFromString(raw)
                kind = msg.WhichOneof("type")
                if kind == "ref_hash":
                    cached = self.cache.get(msg.ref_hash)
                    if cached is None:
                        run.errors.append(["protocol", f"unknown ref_hash {msg.ref_hash}"])
                        continue
                    self.cache[msg.ref_hash] = (cached[0], self.runs)
                    msg = ForwardMsg()
                    msg.ParseFromString(cached[0])
                    kind = msg.WhichOneof("type")
                elif msg.metadata.cacheable and msg.hash:
                    self.cache[msg.hash] = (raw, self.runs)
                if kind == "delta":
                    self._read_delta(msg, run)
                elif kind == "page_not_found":
                    run.errors.append(["page_not_found", msg.page_not_found.page_name])
                elif kind == "script_finished":
                    status = msg.script_finished
                    if status == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                        continue  # the app reran itself (st.rerun): its next run is this view's
                    run.latency_ms = (time.perf_counter() - started) * 1000
                    if status == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                        run.errors.append(["compile_error", ""])
                    break
        except TimeoutError:
            run.errors.append(["timeout", f"no script_finished within {timeout:.0f} s"])
            await self.close()  # its late messages must not count for the next run
        except websockets.ConnectionClosed as exc:
            run.errors.append(["disconnect", str(exc)[:200]])
            self.ws = None
        except OSError as exc:
            run.errors.append(["connect", str(exc)[:200]])
            self.ws = None
        self.cache = {h: v for h, v in self.cache.items() if self.runs - v[1] < MAX_CACHED_MESSAGE_AGE}
        if run.latency_ms is not None and run.version is None and not run.errors:
            run.errors.append(["no_footer", "the run ended without the footer's data version"])
        return run

    @staticmethod
    def _read_delta(msg: ForwardMsg, run: Run) -> None:
        if msg.delta.WhichOneof("type") != "new_element":
            return
        element = msg.delta.new_element
        which = element.WhichOneof("type")
        if which == "metric":
            run.metrics.append([element.metric.label, element.metric.body, element.metric.delta])
        elif which == "exception":
            run.errors.append(["exception", f"{element.exception.type}: {element.exception.message}"[:300]])
        elif which == "alert" and element.alert.format == Alert.ERROR:
            run.errors.append(["error_alert", element.alert.body[:300]])
        elif which == "markdown":
            found = VERSION_RE.search(element.markdown.body)
            if found:
                run.version = found.group(1)


# ---- servers ------------------------------------------------------------------------------
def port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


_taken: set[int] = set()


def fresh_port() -> int:
    for port in PORTS:
        if port not in _taken and port_free(port):
            _taken.add(port)
            return port
    with socket.socket() as sock:  # all of this machine's bench ports busy: any free one
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """`streamlit run app.py` on a fresh loopback port, with extra options; RSS/CPU sampled."""

    def __init__(self, name: str, options: list[str], data_dir: Path | None = None, port: int | None = None):
        self.name = name
        self.options = options
        self.port = port or fresh_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
        if data_dir:
            env["PISTAS_DATA_DIR"] = str(data_dir)
        cmd = [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(ROOT / "app.py"),
            "--server.port",
            str(self.port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
            "--server.runOnSave",
            "false",
            "--server.fileWatcherType",
            "none",
            *options,
        ]
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.ps = psutil.Process(self.proc.pid)
        self._samples: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._sampler: threading.Thread | None = None

    def wait_healthy(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.log.seek(0)
                raise RuntimeError(
                    f"{self.name}: streamlit exited early:\n{self.log.read().decode(errors='replace')}"
                )
            try:
                with urllib.request.urlopen(f"{self.base}/_stcore/health", timeout=2) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise TimeoutError(f"{self.name}: not healthy at {self.base}")

    def rss(self) -> int:
        try:
            return self.ps.memory_info().rss + sum(
                c.memory_info().rss for c in self.ps.children(recursive=True)
            )
        except psutil.Error:
            return 0

    def cpu_s(self) -> float:
        try:
            t = self.ps.cpu_times()
            return t.user + t.system
        except psutil.Error:
            return 0.0

    def sample(self) -> None:
        """Start sampling RSS every 0.25 s (until `samples()`)."""
        self._samples = []
        self._stop.clear()

        def loop():
            while not self._stop.is_set():
                self._samples.append((time.perf_counter(), self.rss()))
                self._stop.wait(0.25)

        self._sampler = threading.Thread(target=loop, daemon=True)
        self._sampler.start()

    def samples(self) -> list[tuple[float, int]]:
        self._stop.set()
        if self._sampler:
            self._sampler.join()
        return self._samples

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, 15)
                self.proc.wait(timeout=10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, 9)
        _taken.discard(self.port)


class Proxy:
    """deploy/nginx.conf rendered for loopback (the tagged lines), in front of some servers."""

    def __init__(self, replicas: list[Server], folder: Path) -> None:
        binary = shutil.which("nginx") or "/usr/sbin/nginx"
        self.port = fresh_port()
        self.base = f"http://127.0.0.1:{self.port}"
        conf = folder / "nginx.conf"
        conf.write_text(
            render_nginx_conf(
                (ROOT / "deploy" / "nginx.conf").read_text(),
                port=self.port,
                replicas=[s.port for s in replicas],
                folder=folder,
            )
        )
        cmd = [
            binary,
            "-p",
            str(folder),
            "-e",
            str(folder / "error.log"),
            "-c",
            str(conf),
            "-g",
            f"daemon off; pid {folder / 'nginx.pid'};",
        ]
        self.proc = subprocess.Popen(
            cmd, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.base}/_stcore/health", timeout=2):
                    return
            except OSError:
                time.sleep(0.2)
        raise TimeoutError("nginx did not come up")

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, 15)
            self.proc.wait(timeout=10)
        _taken.discard(self.port)


def render_nginx_conf(template: str, *, port: int, replicas: list[int], folder: Path) -> str:
    """The same rendering as tests/e2e/test_scale_out.py: `# @listen`, `# @replicas`, `# @logs`."""
    out: list[str] = []
    for line in template.splitlines():
        if line.rstrip().endswith("# @listen"):
            line = re.sub(r"listen\s+\S+;", f"listen 127.0.0.1:{port};", line)
        elif line.rstrip().endswith("# @replicas"):
            indent = line[: len(line) - len(line.lstrip())]
            rest = line.split("server", 1)[1].split(None, 1)[1]
            out += [f"{indent}server 127.0.0.1:{p} {rest}" for p in replicas]
            continue
        elif line.rstrip().endswith("# @logs"):
            directive, _path, rest = line.split(None, 2)
            log = folder / ("error.log" if directive == "error_log" else "access.log")
            line = f"{line[: len(line) - len(line.lstrip())]}{directive} {log} {rest}"
        out.append(line)
        if line.strip() == "http {":
            out += [
                f"    {d}_temp_path {folder / d};"
                for d in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
            ]
    text = "\n".join(out) + "\n"
    if os.geteuid() == 0:
        text = f"user {getpass.getuser()};\n" + text
    return text


# ---- scenarios ----------------------------------------------------------------------------
def percentile(values: list[float], q: float) -> float | None:
    """numpy's default (linear) percentile."""
    if not values:
        return None
    s = sorted(values)
    k = (len(s) - 1) * q / 100
    lo = int(k)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


@dataclass
class Scenario:
    name: str
    sessions: int
    kind: str  # "b2b" (back to back) | "think"
    views: list[list[View]]  # per session, in order
    think_s: float = 0.0
    seconds: float | None = None  # think: stop issuing after this long
    warm: bool = False  # visit each session's views once untimed first (cached scenarios)


class _Start:
    """All sessions connected and warmed: the timed part starts (server CPU read then)."""

    def __init__(self, n: int, servers: list[Server]) -> None:
        self.left = n
        self.servers = servers
        self.event = asyncio.Event()
        self.cpu0 = 0.0
        self.at = 0.0

    async def ready(self) -> None:
        self.left -= 1
        if self.left == 0:
            self.cpu0 = sum(s.cpu_s() for s in self.servers)
            self.at = time.perf_counter()
            self.event.set()
        await self.event.wait()


async def _session_loop(
    base: str, sc: Scenario, i: int, t0: float, runs: list, start: _Start, rng: random.Random
) -> None:
    session = Session(base)
    try:
        try:
            await session.connect()
            # The first run of a session also builds its new session: not timed (a warm view).
            await session.rerun(View("overview", ""), t0)
            views = sc.views[i]
            if sc.warm:
                for view in dict.fromkeys(views):
                    await session.rerun(view, t0)
        finally:
            await start.ready()
        stop_at = start.at + sc.seconds if sc.seconds else None
        if sc.kind == "think":
            await asyncio.sleep(rng.uniform(0, sc.think_s))
        for view in views:
            if stop_at is not None and time.perf_counter() >= stop_at:
                break
            runs.append((i, await session.rerun(view, t0)))
            if sc.kind == "think":
                await asyncio.sleep(rng.uniform(0.5 * sc.think_s, 1.5 * sc.think_s))
    finally:
        await session.close()


async def _scenario(
    base: str, sc: Scenario, seed: int, servers: list[Server]
) -> tuple[list, float, float, float]:
    """(runs, wall seconds of the timed part, its start, server CPU seconds during it)."""
    t0 = time.perf_counter()
    runs: list = []
    start = _Start(sc.sessions, servers)
    rngs = [random.Random(seed * 1000 + i) for i in range(sc.sessions)]
    await asyncio.gather(*(_session_loop(base, sc, i, t0, runs, start, rngs[i]) for i in range(sc.sessions)))
    cpu = sum(s.cpu_s() for s in servers) - start.cpu0
    return runs, time.perf_counter() - start.at, t0, cpu


def run_scenario(
    server: Server, sc: Scenario, seed: int, *, base: str | None = None, extra: list[Server] = ()
) -> dict:
    """One scenario on one server (or through a proxy at `base` in front of `extra` servers)."""
    servers = [server, *extra]
    for s in servers:
        s.sample()
    client0 = time.process_time()
    runs, wall, t0, cpu = asyncio.run(_scenario(base or server.base, sc, seed, servers))
    client_cpu = time.process_time() - client0
    samples = [s.samples() for s in servers]
    rss_max = sum(max((b for _, b in smp), default=0) for smp in samples)
    rss_end = sum(s.rss() for s in servers)
    ok = [r for _, r in runs if r.latency_ms is not None]
    lat = [r.latency_ms for r in ok]
    # Timed part only: from the first timed send to the last finish.
    first = min((r.started_s for _, r in runs), default=0.0)
    last = max((r.started_s + (r.latency_ms or 0) / 1000 for _, r in runs), default=0.0)
    span = max(last - first, 1e-9)
    errors = collections.Counter(kind for _, r in runs for kind, _ in r.errors)
    examples = {}
    for _, r in runs:
        for kind, detail in r.errors:
            examples.setdefault(kind, f"{r.view}: {detail}")
    out = {
        "scenario": sc.name,
        "server": server.name if not extra else f"{server.name}×{len(servers)} via nginx",
        "sessions": sc.sessions,
        "reruns": len(ok),
        "wall_s": round(wall, 2),
        "reruns_per_s": round(len(ok) / span, 2),
        "p50_ms": _r(percentile(lat, 50)),
        "p95_ms": _r(percentile(lat, 95)),
        "max_ms": _r(max(lat, default=None)),
        "errors": dict(errors),
        "error_examples": examples,
        "server_cpu_ms_per_rerun": _r(cpu * 1000 / len(ok)) if ok else None,
        "client_cpu_s": round(client_cpu, 2),
        "rss_max_mb": round(rss_max / 2**20, 1),
        "rss_end_mb": round(rss_end / 2**20, 1),
        "loadavg_1m": round(os.getloadavg()[0], 2),
        "mb_per_rerun": round(sum(r.bytes for r in ok) / len(ok) / 2**20, 3) if ok else None,
    }
    if sc.name == "soak":  # RSS after every 50 reruns, in the order they finished
        done = sorted(r.started_s + r.latency_ms / 1000 for r in ok)
        marks = []
        for n in range(50, len(done) + 1, 50):
            at = t0 + done[n - 1]
            near = min(samples[0], key=lambda smp: abs(smp[0] - at), default=None)
            marks.append([n, round(near[1] / 2**20, 1) if near else None])
        out["rss_mb_every_50"] = marks
    out["_runs"] = [asdict(r) for _, r in runs]
    return out


def _r(x: float | None) -> float | None:
    return None if x is None else round(x, 1)


def build_scenarios(
    pool: list[View], quick: bool, think_seconds: float, sizes: list[int], soak_reruns: int | None = None
) -> list[Scenario]:
    """Scenarios with their own slices of the view pool (every config gets the same views)."""
    one_per_page = {page: next(v for v in pool if v.page == page) for page in PAGE_NAMES}
    it = iter(v for v in pool if v not in one_per_page.values())

    def take(n: int) -> list[View]:
        return [next(it) for _ in range(n)]

    cached = take(40)  # views the cached scenarios warm first
    solo_n = 8 if quick else 30
    per = 3 if quick else 5
    scs = [Scenario("solo-new", 1, "b2b", [take(solo_n)])]
    for page, view in one_per_page.items():  # one view of each page, already in every cache
        scs.append(Scenario(f"solo-cached-{page}", 1, "b2b", [[view] * (8 if quick else 30)], warm=True))
    for n in [s for s in sizes if s > 1]:
        scs.append(Scenario(f"b2b-{n}-new", n, "b2b", [take(per) for _ in range(n)]))
        scs.append(
            Scenario(
                f"b2b-{n}-cached", n, "b2b", [[cached[i % len(cached)]] * per for i in range(n)], warm=True
            )
        )
    for n in sizes:
        # More views than a session can visit in think_seconds; only the visited ones count.
        k = int(think_seconds / 2) + 2
        scs.append(
            Scenario(
                f"think-{n}", n, "think", [take(k) for _ in range(n)], think_s=4.0, seconds=think_seconds
            )
        )
    soak_views = cached[20:40]
    reruns = soak_reruns or (60 if quick else 300)
    scs.append(
        Scenario(
            "soak",
            2,
            "b2b",
            [[soak_views[(j * 2 + i) % 20] for j in range(reruns // 2)] for i in range(2)],
            warm=True,
        )
    )
    return scs


# ---- correctness --------------------------------------------------------------------------
def reference(views: list[View], data_dir: Path | None) -> dict[str, dict]:
    """Each view's KPIs and data version from one lone session on a fresh server (Streamlit's
    defaults: the forced GC on)."""
    server = Server("reference", CONFIGS["gc"], data_dir)
    try:
        server.wait_healthy()

        async def visit():
            session = Session(server.base)
            out = {}
            try:
                await session.connect()
                for view in views:
                    run = await session.rerun(view, time.perf_counter())
                    out[view.key] = {**run.signature(), "errors": run.errors}
            finally:
                await session.close()
            return out

        return asyncio.run(visit())
    finally:
        server.stop()


def check_kpis(results: list[dict], ref: dict[str, dict]) -> None:
    """Count a `kpi_mismatch` error for each loaded run whose KPIs differ from the lone session's."""
    for res in results:
        mismatches = 0
        for run in res["_runs"]:
            want = ref.get(run["view"])
            if run["latency_ms"] is None or want is None or want["errors"]:
                continue
            if {"metrics": run["metrics"], "version": run["version"]} != {
                k: want[k] for k in ("metrics", "version")
            }:
                mismatches += 1
                res["error_examples"].setdefault(
                    "kpi_mismatch", f"{run['view']}: {run['metrics']} != {want['metrics']}"
                )
        if mismatches:
            res["errors"]["kpi_mismatch"] = mismatches
        res["kpi_checked"] = sum(1 for r in res["_runs"] if r["latency_ms"] is not None and r["view"] in ref)


# ---- profiling ----------------------------------------------------------------------------
def py_spy() -> str | None:
    found = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    return found if os.access(found, os.X_OK) else None


def profile(server: Server, sc: Scenario, seed: int, seconds: float, folder: Path) -> dict:
    """py-spy record (raw collapsed stacks, by function, with thread names) during one scenario."""
    binary = py_spy()
    if binary is None:
        return {"error": "py-spy not installed (.venv/bin/pip install py-spy)"}
    raw = folder / f"{server.name}-{sc.name}.txt"
    spy = subprocess.Popen(
        [
            binary,
            "record",
            "--pid",
            str(server.proc.pid),
            "-d",
            str(int(seconds)),
            "-r",
            "100",
            "-f",
            "raw",
            "-F",
            "--threads",
            "--nonblocking",
            "-o",
            str(raw),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    time.sleep(1.0)
    res = run_scenario(server, sc, seed)
    try:
        _, err = spy.communicate(timeout=seconds + 30)
    except subprocess.TimeoutExpired:
        spy.kill()
        _, err = spy.communicate()
    if not raw.exists():
        return {"error": f"py-spy wrote nothing: {err.decode(errors='replace')[-500:]}", "scenario": res}
    return {
        **top_frames(raw.read_text()),
        "scenario": {k: v for k, v in res.items() if k != "_runs"},
        "raw": str(raw),
    }


def top_frames(raw: str, n: int = 25) -> dict:
    """Inclusive and self shares of frames in the ScriptRunner threads' samples (and all threads')."""
    incl: collections.Counter = collections.Counter()
    self_: collections.Counter = collections.Counter()
    threads: collections.Counter = collections.Counter()
    total = script = 0
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        c = int(count)
        frames = stack.split(";")
        thread = frames[0]
        total += c
        threads[re.sub(r"\s*\(?0x[0-9a-f]+\)?|\s*\d+$", "", thread)] += c
        if "ScriptRunner" not in thread:
            continue
        script += c
        names = [re.sub(r":\d+\)$", ")", f) for f in frames[1:]]
        for name in set(names):
            incl[name] += c
        if names:
            self_[names[-1]] += c
    generic = (
        "threading.py",
        "_run_script_thread",
        "ScriptRunner._run_script (",
        "code_to_exec",
        "exec_func_with_error_handling",
        "_mpa_v1",
        "Page.run (",
        "<module>",
    )
    for name in [k for k in incl if any(g in k for g in generic)]:
        del incl[name]
    share = lambda k: round(100 * k / max(script, 1), 1)  # noqa: E731
    return {
        "samples": total,
        "script_thread_samples": script,
        "threads_share": {k: round(100 * v / max(total, 1), 1) for k, v in threads.most_common(8)},
        "inclusive": [[f, share(c)] for f, c in incl.most_common(n)],
        "self": [[f, share(c)] for f, c in self_.most_common(n)],
    }


# ---- report -------------------------------------------------------------------------------
COLUMNS = (
    "scenario",
    "server",
    "reruns",
    "reruns_per_s",
    "p50_ms",
    "p95_ms",
    "server_cpu_ms_per_rerun",
    "rss_max_mb",
    "rss_end_mb",
    "errors",
    "loadavg_1m",
)


def table(results: list[dict]) -> str:
    rows = [
        [
            str(r.get(c, ""))
            if c != "errors"
            else (",".join(f"{k}={v}" for k, v in r["errors"].items()) or "0")
            for c in COLUMNS
        ]
        for r in results
    ]
    widths = [max(len(c), *(len(row[i]) for row in rows)) for i, c in enumerate(COLUMNS)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(COLUMNS, widths, strict=True))]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) for row in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="a short smoke run (fewer views, sizes 1 and 4)")
    ap.add_argument("--configs", default="gc,nogc", help=f"comma-separated, from {sorted(CONFIGS)}")
    ap.add_argument("--sizes", default=None, help="session counts (default 1,8,20,40; quick 1,4)")
    ap.add_argument("--think-seconds", type=float, default=None, help="length of each think scenario")
    ap.add_argument("--only", default=None, help="comma-separated scenario names (prefixes) to run")
    ap.add_argument(
        "--profile", action="store_true", help="py-spy each server during b2b-8-new and solo-cached-*"
    )
    ap.add_argument(
        "--replicas", type=int, default=0, help="also: think scenarios through nginx to K servers"
    )
    ap.add_argument("--soak-reruns", type=int, default=None, help="reruns of the soak scenario (default 300)")
    ap.add_argument("--data-dir", type=Path, default=None)
    ap.add_argument("--seed", type=int, default=16)
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args(argv)

    sizes = [int(s) for s in (args.sizes or ("1,4" if args.quick else "1,8,20,40")).split(",")]
    think_seconds = args.think_seconds or (12.0 if args.quick else 40.0)
    configs = args.configs.split(",")
    # Halves: scenarios | profiles, replicas; each half holds every think scenario's new views.
    per_half = sum(sizes) * (int(think_seconds / 2) + 2) + 500
    pool = view_pool(max(6000, 2 * per_half), args.seed, args.data_dir)
    scenarios = build_scenarios(pool, args.quick, think_seconds, sizes, args.soak_reruns)
    if args.only:
        scenarios = [s for s in scenarios if any(s.name.startswith(p) for p in args.only.split(","))]
    servers = [Server(name, CONFIGS[name], args.data_dir) for name in configs]
    results: list[dict] = []
    profiles: dict = {}
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    try:
        for s in servers:
            s.wait_healthy()
        for k, sc in enumerate(scenarios):
            order = servers if k % 2 == 0 else servers[::-1]  # A B, then B A: drift cancels in the ratios
            for s in order:
                res = run_scenario(s, sc, args.seed + k)
                results.append(res)
                print(table([res]).splitlines()[1], flush=True)
        if args.profile:
            folder = Path(tempfile.mkdtemp(prefix="ws_load_prof_"))
            rest = iter(pool[len(pool) // 2 :])  # views no scenario used: new again
            for name, make in (
                (
                    "b2b-8-new",
                    lambda: Scenario(
                        "b2b-8-new", 8, "b2b", [[next(rest) for _ in range(6)] for _ in range(8)]
                    ),
                ),
                *(
                    (
                        f"solo-cached-{page}",
                        lambda view=view, page=page: Scenario(
                            f"solo-cached-{page}", 1, "b2b", [[view] * 150], warm=True
                        ),
                    )
                    for page, view in {p: next(v for v in pool if v.page == p) for p in PAGE_NAMES}.items()
                ),
            ):
                sc = make()
                for s in servers:
                    profiles[f"{s.name}/{name}"] = profile(s, sc, args.seed, 15, folder)
                    print(
                        f"profile {s.name}/{name}: {profiles[f'{s.name}/{name}'].get('inclusive', [])[:6]}",
                        flush=True,
                    )
    finally:
        for s in servers:
            s.stop()
    if args.replicas:
        first = configs[0]
        reps = [Server(f"{first}-r{i}", CONFIGS[first], args.data_dir) for i in range(args.replicas)]
        folder = Path(tempfile.mkdtemp(prefix="ws_load_nginx_"))
        proxy = None
        try:
            for s in reps:
                s.wait_healthy()
            proxy = Proxy(reps, folder)
            rest = iter(pool[len(pool) // 2 + 200 :])
            for n in [s for s in sizes if s > 1]:
                k = int(think_seconds / 2) + 2
                sc = Scenario(
                    f"think-{n}",
                    n,
                    "think",
                    [[next(rest) for _ in range(k)] for _ in range(n)],
                    think_s=4.0,
                    seconds=think_seconds,
                )
                res = run_scenario(reps[0], sc, args.seed, base=proxy.base, extra=reps[1:])
                results.append(res)
                print(table([res]).splitlines()[1], flush=True)
        finally:
            if proxy:
                proxy.stop()
            for s in reps:
                s.stop()

    visited = list(dict.fromkeys(View(*r["view"].split("?", 1)) for res in results for r in res["_runs"]))
    print(f"reference: {len(visited)} distinct views, one lone session on a fresh server …", flush=True)
    ref = reference(visited, args.data_dir)
    check_kpis(results, ref)
    print(table(results))
    doc = {
        "started": started,
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "configs": {c: CONFIGS[c] for c in configs},
        "quick": args.quick,
        "think_seconds": think_seconds,
        "results": [{k: v for k, v in r.items() if k != "_runs"} for r in results],
        "profiles": profiles,
    }
    args.out.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {args.out}")
    bad = sum(sum(r["errors"].values()) for r in results)
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
