"""The data URLs on the real server (`serve.py`, what `make run` starts), over HTTP."""

from __future__ import annotations

import io
import json
import urllib.error
import urllib.request

import pandas as pd

from lib import queries as q
from lib.db import Database
from lib.state import ViewState

VIEW = "areas=vraem&start=2016-01&end=2016-12&types=airstrip_destroyed"


def get(url: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    req = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, {k.lower(): v for k, v in err.headers.items()}, err.read()


def test_csv_and_json_hold_the_views_rows_with_the_data_version(app_server, demo_data_dir):
    db = Database(demo_data_dir / "built")
    context = q.data_context(db)
    state, _ = ViewState.from_query(
        {"areas": "vraem", "start": "2016-01", "end": "2016-12", "types": "airstrip_destroyed"}, context
    )
    want = q.events_for_export(db, q.filters_for(state, context))["event_id"].tolist()
    assert 10 < len(want) < 1000  # a real view, not an empty one

    status, headers, body = get(f"{app_server}/api/events.json?{VIEW}&_size=10000")
    doc = json.loads(body)
    assert status == 200 and headers["x-pistas-data-version"] == db.version() == doc["data_version"]
    assert [r["event_id"] for r in doc["rows"]] == want and doc["total"] == len(want)
    assert doc["view"] == {
        "areas": "VRAEM",
        "start": "2016-01",
        "end": "2016-12",
        "types": "airstrip_destroyed",
    }
    assert doc["simulated"] and "not evidence" in doc["note"]

    status, headers, body = get(f"{app_server}/api/events.csv?{VIEW}&_size=10000")
    rows = pd.read_csv(io.BytesIO(body), encoding="utf-8-sig")
    assert status == 200 and headers["content-type"].startswith("text/csv")
    assert rows["event_id"].tolist() == want and set(rows["data_version"]) == {db.version()}


def test_data_urls_are_read_only_and_bounded(app_server):
    assert get(f"{app_server}/api/events.csv", method="POST")[0] == 405
    status, _, body = get(f"{app_server}/api/events.json?_size=100000")
    assert status == 400 and "_size" in json.loads(body)["error"]
    status, headers, body = get(f"{app_server}/api/events.json?_size=5")
    doc = json.loads(body)
    assert len(doc["rows"]) == 5 and doc["next"] and 'rel="next"' in headers["link"]
    status, _, body = get(f"{app_server}/api/codebook.json")
    assert status == 200 and {r["column"] for r in json.loads(body)} >= {"event_id", "provenance"}
