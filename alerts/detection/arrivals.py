"""New visits by where they come from: the signal that leads a human surge.

A visitor's first request carries the referrer (a social site, a webmail, a news site)
or the campaign's ``utm_campaign``; the pages and assets that follow carry the site's
own address. So the requests of an external referrer class, or of one ``utm_campaign``,
count arrivals, while the total counts arrivals times the requests each visit makes
over the next minutes. When a post goes viral the arrivals jump at once and the total
climbs behind them: on a small, bursty site the total is only a few spreads up when it
has doubled, but its new visits are already far beyond their own past. ``leading``
marks the buckets where that is so; the total's detector then opens a spike on a value
it would otherwise wait to see repeated (``DetectorConfig.z_led``).

An email send is the other sign of what is coming: its mail-scanner burst says the send
went out, and its readers follow over the next minutes, often one or two new visits per
bucket that no 30 s window shows as a surge. ``after_send`` marks those buckets; the
total's climb then opens on fewer buckets in a row (``DetectorConfig.sustain_sent``).
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np

from alerts.detection.buckets import Traffic
from store.schema import NONE, OTHER

ARRIVAL_REFERRERS = ("email", "social", "search", "other")
WINDOW = 3          # buckets summed (30 s): arrivals are few per bucket on a small site
HISTORY = 360       # buckets (1 h) before the window that give the usual rate
Z_LEAD = 4.0        # variance-stabilised Poisson score: 2 (sqrt(seen) - sqrt(usual))
MIN_VISITS = 6      # arrivals in the window, at least
MIN_RATIO = 3.0     # and this many times the usual
SEND_HOLD = 3       # buckets (30 s) after a mail-scanner burst (an email send going out) still without a lead
SEND_FOLLOW = 270   # buckets (45 min) after a mail-scanner burst in which a surge follows that send


def arrival_series(traffic: Traffic, cube=None) -> dict[str, np.ndarray]:  # noqa: ANN001 - a DataFrame
    """Requests per bucket of each external referrer class and each campaign's ``utm_campaign``."""
    cube = traffic.cube if cube is None else cube
    out = {f"referrer={r}": traffic.series(cube[cube["referrer"] == r]) for r in ARRIVAL_REFERRERS}
    for utm in sorted(set(cube["utm_campaign"]) - {NONE, OTHER, ""}):
        out[f"utm_campaign={utm}"] = traffic.series(cube[cube["utm_campaign"] == utm])
    return out


def surging(series: np.ndarray, window: int = WINDOW, history: int = HISTORY, z: float = Z_LEAD,
            min_visits: float = MIN_VISITS, min_ratio: float = MIN_RATIO) -> np.ndarray:
    """Per bucket: do the last ``window`` buckets hold far more arrivals than usual (causal)?

    The usual rate is the mean of the ``history`` buckets before the window that were not
    themselves in a surging window: a send's first wave must not raise it for the hour after
    (unless arrivals stay that high for a whole ``history``: then they are the new normal).
    """
    n = len(series)
    out = np.zeros(n, dtype=bool)
    kept: deque[float] = deque(maxlen=history)
    held: list[float] = []
    total = 0.0
    for i in range(n):
        lo = max(i - window + 1, 0)
        seen = float(series[lo:i + 1].sum())
        if len(kept) >= history // 3:
            usual = total / len(kept) * window
            out[i] = (seen >= min_visits and seen >= min_ratio * usual
                      and 2.0 * (math.sqrt(seen) - math.sqrt(usual)) >= z)
        if i < window - 1:
            continue
        oldest = float(series[lo])  # leaves the window: into the history, unless it was part of a surge
        if out[i] and len(held) < history:
            held.append(oldest)
            continue
        # A surge that lasted a whole history is the new normal: its buckets go in after all.
        for v in [*held, oldest] if out[i] else [oldest]:
            if len(kept) == kept.maxlen:
                total -= kept[0]
            kept.append(v)
            total += v
        held = []
    return out


def leading(traffic: Traffic, cube=None, bursts: np.ndarray | None = None,  # noqa: ANN001 - a DataFrame
            hold: int = SEND_HOLD, **kw: float) -> np.ndarray:
    """Buckets where any arrival series surges: the total's leading signal.

    Not while an email send goes out (``bursts``: the buckets of its mail-scanner burst,
    ``send_bursts``, and ``hold`` buckets after them): every send's first readers click at
    delivery, a flop's too, and only what follows tells a campaign surge.
    """
    out = np.zeros(len(traffic.grid), dtype=bool)
    for series in arrival_series(traffic, cube).values():
        out |= surging(series, **kw)
    for i in () if bursts is None else bursts:
        out[i:i + 1 + hold] = False
    return out


def send_bursts(scanners: np.ndarray) -> np.ndarray:
    """Indexes of the buckets where mail-scanner requests burst: an email send going out."""
    return np.flatnonzero(surging(scanners, window=1))


def after_send(bursts: np.ndarray, n: int, hold: int = SEND_HOLD, follow: int = SEND_FOLLOW) -> np.ndarray:
    """Of ``n`` buckets, those in the ``follow`` after an email send (``bursts``: its mail-scanner burst),
    past the burst and ``hold`` (its first readers, who click at delivery, a flop's too): the send's
    readers are due then."""
    out = np.zeros(n, dtype=bool)
    for i in bursts:
        out[i + 1 + hold:i + follow] = True
    for i in bursts:
        out[i:i + 1 + hold] = False
    return out
