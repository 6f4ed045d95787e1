"""Scale-out without Docker: two `streamlit run` replicas behind Debian's nginx, on loopback.

nginx runs with the config of deploy/nginx.conf, rendered for this test: its tagged lines
(`# @listen`, `# @replicas`, `# @logs`) point at free loopback ports and files in tmp_path. Which
replica served a session is read from nginx's access log (`upstream=` of the websocket request,
written when the websocket closes), keyed by the session's affinity cookie.
"""

from __future__ import annotations

import getpass
import os
import re
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from bench.load import SNAPSHOT_JS, Session, Snapshot, Step, new_context, visit
from tests.e2e.conftest import ROOT, free_port, open_animated_map, start_streamlit, stop, wait_healthy

pytestmark = pytest.mark.browser

TEMPLATE = ROOT / "deploy" / "nginx.conf"
LINK = "/?areas=vraem&start=2014-01&data=simulated"
COOKIE = "pistas_affinity"
# The page lost its websocket and has it back (bench.load's watcher records the drop).
RECONNECTED = """() => window.__pistasLoad.drops.length > 0 &&
  document.querySelector('[data-testid="stApp"]').getAttribute('data-test-connection-state') === 'CONNECTED'"""


def nginx_binary() -> str:
    found = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None)
    if not found:
        pytest.fail("nginx is missing: run `make browser` as root, or `sudo apt-get install -y nginx`")
    return found


def render_nginx_conf(template: str, *, port: int, replicas: list[int], folder: Path) -> str:
    """deploy/nginx.conf for loopback: tagged lines rewritten, temp paths in `folder`."""
    out: list[str] = []
    for line in template.splitlines():
        if line.rstrip().endswith("# @listen"):
            line = re.sub(r"listen\s+\S+;", f"listen 127.0.0.1:{port};", line)
        elif line.rstrip().endswith("# @replicas"):
            indent = line[: len(line) - len(line.lstrip())]
            rest = line.split("server", 1)[1].split(None, 1)[1]  # e.g. "max_fails=1 ...;  # @replicas"
            out += [f"{indent}server 127.0.0.1:{p} {rest}" for p in replicas]
            continue
        elif line.rstrip().endswith("# @logs"):
            # e.g. "access_log /dev/stdout pistas;  # @logs": the path goes to `folder`
            directive, _path, rest = line.split(None, 2)
            log = folder / ("error.log" if directive == "error_log" else "access.log")
            line = f"{line[: len(line) - len(line.lstrip())]}{directive} {log} {rest}"
        out.append(line)
        if line.strip() == "http {":  # nginx's own temp folders default to /var/lib/nginx
            out += [
                f"    {d}_temp_path {folder / d};"
                for d in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
            ]
    text = "\n".join(out) + "\n"
    if os.geteuid() == 0:  # workers must reach tmp_path (mode 0700); `user` means nothing otherwise
        text = f"user {getpass.getuser()};\n" + text
    assert "app:8501" not in text and "/dev/std" not in text
    return text


@dataclass
class Replica:
    base: str
    port: int
    proc: subprocess.Popen


@pytest.fixture
def replicas(demo_data_dir):
    """Two replicas on the same (read-only) data folder, started together."""
    started: list[Replica] = []
    try:
        for _ in range(2):
            port = free_port()
            started.append(Replica(f"http://127.0.0.1:{port}", port, start_streamlit(demo_data_dir, port)))
        for replica in started:
            wait_healthy(replica.base, replica.proc)
        yield started
    finally:
        for replica in started:
            if replica.proc.poll() is None:
                stop(replica.proc)


@dataclass
class Proxy:
    base: str
    access_log: Path
    proc: subprocess.Popen

    def websockets(
        self, affinity: str, *, at_least: int = 1, after: int = 0, timeout: float = 15
    ) -> list[str]:
        """The replica that held each websocket of `affinity`, in the order they closed (the last
        one nginx tried, when it moved on from a dead one)."""
        pattern = re.compile(rf'"GET /_stcore/stream[^"]*" 101 \d+ upstream=([^=]+) affinity={affinity} ')
        deadline = time.monotonic() + timeout
        found: list[str] = []
        while time.monotonic() < deadline:
            with open(self.access_log, "rb") as fh:
                fh.seek(after)
                found = [m.split(", ")[-1] for m in pattern.findall(fh.read().decode())]
            if len(found) >= at_least:
                return found
            time.sleep(0.2)
        raise AssertionError(
            f"{len(found)} websocket(s) of {affinity} in {self.access_log}, wanted {at_least}"
        )

    def log_size(self) -> int:
        return self.access_log.stat().st_size if self.access_log.exists() else 0


@pytest.fixture
def proxy(replicas, tmp_path):
    binary = nginx_binary()
    port = free_port()
    conf = tmp_path / "nginx.conf"
    conf.write_text(
        render_nginx_conf(
            TEMPLATE.read_text(), port=port, replicas=[r.port for r in replicas], folder=tmp_path
        )
    )
    cmd = [
        binary,
        "-p",
        str(tmp_path),
        "-e",
        str(tmp_path / "error.log"),
        "-c",
        str(conf),
        "-g",
        f"daemon off; pid {tmp_path / 'nginx.pid'};",
    ]
    check = subprocess.run([*cmd, "-t"], capture_output=True, text=True, timeout=30)
    assert check.returncode == 0, check.stderr
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, proc)
        yield Proxy(base, tmp_path / "access.log", proc)
    finally:
        if proc.poll() is None:
            stop(proc)


def affinity(cookies: list[dict]) -> str:
    return next(c["value"] for c in cookies if c["name"] == COOKIE)


def open_link(
    browser, url: str, cookies: list[dict] | None = None, context=None
) -> tuple[Snapshot, list[dict]]:
    snap, outcome, jar = visit(browser, url, cookies=cookies, context=context)
    assert outcome.error is None and snap is not None, outcome
    return snap, jar


def drawn(session: Session, step: Step) -> Snapshot:
    """Run one step in an open session; what it shows once drawn."""
    failed = session.begin(step)
    assert failed is None, failed
    outcome, snap = session.wait()
    assert outcome.error is None and snap is not None, outcome
    return snap


@pytest.fixture
def users(browser):
    """One browser context for "new users": its cookies are cleared before each (a warm cache)."""
    context = new_context(browser)
    yield context
    context.close()


CSP_PROBE = """window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));"""


def test_the_map_and_its_browser_playback_work_under_the_deployment_csp(browser, replicas, proxy):
    """deploy/nginx.conf's CSP in front: the Map page draws, its playback component loads (a blob:
    module) and a step in the browser reaches the URL, with no CSP violation on the way."""
    context = new_context(browser)
    try:
        context.add_init_script(CSP_PROBE)
        page = context.new_page()
        open_animated_map(page, f"{proxy.base}/Map?start=2016-01&end=2016-12&basemap=none")
        page.evaluate("""() => Plotly.animate(document.querySelector('.st-key-map_anim .js-plotly-plot'),
            ['2016-03'], {frame: {duration: 0, redraw: false}, transition: {duration: 0}})""")
        page.wait_for_function(
            "() => new URL(location.href).searchParams.get('month') === '2016-03'", timeout=30_000
        )
        assert page.evaluate("() => window.__csp") == []
    finally:
        context.close()


def test_a_link_is_the_same_view_on_every_replica_and_survives_losing_one(browser, replicas, proxy, users):
    a, b = replicas
    # The same link straight to each replica: the same KPIs and data version.
    direct = [open_link(browser, r.base + LINK)[0].view for r in replicas]
    assert direct[0] == direct[1]
    assert direct[0]["version"] and len(direct[0]["metrics"]) >= 5

    # Through the proxy, new users (no cookie: a new affinity each) until both replicas served one.
    served: dict[str, list[dict]] = {}
    for _ in range(16):
        users.clear_cookies()
        snap, jar = open_link(browser, proxy.base + LINK, context=users)
        assert snap.view == direct[0]
        served.setdefault(proxy.websockets(affinity(jar))[0], jar)
        if len(served) == 2:
            break
    assert set(served) == {f"127.0.0.1:{a.port}", f"127.0.0.1:{b.port}"}, served

    # A user pinned to replica A has the page open; then A dies (its whole process group).
    addr_a, addr_b = f"127.0.0.1:{a.port}", f"127.0.0.1:{b.port}"
    cookie_a = [c for c in served[addr_a] if c["name"] == COOKIE]
    user_a = Session(browser, proxy.base, 0, cookies=cookie_a)
    try:
        assert drawn(user_a, Step("goto", LINK)).view == direct[0]
        mark = proxy.log_size()
        os.killpg(a.proc.pid, signal.SIGKILL)
        a.proc.wait(timeout=10)
        # The open page reconnects through nginx (now to B) and still shows the same numbers;
        # reloading the link draws it again, on B.
        user_a.page.wait_for_function(RECONNECTED, timeout=30_000)
        assert Snapshot.of(user_a.page.evaluate(SNAPSHOT_JS)).view == direct[0]
        assert drawn(user_a, Step("goto", LINK)).view == direct[0]
    finally:
        user_a.close()
    # Its websockets: the one cut on A, then the reconnected one and the reload's, both on B.
    assert proxy.websockets(affinity(cookie_a), at_least=3, after=mark) == [addr_a, addr_b, addr_b]

    # New users through the proxy all land on B and see the same view.
    for _ in range(2):
        users.clear_cookies()
        snap, jar = open_link(browser, proxy.base + LINK, context=users)
        assert snap.view == direct[0]
        assert proxy.websockets(affinity(jar)) == [addr_b]
    assert b.proc.poll() is None and proxy.proc.poll() is None
