"""Ground-truth labels computed from what a simulation actually injected, minute by minute.

A part of the traffic "is a surge" when, over some 5-minute window, it adds at least as many
requests as the baseline made in that window (traffic at least doubles). The label follows:
a human surge with bots at >= 20 % of the injected requests is "mixed", without them it is
"campaign" or "organic"; bots on top of a human part that alone is no surge make it "bot".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

WINDOW_MINUTES = 5
SURGE_RATIO = 1.0        # injected / baseline over a window
MIXED_BOT_SHARE = 0.2    # bots' share of the injected requests
DECAYED_RATIO = 0.1      # injected / baseline below which the surge has ended


def series(per_minute: Mapping[int, Mapping[int, int]], components: Sequence[int], minutes: int) -> list[int]:
    """Requests per minute summed over the given components."""
    out = [0] * minutes
    for c in components:
        for minute, n in per_minute.get(c, {}).items():
            if 0 <= minute < minutes:
                out[minute] += n
    return out


def _windows(values: Sequence[int]) -> list[int]:
    sums, running = [], 0
    for i, v in enumerate(values):
        running += v
        if i >= WINDOW_MINUTES:
            running -= values[i - WINDOW_MINUTES]
        sums.append(running)
    return sums


def peak_ratio(injected: Sequence[int], baseline: Sequence[int]) -> float:
    """Largest injected / baseline over 5-minute windows."""
    best = 0.0
    for inj, base in zip(_windows(injected), _windows(baseline), strict=False):
        if base > 0:
            best = max(best, inj / base)
    return best


def label(kind: str, human: Sequence[int], bots: Sequence[int], baseline: Sequence[int]) -> str | None:
    """"campaign"/"organic" (``kind``), "mixed", "bot" or None (no surge at all)."""
    human_total, bot_total = sum(human), sum(bots)
    if peak_ratio(human, baseline) >= SURGE_RATIO:
        if bot_total and bot_total / (bot_total + human_total) >= MIXED_BOT_SHARE:
            return "mixed"
        return kind
    both = [h + b for h, b in zip(human, bots, strict=False)]
    if bot_total and peak_ratio(both, baseline) >= SURGE_RATIO:
        return "bot"
    return None


def decayed_minute(injected: Sequence[int], baseline: Sequence[int], first: int) -> int:
    """The minute after the last 5-minute window (from ``first`` on) where injected traffic was still notable."""
    last = first
    for i, (inj, base) in enumerate(zip(_windows(injected), _windows(baseline), strict=False)):
        if i >= first and base > 0 and inj / base >= DECAYED_RATIO:
            last = i
    return min(last + 1, len(injected))
