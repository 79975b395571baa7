"""A site's campaign history: one simulated email campaign a day.

Each day is a ``campaign_surge`` scenario of its own seed (its own audience, size and curve)
on the same market, clock and baseline rate, so the days read as one site's history that
capacity forecasts can learn from. ``injected`` tells what a day's campaign really added.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from simulate.scenarios import Simulation, build


def campaign_days(seeds: list[int], *, first_day: datetime, send_hour: float | list[float] = 9.0,
                  history_hours: float = 2.0, surge_hours: float = 6.0, base_rps: float = 2.0,
                  scale: float | None = None, whole_days: bool = False, every: int = 1,
                  lead_days: int = 0) -> list[Simulation]:
    """One campaign simulation per seed from ``first_day`` (UTC midnight), sent at ``send_hour`` (one hour for
    every day, or one per campaign).

    ``whole_days`` covers each day from midnight to midnight, so the days join into one unbroken history;
    then ``lead_days`` quiet days come first and a campaign goes out every ``every`` days, the days between
    quiet (``quiet_day`` simulations, in the returned list too). Otherwise each campaign covers
    ``history_hours`` before its send and ``surge_hours`` after, on successive days.
    """
    hours = send_hour if isinstance(send_hour, list) else [send_hour] * len(seeds)
    common = {"base_rps": base_rps, "scale": scale, "market": "eu", "tz_offset_minutes": 0}
    sims: list[Simulation] = []
    day = 0
    for i, (seed, hour) in enumerate(zip(seeds, hours, strict=True)):
        if whole_days:
            quiet = lead_days if i == 0 else every - 1
            for q in range(quiet):
                sims.append(build("quiet_day", seed * 100 + q, history_hours=24, surge_hours=0,
                                  start=first_day + timedelta(days=day), **common))
                day += 1
        before, after = (hour, 24 - hour) if whole_days else (history_hours, surge_hours)
        sims.append(build("campaign_surge", seed, history_hours=before, surge_hours=after,
                          start=first_day + timedelta(days=day, hours=hour - before), **common))
        day += 1
    return sims


def injected(sim: Simulation, step: int = 60) -> dict[int, int]:
    """Requests the campaign added (its people and its mail scanners) per ``step`` seconds, by bucket start."""
    out: dict[int, int] = {}
    for r in sim.records:
        if sim.roles[r[9]] in ("human", "bot", "scanner"):
            t = int(r[0]) // step * step
            out[t] = out.get(t, 0) + 1
    return out


def totals(sim: Simulation, step: int = 60) -> dict[int, int]:
    """Every request of the simulation per ``step`` seconds, by bucket start."""
    out: dict[int, int] = {}
    for r in sim.records:
        t = int(r[0]) // step * step
        out[t] = out.get(t, 0) + 1
    return out
