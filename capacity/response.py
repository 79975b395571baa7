"""How an audience answers a campaign over time: a per-channel response curve and its size.

The curve is zero until a lag, rises smoothly to its peak over ``rise`` minutes, then decays
exponentially with time constant ``decay``: an email is opened over the first half hour and
then read for hours, a social post is faster, a press article fastest. Its size is the
requests the campaign brings per audience member (response × requests per visit). Both are
fitted to past campaigns' measured excess traffic (``fit``) and combined across them
(``capacity.learning.combine``) into a median curve with a p10-p90 band on its size; without
history the channel's documented prior is used (``PRIORS``). An email also has a send burst: mail link
scanners and image proxies fetching at once in its first minutes, measured beyond the curve.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from campaigns.model import Channel

BURST_MINUTES = 2  # an email's send burst: mail link scanners and image proxies fetch at once
Z90 = 1.2816  # the standard normal's 90th percentile: p10/p90 of a log-normal are exp(mu -/+ Z90 sd)


@dataclass(frozen=True)
class ChannelPrior:
    """What a channel's campaign brings when no past campaign says otherwise (minutes, ratios)."""

    lag: float
    rise: float
    decay: float
    response: float           # visits per audience member
    requests_per_visit: float
    spread: float             # p90 / p50 of the size: how far a campaign may stray from the prior
    burst: float = 0.0        # requests per audience member in the send burst (mail scanners, image prefetch)
    tail_share: float = 0.0   # share of the response in a slow tail (rise TAIL_RISE, decay tail_decay)
    tail_decay: float = 0.0
    morning_share: float = 0.0  # share coming back the next morning (email's late readers)

    @property
    def per_recipient(self) -> float:
        return self.response * self.requests_per_visit


# Sources and how each was fitted: docs/capacity-channels.md.
PRIORS: dict[Channel, ChannelPrior] = {
    Channel.EMAIL: ChannelPrior(0, 30, 30, 0.03, 12, 3.0, 0.01, 0.48, 1200, 0.08),
    Channel.SOCIAL: ChannelPrior(0, 8, 45, 0.01, 10, 3.0, 0.0, 0.3, 600),
    Channel.PRESS: ChannelPrior(0, 2, 30, 0.005, 8, 3.0, 0.0, 0.3, 720),
    Channel.PUSH: ChannelPrior(0, 2, 15, 0.05, 8, 3.0, 0.0, 0.2, 240),
    Channel.SMS: ChannelPrior(0, 2, 8, 0.06, 8, 3.0),
    Channel.ADS: ChannelPrior(5, 30, 240, 0.01, 10, 3.0),
    Channel.OTHER: ChannelPrior(0, 15, 90, 0.02, 10, 3.0, 0.0, 0.3, 720),
}
TAIL_RISE = 60.0
MORNING_SD = 90.0  # minutes: the next-morning bump's spread


def shape(minutes: np.ndarray, lag: float, rise: float, decay: float) -> np.ndarray:
    """The curve at ``minutes`` since the start, 1 at its peak."""
    x = (np.asarray(minutes, dtype=float) - lag) / max(rise, 1e-6)
    up = np.clip(x, 0, 1)
    out = up * up * (3 - 2 * up)
    after = x > 1
    out[after] = np.exp(-(np.asarray(minutes, dtype=float)[after] - lag - rise) / decay)
    out[x < 0] = 0.0
    return out


def area_minutes(rise: float, decay: float) -> float:
    """The curve's integral in minutes (its peak is 1): rise/2 + decay."""
    return rise / 2 + decay


@dataclass(frozen=True)
class Fit:
    """One past campaign's measured answer."""

    campaign_id: str
    name: str
    audience: int
    lag: float
    rise: float
    decay: float
    per_recipient: float   # requests per audience member, the tail beyond the window extrapolated
    peak_excess_rps: float
    multiplier_peak: float  # peak traffic / baseline (what a naive forecast would reuse)
    burst_per_recipient: float = 0.0
    signal_to_noise: float = math.inf  # fitted peak / its standard error from the residuals
    baseline_rps: float = 0.0          # the baseline level at its start


_LAGS = np.array([0.0, 2.0, 5.0, 10.0])
_RISES = np.geomspace(1, 120, 18)
_DECAYS = np.geomspace(5, 600, 22)


def fit(excess_rps: np.ndarray, step_minutes: float, skip: int = 0) -> tuple[float, float, float, float]:
    """(lag, rise, decay, peak excess rps) of the curve closest to ``excess_rps`` (one value per step from
    the start), by least squares over a grid of shapes with the best size for each; the first ``skip``
    steps (a send burst) are left out of the fit."""
    e = np.asarray(excess_rps, dtype=float)[skip:]
    minutes = (np.arange(len(e)) + skip + 0.5) * step_minutes
    best = (math.inf, 0.0, _RISES[0], _DECAYS[0], 0.0)
    ee = float(e @ e)
    for lag in _LAGS:
        for rise in _RISES:
            curves = np.stack([shape(minutes, lag, rise, d) for d in _DECAYS])
            es = curves @ e
            ss = np.einsum("ij,ij->i", curves, curves)
            sse = ee - np.where(ss > 0, es * es / np.maximum(ss, 1e-12), 0.0)
            k = int(np.argmin(sse))
            if sse[k] < best[0]:
                best = (float(sse[k]), float(lag), float(rise), float(_DECAYS[k]), float(es[k] / max(ss[k], 1e-12)))
    _, lag, rise, decay, amplitude = best
    return lag, rise, decay, max(amplitude, 0.0)


@dataclass(frozen=True)
class Response:
    """The curve and size expected for a campaign of one channel, and where they come from."""

    channel: Channel
    lag: float
    rise: float
    decay: float
    per_recipient_p10: float
    per_recipient_p50: float
    per_recipient_p90: float
    source: str
    learned: list[Fit] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)
    burst_per_recipient: float = 0.0  # requests per audience member in the first minutes, beyond the curve
    left_out: list[tuple[Fit, str]] = field(default_factory=list)  # past campaigns not learned from, and why
    tail_share: float = 0.0
    tail_decay: float = 0.0
    morning_share: float = 0.0

    def rps(self, minutes: np.ndarray, audience: float, per_recipient: float,
            morning_at: float | None = None) -> np.ndarray:
        """Requests/s the campaign adds at ``minutes`` since its start for a size per audience member: the
        curve (its main pulse, slow tail and, at ``morning_at`` minutes, the next-morning bump), plus the send
        burst spread evenly over its first ``BURST_MINUTES`` (scaled alike)."""
        m = np.asarray(minutes, dtype=float)
        total = audience * per_recipient  # requests over the whole curve
        morning = self.morning_share if morning_at is not None else 0.0
        main = 1.0 - self.tail_share - morning
        out = total * main * shape(m, self.lag, self.rise, self.decay) / (area_minutes(self.rise, self.decay) * 60)
        if self.tail_share:
            out += total * self.tail_share * shape(m, self.lag, TAIL_RISE, self.tail_decay) / (
                area_minutes(TAIL_RISE, self.tail_decay) * 60)
        if morning:
            bump = np.exp(-0.5 * ((m - morning_at) / MORNING_SD) ** 2) / (MORNING_SD * math.sqrt(2 * math.pi))
            out += total * morning * bump / 60
        burst = audience * self.burst_per_recipient * per_recipient / max(self.per_recipient_p50, 1e-12)
        return out + np.where((m >= 0) & (m < BURST_MINUTES), burst / (BURST_MINUTES * 60), 0.0)


def signal_to_noise(excess_rps: np.ndarray, step_minutes: float, skip: int, lag: float, rise: float, decay: float,
                    amplitude: float, block_minutes: float = 10) -> float:
    """The fitted peak over its standard error. Visits come in sessions, so the residuals are correlated from
    one minute to the next: they are summed in blocks of ``block_minutes``, and the error is that of a least-
    squares size under block noise of the blocks' spread. Below ~8 the uplift cannot be told from zero."""
    e = np.asarray(excess_rps, dtype=float)[skip:]
    minutes = (np.arange(len(e)) + skip + 0.5) * step_minutes
    curve = shape(minutes, lag, rise, decay)
    cc = float(curve @ curve)
    if cc <= 0:
        return 0.0
    width = max(1, int(round(block_minutes / step_minutes)))
    n = len(e) // width * width
    if n < 2 * width:
        return 0.0
    resid = (e - amplitude * curve)[:n].reshape(-1, width).sum(axis=1)
    weights = curve[:n].reshape(-1, width).mean(axis=1)
    sigma = float(np.std(resid, ddof=1))
    if sigma <= 0:
        return math.inf if amplitude > 0 else 0.0
    return amplitude * cc / (sigma * math.sqrt(float(weights @ weights)))
