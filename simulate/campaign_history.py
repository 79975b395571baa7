"""A site's campaign history: one simulated email campaign a day, each sent at the same hour.

Each day is a ``campaign_surge`` scenario of its own seed (its own audience, size and curve)
on the same market, clock and baseline rate, so the days read as one site's history that
capacity forecasts can learn from. ``injected`` tells what a day's campaign really added.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from simulate.scenarios import Simulation, build


def campaign_days(seeds: list[int], *, first_day: datetime, send_hour: float = 9.0, history_hours: float = 2.0,
                  surge_hours: float = 6.0, base_rps: float = 2.0, scale: float | None = None) -> list[Simulation]:
    """One simulation per seed, on successive days from ``first_day`` (UTC midnight), sent at ``send_hour``."""
    return [build("campaign_surge", seed, history_hours=history_hours, surge_hours=surge_hours,
                  start=first_day + timedelta(days=i, hours=send_hour - history_hours), base_rps=base_rps,
                  scale=scale, market="eu", tz_offset_minutes=0)
            for i, seed in enumerate(seeds)]


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
