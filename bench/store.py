"""Store benchmark: write throughput and the Overview query, embedded SQLite next to a real influxd.

Both backends get the same generated 1-minute rollup points (``http_1m``: 7 days of a
realistic number of series, with the ``http_by_actor_1m`` summary the worker's rollup
writes beside it) in the same run, then answer the Overview chart's query exactly as the
page asks it (``query_auto``: requests by actor, 1-minute buckets over the 7 days), and,
for reference, the same sum over every series of ``http_1m``. Prints one table.

    .venv/bin/python bench/store.py [--series 60] [--days 7] [--repeat 5]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from store.base import Point, TimeSeriesStore  # noqa: E402
from store.embedded import EmbeddedStore  # noqa: E402
from store.influxdb import InfluxStore  # noqa: E402
from store.rollup import WATERMARKS, query_auto, summarize  # noqa: E402
from store.schema import MEASUREMENTS  # noqa: E402

END = 1_700_006_400  # a whole day boundary
CHUNK_MINUTES = 240


def series_tags(n: int, seed: int) -> list[dict[str, str]]:
    """``n`` distinct tag sets shaped like the busiest http_1m series of one site."""
    rng = random.Random(seed)
    seen: set[tuple] = set()
    out: list[dict[str, str]] = []
    while len(out) < n:
        tags = {
            "site": "shop", "source": "web-1",
            "country": rng.choice(["GB", "DE", "FR", "US", "NL", "ES", "IT", "other"]),
            "client": rng.choice(["browser", "browser", "app", "script", "search_crawler"]),
            "actor": rng.choice(["human", "human", "automated", "crawler"]),
            "referrer": rng.choice(["direct", "search", "social", "email"]),
            "path_group": rng.choice(["page", "asset", "api", "login", "checkout"]),
            "status": rng.choice(["2xx", "2xx", "3xx", "4xx", "5xx"]),
            "method": rng.choice(["GET", "GET", "POST"]),
            "utm_campaign": rng.choice(["none", "none", "spring-sale"]),
        }
        key = tuple(sorted(tags.items()))
        if key not in seen:
            seen.add(key)
            out.append(tags)
    return out


def generate(n_series: int, days: int, seed: int) -> Iterator[list[Point]]:
    """Chunks of points, the same for the same arguments."""
    rng = random.Random(seed)
    tags = series_tags(n_series, seed)
    start = END - days * 86_400
    for chunk_start in range(start, END, CHUNK_MINUTES * 60):
        chunk = []
        for t in range(chunk_start, min(END, chunk_start + CHUNK_MINUTES * 60), 60):
            for tg in tags:
                n = rng.randint(1, 200)
                chunk.append(Point("http_1m", tg, {"requests": n, "bytes": n * 1800}, t))
        # the worker's rollup writes the summary the Overview reads next to the full rollup
        spec = MEASUREMENTS["http"]
        yield chunk + summarize(spec, chunk, "http_by_actor_1m", spec.summaries["by_actor"])


def run(store: TimeSeriesStore, n_series: int, days: int, repeat: int) -> dict:
    written, busy = 0, 0.0
    for chunk in generate(n_series, days, seed=42):
        t = time.perf_counter()
        written += store.write(chunk)
        busy += time.perf_counter() - t
    store.write([Point(WATERMARKS, {"table": t}, {"until": END}, 0) for t in ("http_1m", "http_by_actor_1m")])
    start = END - days * 86_400
    timings, full_timings, rows, total, full_total = [], [], 0, 0.0, 0.0
    for _ in range(repeat + 1):  # the first run warms caches and is not counted
        t = time.perf_counter()
        # exactly what the Overview chart asks (pages.queries.traffic): requests by actor, 1-minute buckets
        df = query_auto(store, "http", start, END, every=60, fields=["requests"], group_by=["actor"])
        timings.append(time.perf_counter() - t)
        rows, total = len(df), float(df["requests"].sum())
        t = time.perf_counter()
        full = store.query("http_1m", start, END, fields=["requests"], every=60, agg="sum")
        full_timings.append(time.perf_counter() - t)
        full_total = float(full["requests"].sum())
    return {"points": written, "write_pps": written / busy, "query_ms": statistics.median(timings[1:]) * 1000,
            "full_ms": statistics.median(full_timings[1:]) * 1000, "rows": rows, "total": total,
            "full_total": full_total}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--series", type=int, default=60, help="series per minute in http_1m (default 60)")
    ap.add_argument("--days", type=int, default=7)
    ap.add_argument("--repeat", type=int, default=5, help="timed query runs (median reported)")
    args = ap.parse_args()

    from tests.services import influxd

    results = {}
    with tempfile.TemporaryDirectory(prefix="bench-store-") as d:
        embedded = EmbeddedStore(Path(d) / "bench.db")
        results["embedded"] = run(embedded, args.series, args.days, args.repeat)
        embedded.close()
        svc = influxd(Path(d) / "influxd")
        try:
            influx = InfluxStore(svc.url, "bench")
            results["influxdb"] = run(influx, args.series, args.days, args.repeat)
            influx.close()
        finally:
            svc.stop()

    print(f"http_1m: {args.days} days x {args.series} series = {results['embedded']['points']:,} points; "
          f"Overview query = requests by actor, 1-minute buckets, {args.days} days (median of {args.repeat})")
    print(f"{'backend':<10} {'write points/s':>15} {'overview query ms':>18} {'all-series query ms':>20} "
          f"{'rows':>7} {'sum(requests)':>15}")
    for name, r in results.items():
        print(f"{name:<10} {r['write_pps']:>15,.0f} {r['query_ms']:>18.1f} {r['full_ms']:>20.1f} {r['rows']:>7,} "
              f"{r['total']:>15,.0f}")
    e, i = results["embedded"], results["influxdb"]
    ratio = e["query_ms"] / i["query_ms"]
    print(f"embedded/influxdb query time: {ratio:.2f}x (target <= 2x; both < 300 ms: "
          f"{'yes' if max(e['query_ms'], i['query_ms']) < 300 else 'no'})")
    if e["total"] != i["total"] or e["rows"] != i["rows"] or e["total"] != e["full_total"]:
        print("MISMATCH: the two backends answered differently", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
