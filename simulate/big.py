"""Large access logs for ingest benchmarks: millions of lines, tens of thousands of addresses, hundreds of agents.

Streams the same engine as the scenarios (diurnal baseline at a high rate, an email campaign, a
credential-stuffing wave and a scraper) straight to the file without keeping the lines in memory,
and stops at the requested line count. ``python -m simulate.big OUT [LINES] [SEED]``.
"""

from __future__ import annotations

import gzip
import random
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from simulate.engine import Engine
from simulate.events import bot_attack, email_campaign
from simulate.humans import World
from simulate.logline import CombinedFormatter
from simulate.scenarios import baseline_components, scenario_params
from simulate.site import Site

HOURS = 6.0


def write_big(path: Path, lines: int = 1_500_000, seed: int = 0, start: datetime | None = None) -> int:
    """Write exactly ``lines`` combined log lines (gzip when the name ends in .gz); returns the count."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    p = scenario_params("campaign_plus_scraper", seed, {"pool_size": 1500, "agents": 600, "market": "eu"})
    p["scale"] = 1.0
    world = World.create(random.Random(f"{seed}:agents"), Site.generate(random.Random(f"{seed}:site"), p["site"]),
                         seed, p["pool_size"], p["agents"])
    t_start = (start or datetime(2025, 3, 10, 6, 0, tzinfo=UTC)).timestamp()
    rps = lines / (HOURS * 3600) / 1.6  # the events add roughly 60 % on top of the baseline
    rng = random.Random(f"{seed}:big")
    components = baseline_components(world, p["market"], rps, 0.5)
    t0 = t_start + HOURS * 3600 / 2
    components += email_campaign(world, p, rng, t0, rps, 6.0, True).components
    components += bot_attack(world, "credential_stuffing", rng, t0 + 1800, rps, 2.0, 40).components
    components += bot_attack(world, "scraper", rng, t_start + 1800, rps, 0.5, 120).components
    engine = Engine(components, rng, t_start)
    formatter = CombinedFormatter(int(p["tz_offset_minutes"]))
    opener = gzip.open if path.suffix == ".gz" else open
    written = 0
    with opener(path, "wt", encoding="utf-8", newline="\n") as out:
        t = t_start
        while written < lines:
            t += 60
            batch = engine.advance(t)[: lines - written]
            if batch:
                out.write("\n".join(map(formatter.line, batch)) + "\n")
                written += len(batch)
    return written


if __name__ == "__main__":
    if len(sys.argv) < 2:
        print("usage: python -m simulate.big OUT [LINES] [SEED]", file=sys.stderr)
        raise SystemExit(2)
    began = time.perf_counter()
    count = write_big(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 1_500_000,
                      int(sys.argv[3]) if len(sys.argv) > 3 else 0)
    print(f"{count} lines in {time.perf_counter() - began:.1f} s -> {sys.argv[1]}", file=sys.stderr)
