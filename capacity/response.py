"""How an audience answers a campaign over time: a per-channel response curve and its size.

The curve is zero until a lag, rises smoothly to its peak over ``rise`` minutes, then decays
exponentially with time constant ``decay``: an email is opened over the first half hour and
then read for hours, a social post is faster, a press article fastest. Its size is the
requests the campaign brings per audience member (response × requests per visit). Both are
fitted to past campaigns' measured excess traffic (``fit``) and combined across them
(``combine``) into a median curve with a p10-p90 band on its size; without history the
channel's documented prior is used (``PRIORS``). An email also has a send burst: mail link
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

    @property
    def per_recipient(self) -> float:
        return self.response * self.requests_per_visit


PRIORS: dict[Channel, ChannelPrior] = {
    Channel.EMAIL: ChannelPrior(0, 20, 90, 0.04, 12, 3.0, 0.01),
    Channel.SOCIAL: ChannelPrior(0, 8, 45, 0.01, 10, 3.0),
    Channel.PRESS: ChannelPrior(0, 2, 30, 0.005, 8, 3.0),
    Channel.PUSH: ChannelPrior(0, 3, 20, 0.05, 8, 3.0),
    Channel.SMS: ChannelPrior(0, 5, 30, 0.06, 8, 3.0),
    Channel.ADS: ChannelPrior(5, 30, 240, 0.01, 10, 3.0),
    Channel.OTHER: ChannelPrior(0, 15, 90, 0.02, 10, 3.0),
}


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

    def rps(self, minutes: np.ndarray, audience: float, per_recipient: float) -> np.ndarray:
        """Requests/s the campaign adds at ``minutes`` since its start for a size per audience member: the
        curve, plus the send burst spread evenly over its first ``BURST_MINUTES`` (scaled alike)."""
        m = np.asarray(minutes, dtype=float)
        total = audience * per_recipient  # requests over the whole curve
        out = total * shape(m, self.lag, self.rise, self.decay) / (area_minutes(self.rise, self.decay) * 60)
        burst = audience * self.burst_per_recipient * per_recipient / max(self.per_recipient_p50, 1e-12)
        return out + np.where((m >= 0) & (m < BURST_MINUTES), burst / (BURST_MINUTES * 60), 0.0)


def combine(channel: Channel, fits: list[Fit], click_rate: float | None = None) -> Response:
    """The median curve of past campaigns with a p10-p90 size band, or the channel's prior.

    The band is log-normal: its spread is the past campaigns' own, pulled toward the prior's
    spread when they are few, and widened for predicting a new campaign rather than the mean.
    """
    prior = PRIORS[channel]
    prior_sd = math.log(prior.spread) / Z90
    usable = [f for f in fits if f.audience > 0]
    if not usable:
        per = prior.per_recipient if click_rate is None else click_rate * prior.requests_per_visit
        lo, hi = per / prior.spread, per * prior.spread
        src = f"{channel.value} channel default (no past {channel.value} campaign with an audience in the store)"
        evidence = [f"response curve: {channel.value} default, peak {prior.lag + prior.rise:.0f} min after the "
                    f"start, decaying with a {prior.decay:.0f}-minute time constant"]
        if click_rate is None:
            evidence.append(f"size: {prior.response:.1%} of the audience visiting, {prior.requests_per_visit:.0f} "
                            f"requests per visit (channel default), ×{prior.spread:.0f} either way")
        else:
            evidence.append(f"size: {click_rate:.2%} clicks per recipient in past sends × "
                            f"{prior.requests_per_visit:.0f} requests per visit (channel default)")
        if prior.burst:
            evidence.append(f"send burst: {prior.burst:g} requests per recipient in the first {BURST_MINUTES} min "
                            "(mail scanners, image proxies; channel default)")
        return Response(channel, prior.lag, prior.rise, prior.decay, lo, per, hi, src, [], evidence,
                        prior.burst * per / prior.per_recipient)
    logs = np.log([max(f.per_recipient, 1e-6) for f in usable])
    n = len(usable)
    sample_sd = float(np.std(logs, ddof=1)) if n >= 2 else prior_sd
    sd = math.sqrt(((n - 1) * sample_sd**2 + prior_sd**2) / n) * math.sqrt(1 + 1 / n)
    mu = float(np.mean(logs))
    lag = float(np.median([f.lag for f in usable]))
    rise = float(np.exp(np.median(np.log([f.rise for f in usable]))))
    decay = float(np.exp(np.median(np.log([f.decay for f in usable]))))
    plural = "s" if n > 1 else ""
    src = f"learned from {n} past {channel.value} campaign{plural}"
    evidence = [f"{src}: " + "; ".join(f"{f.name} ({f.audience:,} recipients: {f.per_recipient:.3f} requests each, "
                                       f"peak +{f.peak_excess_rps:.1f} req/s)" for f in usable[-5:]),
                f"response curve: peak {lag + rise:.0f} min after the start, decaying with a {decay:.0f}-minute "
                "time constant (median of the past campaigns' fitted curves)"]
    if click_rate is not None:
        evidence.append(f"past sends: {click_rate:.2%} clicks per recipient, so about "
                        f"{math.exp(mu) / max(click_rate, 1e-9):.0f} requests per click")
    burst = float(np.median([f.burst_per_recipient for f in usable]))
    if burst > 0:
        evidence.append(f"send burst: {burst:.4f} requests per recipient in the first {BURST_MINUTES} min "
                        "(median of the past campaigns)")
    return Response(channel, lag, rise, decay, math.exp(mu - Z90 * sd), math.exp(mu), math.exp(mu + Z90 * sd),
                    src, usable, evidence, burst)
