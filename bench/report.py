"""The results as Markdown tables, and their place in bench/README.md (between the markers)."""

from __future__ import annotations

from pathlib import Path

START, END = "<!-- results:start -->", "<!-- results:end -->"
PAGE_NAMES = {"overview": "Overview", "routes": "Routes", "data": "Data", "map": "Map"}


def _ms(s: dict | None) -> str:
    if not s or s.get("p50_ms") is None:
        return "–"
    return f"{s['p50_ms']:,.1f} / {s['p95_ms']:,.1f}"


def _num(value, fmt: str = "{:,.1f}") -> str:
    return "–" if value is None else fmt.format(value)


def markdown(results: dict) -> str:
    sizes = sorted(results["sizes"], key=int)
    runs = [results["sizes"][k] for k in sizes]
    meta = results["meta"]
    m, v = meta["machine"], meta["versions"]
    lines = [
        f"Run {meta['date']} on {m['cpus']} CPUs, {m['memory_gb']} GB RAM (shared machine); Python {m['python']}, "
        f"DuckDB {v['duckdb']}, pandas {v['pandas']}, pyarrow {v['pyarrow']}, Streamlit {v['streamlit']}. "
        f"{meta['args']['states']} random views per size (seed {meta['args']['seed']}); DuckDB "
        f"memory_limit {meta['duckdb_settings']['memory_limit']}, threads {meta['duckdb_settings']['threads']}. "
        f"Times are p50 / p95 in ms unless stated.",
        "",
        "| | " + " | ".join(f"{int(k):,} events" for k in sizes) + " |",
        "|---|" + "---:|" * len(sizes),
    ]

    def row(label: str, cells) -> None:
        lines.append(f"| {label} | " + " | ".join(cells) + " |")

    row("rows in the build", [f"{r['data']['events']:,}" for r in runs])
    row(
        "build time, s (peak MB)",
        [
            f"{_num(r['data']['build_seconds'])} ({_num(r['data'].get('build_peak_rss_mb'), '{:,.0f}')})"
            for r in runs
        ],
    )
    row(
        "on disk, MB (events)",
        [f"{r['data']['disk_mb']:,.1f} ({r['data']['events_disk_mb']:,.1f})" for r in runs],
    )
    for page in runs[0]["query_layer"]:
        row(
            f"**query layer**, {PAGE_NAMES[page]} (all its queries)",
            [_ms(r["query_layer"][page]) for r in runs],
        )
    for page in runs[0]["pandas"]:
        row(f"pandas way, {PAGE_NAMES[page]}", [_ms(r["pandas"][page]) for r in runs])
    for page in runs[0]["pandas"]:
        row(
            f"pandas p50 / DuckDB p50, {PAGE_NAMES[page]}",
            [f"{_num(r['speedup_p50'][page], '{:,.1f}')}×" for r in runs],
        )
    for page in runs[0]["pages"]:
        row(
            f"**page server time** (AppTest, uncached), {PAGE_NAMES[page]}",
            [_ms(r["pages"][page]) for r in runs],
        )
    for page in runs[0]["pages_net"]:
        row(
            f"page server time minus AppTest's own (paired), {PAGE_NAMES[page]}",
            [_ms(r["pages_net"][page]) for r in runs],
        )
    for page in runs[0]["pages_cached"]:
        row(f"same view again (cached), {PAGE_NAMES[page]}", [_ms(r["pages_cached"][page]) for r in runs])
    row("AppTest trivial page (overhead floor)", [_ms(r["apptest_trivial_page"]) for r in runs])
    row(
        "peak memory, MB: DuckDB queries (+ Map)",
        [
            f"{r['memory_mb']['duckdb_peak']:,.0f} ({r['memory_mb']['duckdb_peak_with_map']:,.0f})"
            for r in runs
        ],
    )
    row("peak memory, MB: pandas way", [f"{r['memory_mb']['pandas_peak']:,.0f}" for r in runs])
    row("pandas peak / DuckDB peak", [f"{_num(r['memory_ratio'])}×" for r in runs])
    row("peak memory, MB: app process (AppTest)", [f"{r['memory_mb']['app_peak']:,.0f}" for r in runs])
    row(
        "memory after imports, MB: DuckDB / pandas process",
        [
            f"{r['memory_mb']['duckdb_after_imports']:,.0f} / {r['memory_mb']['pandas_after_imports']:,.0f}"
            for r in runs
        ],
    )
    for name, label in (("duckdb", "DuckDB"), ("pandas", "pandas"), ("app", "app (AppTest Overview)")):
        row(
            f"cold start to first Overview, s: {label}",
            [f"{r['cold_start_s'][name]['seconds_from_spawn']:,.2f}" for r in runs],
        )
    row("answers asserted equal (DuckDB = pandas)", [f"{r['answers_compared']:,}" for r in runs])
    row(
        "machine load (1-min avg at end): DuckDB / pandas / AppTest runs",
        [
            " / ".join(f"{r['loadavg'][k]['after'][0]:.1f}" for k in ("duckdb", "pandas", "apptest"))
            for r in runs
        ],
    )

    big = runs[-1]
    slow = [(page, name, s) for page, qs in big["query_breakdown"].items() for name, s in qs.items()]
    slow.sort(key=lambda x: x[2]["p95_ms"] or 0, reverse=True)
    lines += [
        "",
        f"Slowest queries at {int(sizes[-1]):,} events (ms):",
        "",
        "| query (page) | p50 | p95 | max | runs |",
        "|---|---:|---:|---:|---:|",
    ]
    for page, name, s in slow[:8]:
        lines.append(
            f"| `{name}` ({PAGE_NAMES[page]}) | {s['p50_ms']:,.1f} | {s['p95_ms']:,.1f} | "
            f"{s['max_ms']:,.1f} | {s['n']} |"
        )

    together = results.get("side_by_side")
    if together:
        keys = sorted(together["pages"], key=int)
        lines += [
            "",
            "Whole pages at every size side by side (one process, sizes interleaved per view; "
            "AppTest reruns, uncached; ms):",
            "",
            "| page | "
            + " | ".join(f"{int(k):,} events p50 / p95" for k in keys)
            + f" | p95 growth {int(keys[0]):,} → {int(keys[-1]):,} |",
            "|---|" + "---:|" * (len(keys) + 1),
        ]
        for page in together["pages"][keys[0]]:
            cells = [_ms(together["pages"][k][page]) for k in keys]
            lines.append(
                f"| {PAGE_NAMES[page]} | "
                + " | ".join(cells)
                + f" | {_num(together['growth_p95'][page], '{:,.2f}')}× |"
            )
        lines.append(f"| AppTest trivial page | {_ms(together['trivial_page'])} |" + " |" * len(keys))

    lines += ["", "Targets:", "", "| target | figure | limit | met |", "|---|---:|---:|---|"]
    for t in results["targets"]:
        op, unit = t["unit"].split(" ")[-1], " ".join(t["unit"].split(" ")[:-1])
        figure = "–" if t["figure"] is None else f"{t['figure']:,.1f} {unit}"
        lines.append(
            f"| {t['target']} | {figure} | {op} {t['limit']:,g} {unit} | {'yes' if t['met'] else '**NO**'} |"
        )
    return "\n".join(lines)


def write_readme(path: Path, table: str) -> None:
    """Replace what is between the markers (or append the markers with the table)."""
    text = path.read_text() if path.exists() else f"# Benchmark results\n\n{START}\n{END}\n"
    if START not in text or END not in text:
        text = text.rstrip("\n") + f"\n\n{START}\n{END}\n"
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    path.write_text(f"{head}{START}\n{table}\n{END}{tail}")
