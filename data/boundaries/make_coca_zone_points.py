"""Derive data/boundaries/coca_zone_points.csv: one point per coca zone, where the Map draws it.

    python data/boundaries/make_coca_zone_points.py [path/to/peru_provincias_light.geojson]

For each zone of data/sourced/coca_zones.csv: the centroid of the union of the provinces it
lists (matched by name within the zone's regions), or of its regions when it lists none
(data/boundaries/peru_regiones_light.geojson). When that centroid falls outside the union
(a crescent of provinces), the union's point_on_surface instead. `basis` says which. Run once;
the CSV is committed, so the app needs neither shapely work nor the provinces file.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import shapely
from shapely.geometry import shape

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
PROVINCES = Path("/work/shared/geo/peru_provincias_light.geojson")


def split(text: str) -> list[str]:
    return [p.strip() for p in (text or "").split(";") if p.strip()]


def main(argv: list[str]) -> int:
    provinces_path = Path(argv[1]) if len(argv) > 1 else PROVINCES
    provinces = json.loads(provinces_path.read_text(encoding="utf-8"))["features"]
    regions = json.loads((HERE / "peru_regiones_light.geojson").read_text(encoding="utf-8"))["features"]
    by_province = {
        (f["properties"]["name"], f["properties"]["dep_name"]): shape(f["geometry"]) for f in provinces
    }
    by_region = {f["properties"]["name"]: shape(f["geometry"]) for f in regions}
    rows = []
    with (ROOT / "data" / "sourced" / "coca_zones.csv").open(encoding="utf-8") as fh:
        for zone in csv.DictReader(fh):
            zone_regions, zone_provinces = split(zone["regions"]), split(zone["provinces"])
            if zone_provinces:
                parts = []
                for name in zone_provinces:
                    found = [g for (p, dep), g in by_province.items() if p == name and dep in zone_regions]
                    if len(found) != 1:
                        raise SystemExit(
                            f"{zone['zone']}: province {name!r} in {zone_regions} matched {len(found)}"
                        )
                    parts.append(found[0])
                what = f"provinces {', '.join(zone_provinces)}"
            else:
                parts = [by_region[r] for r in zone_regions]
                what = f"regions {', '.join(zone_regions)}"
            union = shapely.union_all(parts)
            point, how = union.centroid, "centroid"
            if not union.contains(point):
                point, how = union.point_on_surface(), "point inside (the centroid falls outside)"
            rows.append(
                {
                    "zone": zone["zone"],
                    "lat": round(point.y, 4),
                    "lon": round(point.x, 4),
                    "basis": f"{how} of {what} (INEI limits)",
                }
            )
    out = HERE / "coca_zone_points.csv"
    with out.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["zone", "lat", "lon", "basis"])
        writer.writeheader()
        writer.writerows(rows)
    print(f"{out}: {len(rows)} zones")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
