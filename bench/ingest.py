"""Access-log ingest speed vs GoAccess on the same simulated combined log, in the same run.

Generates a combined log with the simulator (many addresses, hundreds of user agents) over
three days written in a shuffled day order (newest day first), then times (1) Surgewatch's
parse + enrich + aggregate (+ writing the buckets to an embedded store file) as ``ingest`` runs
them (lines put in time order first, no lateness window), single core, in a fresh process so its
peak memory is its own, and (2) ``goaccess --log-format=COMBINED -o json`` on the same file. Prints both lines/s,
the ratio and our peak memory (the store is a file in the temp dir). Our side runs in a child
pinned to one core (``sched_setaffinity``); GoAccess runs as it ships. Default 200,000 lines;
``--full`` for 1.5 million (``simulate.big.write_big``, seeds 0-2). The file is read as ``cli.py
ingest`` reads it (raw bytes, a block at a time). The geo tables are cached once per install
(``collectors.weblog.geo_tables``); the parent makes sure they exist before the timed child runs.
``--tail`` also measures live-tail latency (p95 from append to visible in the store).

    .venv/bin/python bench/ingest.py [--full] [--lines N] [--tail]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


DAYS = 3


def make_log(path: Path, lines: int, seed: int = 0, days: int = DAYS) -> int:
    """The simulator's big combined log (many addresses, hundreds of user agents), exactly ``lines`` lines.

    ``days`` days (each the simulator's 6-hour log of one day, its own seed) written in a shuffled day
    order (newest day first, then the others), as logs of several days concatenated in any order come.
    """
    from datetime import UTC, datetime, timedelta

    from simulate.big import write_big

    first = datetime(2025, 3, 10, 6, 0, tzinfo=UTC)
    order = [days - 1, *range(days - 1)]  # e.g. day 3, day 1, day 2
    written = 0
    with path.open("wb") as out:
        for k, day in enumerate(order):
            n = lines // days + (1 if k < lines % days else 0)
            piece = path.with_name(f"day{day}.log")
            written += write_big(piece, lines=n, seed=seed + day, start=first + timedelta(days=day))
            with piece.open("rb") as f:
                shutil.copyfileobj(f, out, 1 << 20)
            piece.unlink()
    return written


def run_ours(path: Path) -> dict:
    """Child process, pinned to one core: ingest the file into an embedded store file; time and peak memory."""
    os.sched_setaffinity(0, {0})
    from collectors.weblog.stream_ingest import ingest_stream
    from store.embedded import EmbeddedStore

    store = EmbeddedStore(path.with_name("bench-store.db"))
    t0 = time.perf_counter()
    with path.open("rb") as f:  # as ``cli.py ingest`` reads a file: raw bytes, a block at a time
        stats = ingest_stream(f, store, site="bench", source="bench", salt=b"b" * 32, ordered=True)
    store.close()
    seconds = time.perf_counter() - t0
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"lines": stats.lines, "parsed": stats.parsed, "late": stats.late, "seconds": seconds,
            "peak_mb": peak_kb / 1024,
            "points": stats.points_written, "cores": len(os.sched_getaffinity(0))}


def run_goaccess(path: Path) -> dict | None:
    binary = shutil.which("goaccess")
    if binary is None:
        return None
    with tempfile.TemporaryDirectory() as d:
        out = Path(d) / "report.json"
        t0 = time.perf_counter()
        subprocess.run([binary, str(path), "--log-format=COMBINED", "-o", str(out)], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        seconds = time.perf_counter() - t0
        total = json.loads(out.read_text())["general"]["total_requests"]
    return {"lines": total, "seconds": seconds}


def tail_latency(seconds: float = 60.0, rate: int = 20_000) -> list[float]:
    """Append ``rate`` lines/s for ``seconds``; latency of marked lines until their bucket shows them."""
    from collectors.accesslog import AccessLogSettings, AccessLogTail
    from store.embedded import EmbeddedStore
    from store.state import StateDB
    from tests.collectors.logsamples import combined

    d = Path(tempfile.mkdtemp(prefix="tailbench-"))
    log = d / "access.log"
    log.touch()
    store, state = EmbeddedStore(d / "ts.db"), StateDB(d / "state.db")
    tail = AccessLogTail(AccessLogSettings(files=[log], format="combined", source="bench"), store=store,
                         state=state, site="bench", salt=b"b" * 32)
    import threading

    marks: dict[int, float] = {}  # bucket start -> when its first marked line was appended
    stop = threading.Event()

    def writer() -> None:
        with log.open("a", buffering=1 << 16) as f:
            t_end = time.time() + seconds
            i = 0
            while time.time() < t_end:
                now = int(time.time())
                batch = [combined(now, ip=f"81.2.{(i + k) // 250 % 250}.{(i + k) % 250 + 1}", target=f"/p/{k}") + "\n"
                         for k in range(rate // 10)]
                batch[0] = combined(now, ip="81.2.69.1", target="/?utm_campaign=mark") + "\n"
                f.write("".join(batch))
                f.flush()
                marks.setdefault(now - now % 10, time.time())
                i += len(batch)
                time.sleep(max(0.0, 0.1 - (time.time() % 0.1)))
        stop.set()

    th = threading.Thread(target=writer)
    th.start()
    seen: dict[int, float] = {}
    while not stop.is_set() or len(seen) < len(marks):
        tail.poll()
        df = store.query("http", 0, 2_000_000_000, fields=["requests"], where={"utm_campaign": "mark"},
                         every=10)
        for t in df["time"]:
            start = int(t.timestamp())
            seen.setdefault(start, time.time())
        if stop.is_set() and len(seen) >= len(marks):
            break
        time.sleep(1.0)
    th.join()
    tail.flush()
    return sorted(seen[s] - marks[s] for s in marks if s in seen)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--full", action="store_true", help="1.5 million lines")
    ap.add_argument("--lines", type=int, default=None)
    ap.add_argument("--tail", action="store_true", help="also measure live-tail latency")
    ap.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(run_ours(args.child)))
        return 0
    n = args.lines or (1_500_000 if args.full else 200_000)
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "access.log"
        t0 = time.perf_counter()
        make_log(path, n)
        from collectors.weblog.geo_tables import load

        load()  # one-off per install, like GoAccess's bundled database: not part of the timed run
        print(f"log: {n:,} lines over {DAYS} days in shuffled day order, {path.stat().st_size / 1e6:.0f} MB, "
              f"generated in {time.perf_counter() - t0:.0f} s")
        child = subprocess.run([sys.executable, __file__, "--child", str(path)], check=True, capture_output=True,
                               text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
        ours = json.loads(child.stdout.strip().splitlines()[-1])
        theirs = run_goaccess(path)
    ours_rate = ours["lines"] / ours["seconds"]
    print(f"surgewatch: {ours['lines']:,} lines ({ours['parsed']:,} parsed, {ours['late']:,} late) "
          f"in {ours['seconds']:.2f} s = {ours_rate:,.0f} lines/s "
          f"(parse + enrich + aggregate + store write, pinned to {ours['cores']} core), "
          f"peak memory {ours['peak_mb']:.0f} MB (ru_maxrss of the ingest-only child)")
    if theirs is None:
        print("goaccess: not installed (apt-get install goaccess); no ratio")
    else:
        rate = theirs["lines"] / theirs["seconds"]
        print(f"goaccess:   {theirs['lines']:,} lines in {theirs['seconds']:.2f} s = {rate:,.0f} lines/s")
        print(f"ratio: {ours_rate / rate:.2f}x GoAccess (target 5x)")
    if args.tail:
        lat = tail_latency()
        if lat:
            p95 = lat[min(len(lat) - 1, int(0.95 * len(lat)))]
            print(f"live tail at 20,000 lines/s for 60 s: p95 append-to-visible {p95:.2f} s, max {lat[-1]:.2f} s, "
                  f"{len(lat)} buckets (target 5 s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
