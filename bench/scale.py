"""`make bench-scale`: how ingest, the views and memory grow with the organisation's size.

For each size (default 250,000, 500,000 and 1,000,000 people; `BENCH_SCALE_PEOPLE=250000,500000` to
change) it generates the data once (cached under bench/data/, like `make bench`), then measures one
bare load and one ingest of the survey files (`BENCH_REPEATS`, default 1 here), every view's query
functions cold and warm, the peak memory of a process running every view, and the warehouse's size.
It prints one table, with each figure's growth against the smallest size beside the growth in
people, and writes bench/scale.json. It does not touch bench/results.json (that is `make bench`).

Generation takes about 30 s per million people; the three default sizes take about 5 minutes on the
project's machine kind once generated.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import shutil
import tempfile
import time
from pathlib import Path

import duckdb
import psutil
from rich.table import Table

from bench.run import ROOT, SECRET, bench_ingest, bench_memory, bench_views, console, dataset

SIZES = [int(n) for n in os.environ.get("BENCH_SCALE_PEOPLE", "250000,500000,1000000").split(",") if n.strip()]
REPEATS = int(os.environ.get("BENCH_REPEATS", "1"))


def measure(people: int) -> dict:
    folder = dataset(people)
    work = Path(tempfile.mkdtemp(prefix=f"coachlens-scale-{people}-"))
    try:
        console.print(f"{people:,} people: ingest ...")
        ing = bench_ingest(folder, work, repeats=REPEATS)
        db = ing.pop("db")
        con = duckdb.connect(str(db), read_only=True)
        panel_rows = con.execute("SELECT count(*) FROM mart_panel").fetchone()[0]
        con.close()
        console.print(f"{people:,} people: views ...")
        views = bench_views(db)
        rss = bench_memory(db)
        return {"people": people, "survey_rows": ing["survey_rows"], "panel_rows": panel_rows,
                "warehouse_mb": db.stat().st_size / 2**20, "ingest": ing, "views": views, "peak_rss_mb": rss}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    os.environ["COACHLENS_SECRET"] = SECRET
    t = time.perf_counter()
    points = [measure(n) for n in sorted(SIZES)]
    results = {
        "date": dt.date.today().isoformat(),
        "machine": {"cores": psutil.cpu_count(), "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
                    "python": platform.python_version(), "duckdb": duckdb.__version__},
        "repeats": REPEATS,
        "points": points,
        "seconds": time.perf_counter() - t,
    }
    out = ROOT / "bench" / "scale.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    show(results)
    console.print(f"wrote {out}")


def rows(r: dict) -> list[tuple[str, list[float], str]]:
    """(label, one figure per size, format) for the table."""
    pts = r["points"]
    out = [("survey rows", [p["survey_rows"] for p in pts], "{:,.0f}"),
           ("panel rows (mart_panel)", [p["panel_rows"] for p in pts], "{:,.0f}"),
           ("warehouse file, MB", [p["warehouse_mb"] for p in pts], "{:,.0f}"),
           ("bare load, s", [p["ingest"]["bare_s"] for p in pts], "{:.1f}"),
           ("ingest, s", [p["ingest"]["ingest_s"] for p in pts], "{:.1f}")]
    for phase in ("load", "marts", "swap"):
        out.append((f"  {phase}, s", [p["ingest"]["phases_s"].get(phase, 0.0) for p in pts], "{:.1f}"))
    out.append(("ingest / bare", [p["ingest"]["ingest_ratio"] for p in pts], "{:.1f}x"))
    for view in pts[0]["views"]:
        out.append((f"{view} warm, s", [p["views"][view]["warm_s"] for p in pts], "{:.2f}"))
    out.append(("peak memory, every view, MB", [p["peak_rss_mb"] for p in pts], "{:,.0f}"))
    return out


def show(r: dict) -> None:
    pts = r["points"]
    t = Table(title=f"coachlens by size, {r['machine']['cores']} cores, {r['date']} "
                    f"(growth: against {pts[0]['people']:,} people)")
    t.add_column("measure")
    for p in pts:
        t.add_column(f"{p['people']:,}", justify="right")
    if len(pts) > 1:
        t.add_column("growth (people x{})".format(", x".join(f"{p['people'] / pts[0]['people']:g}" for p in pts[1:])))
    for label, values, fmt in rows(r):
        cells = [fmt.format(v) for v in values]
        if len(pts) > 1:
            growth = ", ".join(f"x{v / values[0]:.1f}" if values[0] else "-" for v in values[1:])
            cells.append("" if label == "ingest / bare" else growth)
        t.add_row(label, *cells)
    console.print(t)


if __name__ == "__main__":
    main()
