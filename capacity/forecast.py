"""A campaign's traffic forecast: the baseline at each minute plus the campaign's uplift, with a band.

The uplift is audience × requests per audience member, spread over the channel's response
curve; both learned from past campaigns of the channel when the store has them (see
``capacity.history``), the channel's prior otherwise. p10 and p90 bound the uplift's size;
extra visits and leads follow from people's visits per request and conversions per visit.
The forecast is made as known at the campaign's start (or now, if that is earlier), so a past
campaign is forecast from what was known before it, never from its own traffic.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd

from campaigns.model import Campaign
from capacity import baseline, history, timing
from capacity.bounds import AUDIENCE_WARN_FACTOR, BoundsError, check
from capacity.learning import combine
from capacity.response import Response
from store.base import TimeSeriesStore, to_epoch
from store.state import StateDB

BEFORE = 2 * 3600
MIN_AFTER, MAX_AFTER = 6 * 3600, 48 * 3600


class ForecastError(ValueError):
    """A forecast cannot be made; the message names the campaign and what to set."""


@dataclass
class Forecast:
    campaign: Campaign
    audience: int
    asof: datetime
    step: int
    times: pd.DatetimeIndex
    baseline: np.ndarray
    uplift_p10: np.ndarray
    uplift_p50: np.ndarray
    uplift_p90: np.ndarray
    response: Response
    baseline_source: str
    conversion: history.Conversion
    evidence: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    totals: tuple[float, float, float] | None = None  # extra requests p10/p50/p90 (the band widened for timing is not)

    @property
    def expected(self) -> np.ndarray:
        return self.baseline + self.uplift_p50

    @property
    def low(self) -> np.ndarray:
        return self.baseline + self.uplift_p10

    @property
    def high(self) -> np.ndarray:
        return self.baseline + self.uplift_p90

    def extra_requests(self) -> tuple[float, float, float]:
        """Requests the campaign adds over the forecast window: p10, p50, p90."""
        if self.totals is not None:
            return self.totals
        return tuple(float(u.sum() * self.step) for u in (self.uplift_p10, self.uplift_p50, self.uplift_p90))

    def extra_visits(self) -> tuple[float, float, float]:
        return tuple(r * self.conversion.visits_per_request for r in self.extra_requests())

    def extra_leads(self) -> tuple[float, float, float]:
        return tuple(v * self.conversion.conversions_per_visit for v in self.extra_visits())

    @property
    def peak_index(self) -> int:
        return int(np.argmax(self.expected))

    def busiest(self, minutes: int = 5, which: str = "expected", after: datetime | None = None) -> float:
        """The mean requests/s of the busiest ``minutes`` of the p50 (or "low"/"high") forecast from ``after``
        (default: the whole window): the statistic an actual peak is measured with, so a one-minute send burst
        is not compared with a five-minute mean."""
        series = getattr(self, which)
        if after is not None:
            series = series[self.times >= pd.Timestamp(after)]
        k = max(1, round(minutes * 60 / self.step))
        if len(series) < k:
            return float(series.max()) if len(series) else 0.0
        return float(np.convolve(series, np.ones(k) / k, mode="valid").max())

    @property
    def peak_time(self) -> pd.Timestamp:
        return self.times[self.peak_index]

    def frame(self) -> pd.DataFrame:
        """One row per step: time (UTC), baseline, expected, low, high (requests/s)."""
        return pd.DataFrame({"time": self.times, "baseline": self.baseline, "expected": self.expected,
                             "low": self.low, "high": self.high})

    def summary(self) -> dict:
        lo, mid, hi = self.extra_requests()
        visits = self.extra_visits()
        leads = self.extra_leads()
        k = self.peak_index
        return {
            "campaign": {"id": self.campaign.id, "name": self.campaign.name, "channel": self.campaign.channel.value,
                         "start": iso_utc(self.campaign.start), "audience": self.audience, "site": self.campaign.site},
            "as_of": iso_utc(self.asof), "step_seconds": self.step,
            "baseline_rps_at_start": round(float(self.baseline[min(BEFORE // self.step, len(self.baseline) - 1)]), 3),
            "peak": {"time": iso_utc(self.peak_time), "rps": round(float(self.expected[k]), 3),
                     "rps_p10": round(float(self.low[k]), 3), "rps_p90": round(float(self.high.max()), 3)},
            "extra_requests": {"p10": round(lo), "p50": round(mid), "p90": round(hi)},
            "extra_visits": {"p10": round(visits[0]), "p50": round(visits[1]), "p90": round(visits[2])},
            "extra_leads": {"p10": round(leads[0], 1), "p50": round(leads[1], 1), "p90": round(leads[2], 1)},
            "learned_from": self.response.source,
            "learned_campaigns": [f.campaign_id for f in self.response.learned],
            "past_campaigns": [_past(f, None) for f in self.response.learned]
            + [_past(f, why) for f, why in self.response.left_out],
            "warnings": self.warnings,
            "baseline_from": self.baseline_source,
            "conversions_from": self.conversion.source,
            "evidence": self.evidence,
        }


def _uplift(response: Response, c: Campaign, plan_sends: list[tuple[float, float, str | None]], grid: np.ndarray,
            step: int, size: int, per: float) -> np.ndarray:
    """The campaign's requests/s on ``grid``: each send (zone, day) with its share of the audience."""
    start = to_epoch(c.start)
    out = np.zeros(len(grid))
    for offset, share, zone in plan_sends:
        minutes = (grid - start + step / 2) / 60 - offset
        morning = timing.morning_after(c.start + timedelta(minutes=offset), zone) if response.morning_share else None
        out += response.rps(minutes, size * share, per, morning)
    return out


def _rolling(x: np.ndarray, k: int, how) -> np.ndarray:  # noqa: ANN001 - np.min / np.max
    """``how`` over a window of ``k`` steps either side of each point."""
    if k <= 0:
        return x
    padded = np.pad(x, k, mode="edge")
    return how(np.lib.stride_tricks.sliding_window_view(padded, 2 * k + 1), axis=1)


def _past(f, why: str | None) -> dict:  # noqa: ANN001 - capacity.response.Fit
    return {"id": f.campaign_id, "name": f.name, "audience": f.audience,
            "requests_per_recipient": round(f.per_recipient, 4), "peak_excess_rps": round(f.peak_excess_rps, 3),
            "learned": why is None, "reason": why or "learned from"}


def iso_utc(t: datetime | pd.Timestamp) -> str:
    """ISO 8601 UTC with Z, whole seconds (the JSON of forecasts and plans)."""
    return pd.Timestamp(t).tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ")


def forecast(store: TimeSeriesStore, state: StateDB, campaign: Campaign, *, now: datetime | None = None,
             audience: int | None = None, step: int = 60) -> Forecast:
    """The traffic forecast of ``campaign`` from 2 hours before its start until its answer has faded."""
    size = audience if audience is not None else campaign.audience
    if not size or size <= 0:
        raise ForecastError(f"campaign {campaign.name!r} ({campaign.id}) has no audience: set its audience "
                            "(recipients, followers or readers) in the campaign file and import it again, or give "
                            "one for this plan (--audience N)")
    try:
        check("audience", size, label=f"campaign {campaign.name!r}: audience")
    except BoundsError as exc:
        raise ForecastError(str(exc)) from None
    start = to_epoch(campaign.start)
    asof = min(to_epoch(now or datetime.now(UTC)), start)
    fits = history.past_fits(store, state, campaign, asof)
    ids = [f.campaign_id for f in fits] or [c.id for c in history.site_campaigns(state, campaign.site)
                                            if c.channel == campaign.channel and c.id != campaign.id
                                            and to_epoch(c.start) < asof]
    response = combine(campaign.channel, fits, history.click_rate(store, campaign.site, ids, asof))
    plan_sends = timing.sends(campaign)
    fade = max(response.lag + response.rise + 5 * response.decay, 3 * response.tail_decay) * 60
    horizon = int(min(MAX_AFTER, max(MIN_AFTER, fade)))
    first = start + int(min(m for m, _, _ in plan_sends) * 60)
    first = first - first % step - BEFORE  # whole steps, so each point is one stored bucket
    grid = np.arange(first, start + int(max(m for m, _, _ in plan_sends) * 60) + horizon, step)
    others = [c for c in history.site_campaigns(state, campaign.site) if c.id != campaign.id
              and to_epoch(c.start) < asof]
    base = baseline.expected(store, campaign.site, grid, asof, [history.window(c) for c in others])
    uplift = [_uplift(response, campaign, plan_sends, grid, step, size, per) for per in
              (response.per_recipient_p10, response.per_recipient_p50, response.per_recipient_p90)]
    totals = tuple(float(u.sum() * step) for u in uplift)
    k = max(0, round(timing.TIMING_MINUTES * 60 / step))  # a send a little earlier or later than planned
    uplift[0] = _rolling(uplift[0], k, np.min)
    uplift[2] = _rolling(uplift[2], k, np.max)
    conv = history.conversion(store, campaign.site, [history.window(c) for c in others
                                                     if c.id in {f.campaign_id for f in fits}], asof)
    times = pd.DatetimeIndex(pd.to_datetime(grid, unit="s", utc=True))
    evidence = [f"baseline: {base.source}", *response.evidence, *timing.describe(campaign, plan_sends),
                f"timing: the band covers a send up to {timing.TIMING_MINUTES} min earlier or later",
                f"leads: {conv.source}"]
    if audience is not None and audience != campaign.audience:
        evidence.insert(0, f"audience {size:,} as given for this plan (the campaign says "
                           f"{campaign.audience or 'nothing'})")
    warnings = []
    past = [c.audience for c in others if c.audience and c.channel == campaign.channel]
    if past and size > AUDIENCE_WARN_FACTOR * max(past):
        warnings.append(f"audience {size:,} is over {AUDIENCE_WARN_FACTOR}× the largest past {campaign.channel.value} "
                        f"audience of {campaign.site} ({max(past):,}): check it (a typo, or a first send this big, "
                        "whose answer the past does not tell)")
    return Forecast(campaign, int(size), datetime.fromtimestamp(asof, UTC), step, times, base.rps, *uplift,
                    response, base.source, conv, evidence, warnings, totals)

