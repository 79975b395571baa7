"""Live traffic for the demo: append access-log lines in real time, injecting scenario events on a schedule.

``backfill`` first writes hours of past baseline ending now, so the dashboard has history;
``run_live`` then keeps appending lines stamped with the current time (a batch about every 0.2 s),
starting from a plain baseline and injecting each scheduled scenario at its offset. Announced
campaigns are written to ``campaigns_out`` (status "planned") as soon as the schedule is known,
and rewritten with status "sent" when they start.
"""

from __future__ import annotations

import json
import os
import random
import sys
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from simulate.engine import Engine, Record
from simulate.humans import World
from simulate.logline import CombinedFormatter
from simulate.scenarios import SCENARIOS, baseline_components, scenario_injections, scenario_params
from simulate.site import Site

BATCH_SECONDS = 0.2


def _setup(seed: int, rps: float, site: str | None) -> tuple[dict, World, list]:
    p = scenario_params("quiet_day", seed, {"site": site} if site else {})
    world = World.create(random.Random(f"{seed}:agents"), Site.generate(random.Random(f"{seed}:site"), p["site"]),
                         seed, p["pool_size"], p["agents"])
    return p, world, baseline_components(world, p["market"], rps, min(p["crawler_rps"], rps * 0.02))


def _append(path: Path, formatter: CombinedFormatter, records: list[Record]) -> int:
    if not records:
        return 0
    with open(path, "a", encoding="utf-8") as out:
        out.write("\n".join(map(formatter.line, records)) + "\n")
        out.flush()
    return len(records)


def backfill(path: Path, hours: float, *, seed: int = 0, rps: float = 8.0, end: float | None = None,
             site: str | None = None) -> int:
    """Append ``hours`` of baseline traffic ending at ``end`` (default now); returns the line count."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    end = time.time() if end is None else end
    p, _world, components = _setup(seed, rps, site)
    engine = Engine(components, random.Random(f"{seed}:backfill"), end - hours * 3600)
    formatter = CombinedFormatter(int(p["tz_offset_minutes"]))
    written, t = 0, engine.now
    while t < end:
        t = min(t + 600, end)
        written += _append(path, formatter, engine.advance(t))
    return written


def _write_campaigns(path: Path, campaigns: list[dict]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(campaigns, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)


ScheduleEntry = tuple[float, str] | tuple[float, str, dict[str, Any]]


def run_live(path: Path, *, seed: int, rps: float, schedule: list[ScheduleEntry],
             stop: threading.Event | None = None, speed: float = 1.0, campaigns_out: Path | None = None,
             site: str | None = None, duration: float | None = None) -> int:
    """Append live lines until ``stop`` is set (or ``duration`` seconds pass); returns the line count.

    ``schedule`` lists (offset seconds, scenario) or (offset seconds, scenario, overrides), the overrides
    being ``simulate.scenarios`` parameters (e.g. ``{"bot_factor": 4.0}``); ``speed`` > 1 runs the schedule
    and every event's shape faster (offsets and durations divided by ``speed``), timestamps stay the wall clock.
    """
    for entry in schedule:
        if entry[1] not in SCENARIOS:
            raise ValueError(f"unknown scenario {entry[1]!r} in the live schedule; use one of {', '.join(SCENARIOS)}")
    if speed <= 0:
        raise ValueError(f"speed must be > 0, got {speed}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    stop = stop or threading.Event()
    p, world, components = _setup(seed, rps, site)
    rng = random.Random(f"{seed}:live")
    start = time.time()
    campaigns: list[dict] = []
    for k, entry in enumerate(sorted(schedule, key=lambda e: e[0])):
        offset, scenario = entry[0], entry[1]
        overrides = dict(entry[2]) if len(entry) > 2 else {}  # type: ignore[misc]
        event_params = scenario_params(scenario, seed * 1000 + k + 1,
                                       {"market": p["market"], "site": p["site"], **overrides})
        event_params["scale"] = 1.0
        t0 = start + offset / speed
        for injection in scenario_injections(scenario, world, event_params, rng, t0, rps, time_scale=1 / speed):
            components += injection.components
            if injection.campaign:
                campaigns.append({**injection.campaign, "status": "planned"})
    if campaigns_out and campaigns:
        _write_campaigns(Path(campaigns_out), campaigns)
    engine = Engine(components, rng, start)
    formatter = CombinedFormatter(int(p["tz_offset_minutes"]))
    written, backlog, failures = 0, [], 0
    while not stop.is_set():
        now = time.time()
        if duration is not None and now - start >= duration:
            break
        backlog += engine.advance(now)
        try:
            written += _append(path, formatter, backlog)
            backlog = []
        except OSError as exc:  # keep the lines and retry on the next batch
            failures += 1
            if failures == 1 or failures % 100 == 0:
                print(f"simulate live: cannot append to {path}: {exc.strerror}; retrying ({failures} failures)",
                      file=sys.stderr)
        if campaigns_out and any(c["status"] == "planned" and _started(c, now) for c in campaigns):
            for c in campaigns:
                if _started(c, now):
                    c["status"] = "sent"
            _write_campaigns(Path(campaigns_out), campaigns)
        stop.wait(BATCH_SECONDS)
    return written


def _started(campaign: dict, now: float) -> bool:
    return datetime.fromisoformat(campaign["start"].replace("Z", "+00:00")).timestamp() <= now
