"""An independent campaign traffic generator for the capacity backtest: per-recipient clicks, not a fitted curve.

It shares nothing with ``capacity/`` (no import, no curve; ``tests/capacity/test_bench_generator.py``
checks both) nor with ``simulate/``: the forecast is scored on traffic it did not generate.
A site has its own daily rhythm, weekly dip and noise; each campaign:

- is sent **throttled**: recipients get it spread over up to an hour (the site's sender setting, ±20 %);
- answers by **per-recipient click times** drawn from a heavy-tailed mixture: a quick answer
  (log-normal, median 8-30 min), a slow one (log-normal, median 2-8 h) and readers who come back the
  next morning (around 08:00-10:00 on the site's clock), with per-campaign weights;
- has a **per-site response rate** (clicks per recipient: each site its own level, each campaign a
  log-normal spread around it), and sometimes **flops** (a send that never really went out, or went to
  a seed list: a hundredth of the usual answer, mail scanners included);
- brings sessions of a geometric number of requests (the site's own mean) spread over a few minutes,
  plus mail scanners fetching the links within two minutes of delivery for a few per cent of recipients.

Everything is per minute (numpy arrays of request counts), drawn from one ``numpy.random.Generator``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

DAY = 1440


@dataclass
class SiteTraffic:
    """A site's minute-by-minute requests and the campaigns in it (minute of their start from the first minute)."""

    requests: np.ndarray                       # requests per minute
    campaign_requests: np.ndarray              # of which the campaigns brought
    campaigns: list[dict] = field(default_factory=list)
    base_rps: float = 0.0
    utc_offset_hours: int = 0


def _diurnal(minutes: np.ndarray, offset_hours: int, rng: np.random.Generator) -> np.ndarray:
    """Relative traffic by local time: a night trough, a lunch bump, an evening high; weekends lower."""
    local = (minutes / 60 + offset_hours) % 24
    night = rng.uniform(0.15, 0.35)
    level = night + (1 - night) * np.clip(np.sin(np.pi * (local - 6) / 17), 0, None) ** 1.5
    level += 0.15 * np.exp(-0.5 * ((local - 12.5) / 1.0) ** 2)
    weekday = (minutes // DAY) % 7
    return level * np.where(weekday >= 5, rng.uniform(0.7, 0.95), 1.0)


def _click_delays(n: int, rng: np.random.Generator, send_minute_local: float) -> np.ndarray:
    """Minutes from delivery to click for ``n`` clickers: quick, slow and next-morning readers."""
    quick, slow = rng.dirichlet([6, 3, 1])[:2]
    kind = rng.choice(3, size=n, p=[quick, slow, 1 - quick - slow])
    out = np.empty(n)
    q = kind == 0
    out[q] = rng.lognormal(np.log(rng.uniform(8, 30)), rng.uniform(0.7, 1.2), q.sum())
    s = kind == 1
    out[s] = rng.lognormal(np.log(rng.uniform(120, 480)), rng.uniform(0.6, 1.0), s.sum())
    m = kind == 2
    to_morning = (DAY - send_minute_local) + rng.uniform(8, 10) * 60
    out[m] = np.maximum(60, rng.normal(to_morning, 60, m.sum()))
    return out


def campaign_requests(n_minutes: int, start: int, audience: int, rate: float, requests_per_visit: float,
                      offset_hours: int, rng: np.random.Generator, throttle_minutes: float,
                      scanner_share: float = 0.02) -> np.ndarray:
    """Requests per minute one email campaign adds, from its start minute ``start``."""
    out = np.zeros(n_minutes)
    clickers = rng.binomial(audience, min(rate, 1.0))
    delivered = start + rng.uniform(0, max(throttle_minutes, 1e-9), clickers)
    local = (start / 60 + offset_hours) % 24 * 60
    clicks = delivered + _click_delays(clickers, rng, local)
    sizes = rng.geometric(1 / requests_per_visit, clickers)
    for first, size in zip(clicks, sizes, strict=True):  # a session's requests over the next minutes
        at = first + np.cumsum(rng.exponential(0.4, size)) - 0.4
        idx = at[(at >= 0) & (at < n_minutes)].astype(int)
        np.add.at(out, idx, 1)
    scanners = rng.binomial(audience, scanner_share)
    at = (start + rng.uniform(0, max(throttle_minutes, 1e-9), scanners) + rng.uniform(0, 2, scanners)).astype(int)
    np.add.at(out, at[at < n_minutes], rng.integers(1, 4, len(at[at < n_minutes])))
    return out


def site(rng: np.random.Generator, days: int, campaign_days: list[int], *, flop_chance: float = 0.12) -> SiteTraffic:
    """``days`` of a site's traffic with an email campaign on each of ``campaign_days`` (the last is the target)."""
    n = days * DAY
    minutes = np.arange(n)
    offset = int(rng.choice([-5, 0, 1, 2, 8, 9]))
    base_rps = float(rng.lognormal(np.log(8), 0.8))
    expected = base_rps * 60 * _diurnal(minutes, offset, rng)
    requests = rng.poisson(expected * rng.lognormal(0, 0.08, n)).astype(float)
    site_rate = float(rng.lognormal(np.log(0.02), 0.5))  # clicks per recipient, this site's level
    per_visit = float(rng.uniform(5, 15))
    audience_level = base_rps * rng.uniform(15_000, 60_000)
    site_throttle = float(rng.choice([0.0, 15.0, 30.0, 60.0]))  # the sender's setting: one per site
    scanner_share = float(rng.uniform(0.005, 0.03))             # recipients behind link-scanning mail filters
    extra = np.zeros(n)
    campaigns = []
    for i, d in enumerate(campaign_days):
        hour_local = rng.uniform(7, 19)
        start = int(d * DAY + ((hour_local - offset) % 24) * 60)
        audience = int(round(audience_level * rng.lognormal(0, 0.35), -2))
        flop = i < len(campaign_days) - 1 and rng.random() < flop_chance
        rate = site_rate * rng.lognormal(0, 0.35) * (0.01 if flop else 1.0)
        throttle = site_throttle * rng.uniform(0.8, 1.2)
        added = campaign_requests(n, start, audience, rate, per_visit, offset, rng, throttle,
                                  scanner_share * (0.01 if flop else 1.0))
        extra += added
        campaigns.append({"start_minute": start, "audience": audience, "flop": flop, "throttle_minutes": throttle,
                          "rate": rate})
    return SiteTraffic(requests + extra, extra, campaigns, base_rps, offset)
