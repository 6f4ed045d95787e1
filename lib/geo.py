"""Region boundaries and rivers for the maps: where they come from, in a fixed order.

Contract
--------
``load_regions()`` returns a :class:`GeoResult`, never raises for missing data and never
touches the network unless asked to (``download=True``):

1. **env**: ``$PISTAS_GEO_DIR/peru_regiones_light.geojson`` (tests and CI point this at a
   prepared folder; properties ``ubigeo``, ``name``, ``iso_3166_2``, ``capital``).
2. **cache**: ``geo/regions.geojson`` under the data folder (PISTAS_DATA_DIR, default data/),
   or the path given: a user's own download, which may be finer than the shipped file.
3. **shipped**: ``data/boundaries/peru_regiones_light.geojson``, committed with its licences
   (see ``data/boundaries/README.md``), so the map draws Peru on a fresh clone with no
   network and no setting.
4. **none**: only if the shipped file was deleted; ``geojson`` is None and the map draws the
   regions as markers at their centroids (``lib.maps.region_centroid_layer``).

The **download** is the explicit way to a higher resolution (``python -m lib.geo download``,
or ``download=True`` / :func:`download_regions`): once, the pinned upstream file
(:data:`BOUNDARIES_URL`), verified against :data:`BOUNDARIES_SHA256`, normalised to the same
properties (2-digit INEI ``ubigeo``, canonical accented ``name``), simplified with shapely
and written to the cache atomically (temp file in the cache folder, then ``os.replace``). A
checksum mismatch, HTTP error, timeout or truncated body leaves nothing in the cache. It is
never tried on a page draw, so an offline laptop neither waits for the network nor reports
a network error; ``offline=True`` or ``PISTAS_GEO_OFFLINE=1`` turns it off altogether.

``GeoResult.message`` is English detail for logs and the command line; ``GeoResult.notice``
is a short code (:data:`NOTICES`) the page turns into a sentence in the reader's language.

Caching: files are parsed once per process, keyed by resolved path, mtime and size
(``functools.lru_cache``), so replacing a file is picked up on the next call. The returned
dicts are shared between callers: treat them as read-only (``lib.maps`` never mutates them).
A failed download is remembered for :data:`RETRY_FAILED_DOWNLOAD_S` seconds;
:func:`clear_caches` forgets everything.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from lib.schema import REGIONS, canonical_region, fold

REPO_ROOT = Path(__file__).resolve().parents[1]


def default_cache_path() -> Path:
    """The cache under the data folder (PISTAS_DATA_DIR moves it with the data)."""
    from lib.paths import data_dir

    return data_dir() / "geo" / "regions.geojson"


ENV_GEO_DIR = "PISTAS_GEO_DIR"
ENV_OFFLINE = "PISTAS_GEO_OFFLINE"
ENV_REGIONS_FILE = "peru_regiones_light.geojson"
RIVERS_FILE = "peru_rios.geojson"
SHIPPED_DIR = REPO_ROOT / "data" / "boundaries"
SHIPPED_REGIONS = SHIPPED_DIR / ENV_REGIONS_FILE

BOUNDARIES_URL = (
    "https://raw.githubusercontent.com/josedaniel-cb/limites-peru-geojson/"
    "3a6785ba145250c645cd8080d1c59833d40e9273/LIM_DEPARTAMENTAL_PERU_MIN.json"
)
BOUNDARIES_SHA256 = "bdb434847533bfd650fd03d7a2166470491abb401d4da6276aaaa955ed735290"
DOWNLOAD_TIMEOUT_S = 15.0
MAX_DOWNLOAD_BYTES = 16 * 1024 * 1024  # the pinned file is 881,856 bytes
RETRY_FAILED_DOWNLOAD_S = 600.0

# Simplification of the downloaded file: ~1 km at national zoom, 4 decimals (~11 m).
SIMPLIFY_TOLERANCE_DEG = 0.01
COORD_DECIMALS = 4

GEO_ATTRIBUTION = (
    "Límites: INEI (Perú), vía josedaniel-cb/limites-peru-geojson (MIT). "
    "Ríos: Natural Earth (dominio público)."
)
BASEMAP_ATTRIBUTION = "Mapa base: © CARTO, © OpenStreetMap contributors"

FALLBACK_SUFFIX = "regions shown as markers at their centroids."

Source = Literal["env", "cache", "download", "shipped", "none"]
# GeoResult.notice codes: the page says each in plain words (lib.i18n "geo_notice_<code>").
NOTICES = ("env_unusable", "cache_unusable", "download_failed", "no_boundaries")

# INEI ubigeo -> (canonical name, ISO 3166-2, capital). INEI numbers the departamentos in
# alphabetical order, which is the order of lib.schema.REGIONS (checked in tests against
# the sourced regions table).
_ISO_CAPITAL: tuple[tuple[str, str], ...] = (
    ("PE-AMA", "Chachapoyas"),
    ("PE-ANC", "Huaraz"),
    ("PE-APU", "Abancay"),
    ("PE-ARE", "Arequipa"),
    ("PE-AYA", "Ayacucho"),
    ("PE-CAJ", "Cajamarca"),
    ("PE-CAL", "Callao"),
    ("PE-CUS", "Cusco"),
    ("PE-HUV", "Huancavelica"),
    ("PE-HUC", "Huánuco"),
    ("PE-ICA", "Ica"),
    ("PE-JUN", "Huancayo"),
    ("PE-LAL", "Trujillo"),
    ("PE-LAM", "Chiclayo"),
    ("PE-LIM", "Lima"),
    ("PE-LOR", "Iquitos"),
    ("PE-MDD", "Puerto Maldonado"),
    ("PE-MOQ", "Moquegua"),
    ("PE-PAS", "Cerro de Pasco"),
    ("PE-PIU", "Piura"),
    ("PE-PUN", "Puno"),
    ("PE-SAM", "Moyobamba"),
    ("PE-TAC", "Tacna"),
    ("PE-TUM", "Tumbes"),
    ("PE-UCA", "Pucallpa"),
)
REGION_META: dict[str, tuple[str, str, str]] = {
    f"{i:02d}": (name, iso, capital)
    for i, (name, (iso, capital)) in enumerate(zip(REGIONS, _ISO_CAPITAL, strict=True), 1)
}
_UBIGEO_BY_NAME: dict[str, str] = {meta[0]: code for code, meta in REGION_META.items()}

# Upstream property names that may hold the INEI code or the name (first found wins).
_CODE_KEYS = ("CCDD", "IDDPTO", "FIRST_IDDP", "ubigeo", "UBIGEO", "CODIGO")
_NAME_KEYS = ("NOMBDEP", "DEPARTAMEN", "DEPARTAMENTO", "NOMBRE", "name")

# The rivers the counter-narcotics story runs along. Natural Earth draws
# Apurímac -> Ene -> Tambo -> Ucayali as one line, split in the prepared file; the coastal
# Tambo (Arequipa, ne800-tambo) is a different river and is left out.
MAIN_RIVER_IDS: tuple[str, ...] = (
    "ne10-ucayali",
    "ne10-apurimac",
    "ne10-ene",
    "ne10-tambo",
    "ne518-huallaga",
    "ne183-maranon",
    "ne2-amazonas",
)
MAIN_RIVER_NAMES: tuple[str, ...] = (
    "Ucayali",
    "Huallaga",
    "Apurímac",
    "Ene",
    "Marañón",
    "Amazonas",
    "Tambo",
)


@dataclass(frozen=True)
class GeoResult:
    """Region boundaries, or why there are none.

    ``source`` is where they came from (env|cache|download|shipped|none); ``message`` says
    in English what fell back or failed (None when all went as planned), for logs and the
    command line; ``notice`` is the same as a code from :data:`NOTICES`, for the page.
    """

    geojson: dict | None
    source: Source
    message: str | None = None
    path: Path | None = None  # the file read or written, when there is one
    notice: str | None = None


class DownloadError(Exception):
    """A download that must not be cached; the text says why, for a person."""


# ---------------------------------------------------------------------------------------
# in-process caches


@lru_cache(maxsize=16)
def _parse_file(path: str, mtime_ns: int, size: int) -> Any:
    # mtime_ns and size are part of the key so a replaced file is read again.
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def _read_json(path: Path) -> Any:
    resolved = path.resolve()
    st = resolved.stat()
    return _parse_file(str(resolved), st.st_mtime_ns, st.st_size)


_failed_downloads: dict[tuple[str, str], tuple[float, str]] = {}
_download_lock = threading.Lock()


def clear_caches() -> None:
    """Forget parsed files and remembered download failures (tests, or after fixing)."""
    _parse_file.cache_clear()
    _filtered_rivers.cache_clear()
    _failed_downloads.clear()


# ---------------------------------------------------------------------------------------
# validation and normalisation


def validate_regions(geojson: Any) -> str | None:
    """None if this is a usable regions FeatureCollection, else what is wrong with it."""
    if not isinstance(geojson, dict) or geojson.get("type") != "FeatureCollection":
        return "not a GeoJSON FeatureCollection"
    features = geojson.get("features")
    if not isinstance(features, list) or not features:
        return "no features"
    unknown: list[str] = []
    for feature in features:
        props = feature.get("properties") or {}
        if not feature.get("geometry"):
            return "a feature has no geometry"
        name = props.get("name")
        if not isinstance(name, str) or canonical_region(name) != name:
            unknown.append(repr(name))
        if not isinstance(props.get("ubigeo"), str):
            return "a feature has no ubigeo"
    if unknown:
        return f"unknown region names: {', '.join(unknown[:5])}"
    return None


def _first(props: dict, keys: Iterable[str]) -> Any:
    for key in keys:
        value = props.get(key)
        if value not in (None, ""):
            return value
    return None


def _resolve_ubigeo(props: dict) -> str:
    """The 2-digit INEI code of an upstream feature, checked against its name."""
    code_raw = _first(props, _CODE_KEYS)
    name_raw = _first(props, _NAME_KEYS)
    code: str | None = None
    if code_raw is not None:
        digits = str(code_raw).strip()
        if digits.isdigit():
            code = digits.zfill(2)[:2] if len(digits) <= 2 else digits[:2]
        if code not in REGION_META:
            code = None
    by_name = canonical_region(str(name_raw)) if name_raw is not None else None
    if code is None and by_name is None:
        raise ValueError(f"feature with neither a known INEI code nor name: {props!r:.120}")
    if code is None:
        return _UBIGEO_BY_NAME[by_name]  # type: ignore[index]
    if by_name is not None and REGION_META[code][0] != by_name:
        raise ValueError(f"INEI code {code} is {REGION_META[code][0]}, but the name says {by_name}")
    return code


def _round_coords(obj: Any, decimals: int) -> Any:
    if isinstance(obj, float):
        return round(obj, decimals)
    if isinstance(obj, (list, tuple)):
        return [_round_coords(v, decimals) for v in obj]
    return obj


def round_geometry(geometry: dict, decimals: int = COORD_DECIMALS) -> dict:
    """A GeoJSON geometry dict with coordinates rounded (a new dict; input untouched)."""
    if geometry.get("type") == "GeometryCollection":
        return {
            "type": "GeometryCollection",
            "geometries": [round_geometry(g, decimals) for g in geometry["geometries"]],
        }
    return {"type": geometry["type"], "coordinates": _round_coords(geometry["coordinates"], decimals)}


def normalise_upstream(
    raw: Any,
    *,
    tolerance: float = SIMPLIFY_TOLERANCE_DEG,
    decimals: int = COORD_DECIMALS,
    source_url: str | None = None,
    sha256: str | None = None,
) -> dict:
    """Upstream departamentos (CCDD/NOMBDEP in capitals) -> the light regions file.

    Features sharing a code are dissolved; all 25 regions must be present. Shared borders
    are simplified together (``shapely.coverage_simplify``) when that gives valid shapes,
    otherwise each region with a topology-preserving simplify; then snapped to a grid of
    ``10**-decimals`` degrees. Raises ValueError on content it cannot trust.
    """
    import shapely
    from shapely.geometry import mapping, shape

    if not isinstance(raw, dict) or raw.get("type") != "FeatureCollection":
        raise ValueError("not a GeoJSON FeatureCollection")
    parts: dict[str, list[Any]] = {}
    for feature in raw.get("features") or []:
        code = _resolve_ubigeo(feature.get("properties") or {})
        geom = shape(feature["geometry"])
        if not geom.is_valid:
            geom = shapely.make_valid(geom)
        parts.setdefault(code, []).append(geom)
    missing = sorted(set(REGION_META) - set(parts))
    if missing:
        names = ", ".join(REGION_META[c][0] for c in missing)
        raise ValueError(f"expected the 25 regions, {len(missing)} missing: {names}")

    codes = sorted(parts)
    merged = [shapely.union_all(parts[c]) if len(parts[c]) > 1 else parts[c][0] for c in codes]
    merged = [_polygonal(g) for g in merged]
    simplified = _simplify(merged, tolerance)
    grid = 10.0**-decimals

    features = []
    for code, geom in zip(codes, simplified, strict=True):
        snapped = _polygonal(shapely.set_precision(geom, grid))
        if snapped.is_empty:
            raise ValueError(f"{REGION_META[code][0]} vanished when simplified")
        name, iso, capital = REGION_META[code]
        features.append(
            {
                "type": "Feature",
                "properties": {"ubigeo": code, "name": name, "iso_3166_2": iso, "capital": capital},
                "geometry": round_geometry(mapping(snapped), decimals),
            }
        )
    return {
        "type": "FeatureCollection",
        "metadata": {
            "source": source_url or "upstream",
            "sha256": sha256,
            "simplification": f"tolerance {tolerance} deg, {decimals} decimals",
            "attribution": GEO_ATTRIBUTION,
        },
        "features": features,
    }


def _polygonal(geom: Any) -> Any:
    """Only the (Multi)Polygon part of a geometry (make_valid may add lines or points)."""
    import shapely
    from shapely.geometry import GeometryCollection, MultiPolygon

    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    if isinstance(geom, GeometryCollection):
        polys = [g for g in geom.geoms if g.geom_type in ("Polygon", "MultiPolygon")]
        if not polys:
            return MultiPolygon()
        return shapely.union_all(polys)
    return MultiPolygon()


def _simplify(geoms: list[Any], tolerance: float) -> list[Any]:
    import shapely

    if hasattr(shapely, "coverage_simplify"):
        try:
            out = list(shapely.coverage_simplify(geoms, tolerance))
            if all(g.is_valid and not g.is_empty for g in out) and all(
                abs(a.area - b.area) <= 0.05 * b.area for a, b in zip(out, geoms, strict=True)
            ):
                return out
        except Exception:  # noqa: BLE001 - GEOS rejects invalid coverages; fall back below
            pass
    out = [g.simplify(tolerance, preserve_topology=True) for g in geoms]
    return [g if g.is_valid else shapely.make_valid(g) for g in out]


# ---------------------------------------------------------------------------------------
# download


def download_verified(url: str, sha256: str, timeout: float) -> bytes:
    """The body at ``url`` if complete and its sha256 matches; DownloadError otherwise."""
    scheme = urllib.parse.urlsplit(url).scheme
    if scheme not in ("http", "https"):
        raise DownloadError(f"refusing a {scheme or 'relative'} URL")
    request = urllib.request.Request(url, headers={"User-Agent": "pistas-dashboard/1"})
    chunks: list[bytes] = []
    received = 0
    expected: int | None = None
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:  # noqa: S310 - scheme checked
            length = resp.headers.get("Content-Length")
            expected = int(length) if length and length.isdigit() else None
            while True:
                chunk = resp.read(64 * 1024)
                if not chunk:
                    break
                chunks.append(chunk)
                received += len(chunk)
                if received > MAX_DOWNLOAD_BYTES:
                    raise DownloadError(f"body larger than {MAX_DOWNLOAD_BYTES:,} bytes")
    except urllib.error.HTTPError as exc:
        raise DownloadError(f"HTTP {exc.code} {exc.reason}") from exc
    except http.client.IncompleteRead as exc:
        got = received + len(exc.partial)
        of = f" of {expected:,}" if expected else ""
        raise DownloadError(f"truncated download (got {got:,}{of} bytes)") from exc
    except TimeoutError as exc:
        raise DownloadError(f"timed out after {timeout:g} s") from exc
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            raise DownloadError(f"timed out after {timeout:g} s") from exc
        raise DownloadError(f"could not connect ({exc.reason})") from exc
    except (ConnectionError, http.client.HTTPException, OSError) as exc:
        if received or expected:
            of = f" of {expected:,}" if expected else ""
            raise DownloadError(f"truncated download (got {received:,}{of} bytes)") from exc
        raise DownloadError(f"connection failed ({exc})") from exc
    if expected is not None and received != expected:
        raise DownloadError(f"truncated download (got {received:,} of {expected:,} bytes)")
    body = b"".join(chunks)
    digest = hashlib.sha256(body).hexdigest()
    if digest != sha256.lower():
        raise DownloadError(f"checksum mismatch (expected {sha256[:12]}…, got {digest[:12]}…)")
    return body


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temp file in the same folder and ``os.replace``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# ---------------------------------------------------------------------------------------
# the resolver


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def _unavailable(reason: str) -> str:
    return f"Finer region boundaries not downloaded ({reason})."


def _join(*notes: str | None) -> str | None:
    kept = [n for n in notes if n]
    return " ".join(kept) if kept else None


def _read_regions(path: Path) -> tuple[dict | None, str | None]:
    """(geojson, None) if ``path`` holds usable regions, else (None, what is wrong)."""
    try:
        data = _read_json(path)
        problem = validate_regions(data)
    except (OSError, ValueError) as exc:
        problem = f"cannot read it: {exc.__class__.__name__}"
    return (data, None) if problem is None else (None, problem)


def load_regions(
    cache_path: str | Path | None = None,
    *,
    geo_dir: str | Path | None = None,
    shipped_path: str | Path | bool = True,
    download: bool = False,
    url: str = BOUNDARIES_URL,
    sha256: str = BOUNDARIES_SHA256,
    timeout: float = DOWNLOAD_TIMEOUT_S,
    offline: bool | None = None,
) -> GeoResult:
    """Region boundaries from the env folder, the cache or the shipped file (no network).

    ``geo_dir`` overrides ``$PISTAS_GEO_DIR``. ``download=True`` tries the verified download
    (:func:`download_regions`) before the shipped file when there is no usable cache;
    ``offline`` (or ``$PISTAS_GEO_OFFLINE``) forbids it. ``shipped_path``: True for
    :data:`SHIPPED_REGIONS` (read when called), a path, or False to leave it out.
    """
    notes: list[str] = []
    notice: str | None = None

    folder = geo_dir if geo_dir is not None else os.environ.get(ENV_GEO_DIR) or None
    if folder:
        env_path = Path(folder) / ENV_REGIONS_FILE
        data, problem = _read_regions(env_path)
        if data is not None:
            return GeoResult(data, "env", None, env_path)
        notes.append(f"Boundaries in {ENV_GEO_DIR} ({env_path}) not used: {problem}.")
        notice = "env_unusable"

    cache = Path(cache_path) if cache_path is not None else default_cache_path()
    if cache.exists():
        data, problem = _read_regions(cache)
        if data is not None:
            return GeoResult(data, "cache", _join(*notes), cache, notice)
        notes.append(f"Cached boundaries ({cache}) not used: {problem}.")
        notice = notice or "cache_unusable"

    if download and not (offline if offline is not None else _env_flag(ENV_OFFLINE)):
        got = download_regions(cache, url=url, sha256=sha256, timeout=timeout)
        if got.geojson is not None:
            return replace(got, message=_join(*notes, got.message), notice=notice or got.notice)
        notes.append(got.message or "Download failed.")
        notice = notice or "download_failed"

    if shipped_path is not False:
        shipped = SHIPPED_REGIONS if shipped_path is True else Path(shipped_path)
        data, problem = _read_regions(shipped)
        if data is not None:
            return GeoResult(data, "shipped", _join(*notes), shipped, notice)
        notes.append(f"Shipped boundaries ({shipped}) not used: {problem}.")
    return GeoResult(
        None, "none", _join(*notes, f"No region boundaries: {FALLBACK_SUFFIX}"), None, "no_boundaries"
    )


def download_regions(
    cache_path: str | Path | None = None,
    *,
    url: str = BOUNDARIES_URL,
    sha256: str = BOUNDARIES_SHA256,
    timeout: float = DOWNLOAD_TIMEOUT_S,
    force: bool = False,
) -> GeoResult:
    """The verified download, written to the cache: the explicit way to finer boundaries.

    A usable cache is returned as it is unless ``force``. On failure ``geojson`` is None,
    ``source`` "none" and ``message`` says why; nothing is cached, and the failure is
    remembered for :data:`RETRY_FAILED_DOWNLOAD_S` seconds.
    """
    notes: list[str] = []
    cache = Path(cache_path) if cache_path is not None else default_cache_path()
    key = (url, sha256.lower())
    with _download_lock:
        if cache.exists() and not force:
            data, problem = _read_regions(cache)
            if data is not None:
                return GeoResult(data, "cache", None, cache)
            notes.append(f"Cached boundaries ({cache}) not used: {problem}.")
        failed = _failed_downloads.get(key)
        if failed and time.monotonic() - failed[0] < RETRY_FAILED_DOWNLOAD_S:
            return GeoResult(None, "none", _join(*notes, failed[1]), None, "download_failed")
        try:
            body = download_verified(url, sha256, timeout)
        except DownloadError as exc:
            message = _unavailable(f"download failed: {exc}")
            _failed_downloads[key] = (time.monotonic(), message)
            return GeoResult(None, "none", _join(*notes, message), None, "download_failed")
        try:
            light = normalise_upstream(
                json.loads(body.decode("utf-8")), source_url=url, sha256=sha256.lower()
            )
        except Exception as exc:  # noqa: BLE001 - any parse/geometry error: content we cannot use
            message = _unavailable(f"download failed: unexpected content ({exc})")
            _failed_downloads[key] = (time.monotonic(), message)
            return GeoResult(None, "none", _join(*notes, message), None, "download_failed")
        payload = json.dumps(light, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        try:
            write_atomic(cache, payload)
        except OSError as exc:
            notes.append(f"Boundaries downloaded but not cached ({exc.__class__.__name__}: {exc}).")
            return GeoResult(light, "download", _join(*notes), None)
        return GeoResult(light, "download", _join(*notes), cache)


# ---------------------------------------------------------------------------------------
# rivers


def _is_main_river(props: dict) -> bool:
    river_id = props.get("river_id")
    if river_id:
        return river_id in MAIN_RIVER_IDS
    name = fold(str(props.get("name") or ""))
    if name == "tambo":  # only the Ucayali headwater segment, not Arequipa's coastal Tambo
        return bool(props.get("derived_split"))
    return name in {fold(n) for n in MAIN_RIVER_NAMES}


@lru_cache(maxsize=8)
def _filtered_rivers(path: str, mtime_ns: int, size: int) -> dict | None:
    raw = _parse_file(path, mtime_ns, size)
    features = [
        {
            "type": "Feature",
            "properties": {
                "name": (f.get("properties") or {}).get("name"),
                "river_id": (f.get("properties") or {}).get("river_id"),
            },
            "geometry": round_geometry(f["geometry"], COORD_DECIMALS),
        }
        for f in (raw.get("features") or [])
        if f.get("geometry") and _is_main_river(f.get("properties") or {})
    ]
    return {"type": "FeatureCollection", "features": features} if features else None


def load_rivers(
    cache_dir: str | Path | None = None,
    *,
    geo_dir: str | Path | None = None,
    shipped_dir: str | Path | bool = True,
) -> dict | None:
    """The main rivers (Ucayali, Huallaga, Apurímac, Ene, Tambo, Marañón, Amazonas) or None.

    Read from ``$PISTAS_GEO_DIR/peru_rios.geojson`` (or ``geo_dir``), else from
    ``peru_rios.geojson`` in the cache folder (default ``data/geo``), else the shipped file
    in ``data/boundaries`` (``shipped_dir``: True for :data:`SHIPPED_DIR`, a folder, or False). There is no download.
    """
    folders: list[Path] = []
    env = geo_dir if geo_dir is not None else os.environ.get(ENV_GEO_DIR) or None
    if env:
        folders.append(Path(env))
    folders.append(Path(cache_dir) if cache_dir is not None else default_cache_path().parent)
    if shipped_dir is not False:
        folders.append(SHIPPED_DIR if shipped_dir is True else Path(shipped_dir))
    for folder in folders:
        path = (folder / RIVERS_FILE).resolve()
        try:
            st = path.stat()
            return _filtered_rivers(str(path), st.st_mtime_ns, st.st_size)
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            continue
    return None


COCA_ZONE_POINTS = SHIPPED_DIR / "coca_zone_points.csv"


@lru_cache(maxsize=2)
def _zone_points(path: str, mtime_ns: int) -> dict[str, tuple[float, float]]:
    import csv

    with open(path, encoding="utf-8", newline="") as fh:
        return {row["zone"]: (float(row["lat"]), float(row["lon"])) for row in csv.DictReader(fh)}


def coca_zone_points(path: str | Path | None = None) -> dict[str, tuple[float, float]]:
    """Coca zone -> (lat, lon) where the map draws it (data/boundaries/coca_zone_points.csv,
    derived by data/boundaries/make_coca_zone_points.py); empty if the file is missing."""
    target = Path(path) if path is not None else COCA_ZONE_POINTS
    try:
        return _zone_points(str(target.resolve()), target.stat().st_mtime_ns)
    except (OSError, KeyError, ValueError):
        return {}


def main(argv: list[str] | None = None) -> int:
    """``python -m lib.geo download [--force]``: fetch the finer boundaries into the cache."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m lib.geo", description=main.__doc__)
    parser.add_argument("command", choices=("download", "where"))
    parser.add_argument("--force", action="store_true", help="download even if a cache exists")
    args = parser.parse_args(argv)
    if args.command == "where":
        got = load_regions()
        print(f"regions: {got.source} ({got.path})" + (f"; {got.message}" if got.message else ""))
        return 0
    got = download_regions(force=args.force)
    if got.geojson is None:
        print(got.message)
        return 1
    print(f"regions: {got.source} ({got.path})" + (f"; {got.message}" if got.message else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
