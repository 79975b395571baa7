"""What past campaigns did: their measured excess traffic, send clicks and people's conversions.

A past campaign of the same site and channel, with an audience, whose traffic is in the store,
is measured as the traffic over the baseline known at its start (other campaigns' windows
left out), from its start until 12 hours later, the next announced campaign or the end of
the stored data. Its curve is fitted (``capacity.response.fit``) and sized per audience member.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

from campaigns.model import Campaign, Status
from capacity import baseline
from capacity.response import BURST_MINUTES, Fit, area_minutes, fit, shape, signal_to_noise
from store.base import TimeSeriesStore, to_epoch
from store.state import StateDB

WINDOW = 12 * 3600          # how long after its start a campaign's excess is measured
MIN_MEASURED = 45 * 60      # a campaign with less traffic stored after its start teaches nothing yet
MAX_PAST = 12               # the most recent past campaigns of the channel used
STEP = 60

# Priors for people's visits and leads when the visitors measurement has nothing to say.
PRIOR_VISITS_PER_REQUEST = 0.1
PRIOR_CONVERSIONS_PER_VISIT = 0.02


def window(c: Campaign) -> tuple[int, int]:
    return to_epoch(c.start), to_epoch(c.start) + WINDOW


def site_campaigns(state: StateDB, site: str, until: datetime | None = None) -> list[Campaign]:
    return [c for c in state.list_campaigns(site=site, until=until) if c.status is not Status.CANCELLED]


def measure(store: TimeSeriesStore, c: Campaign, others: list[Campaign]) -> Fit | None:
    """The fitted answer of one past campaign, or None when too little of its traffic is stored."""
    t0 = to_epoch(c.start)
    later = [to_epoch(o.start) for o in others if to_epoch(o.start) > t0 and o.id != c.id]
    t1 = min([t0 + WINDOW, *later])
    actual = baseline.request_rate(store, c.site, t0 - t0 % STEP, t1, STEP)
    if actual.empty or int(actual.index.max()) + STEP - t0 < MIN_MEASURED:
        return None
    grid = np.arange(t0 - t0 % STEP, int(actual.index.max()) + STEP, STEP)  # minute buckets from the start's
    rps = actual.reindex(grid, fill_value=0.0).to_numpy()
    excluded = [window(o) for o in others if o.id != c.id and to_epoch(o.start) < t0]
    base = baseline.expected(store, c.site, grid, t0, excluded)
    if base.level_rps <= 0:
        return None
    excess = rps - base.rps
    skip = BURST_MINUTES * 60 // STEP
    lag, rise, decay, amplitude = fit(excess, STEP / 60, skip)
    smooth = pd.Series(excess).rolling(5, center=True, min_periods=1).mean().to_numpy()
    k = int(np.argmax(smooth))
    audience = int(c.audience or 0)
    per = amplitude * area_minutes(rise, decay) * 60 / audience if audience else 0.0
    curve = amplitude * shape((np.arange(skip) + 0.5) * STEP / 60, lag, rise, decay)
    burst = float(np.clip(excess[:skip] - curve, 0, None).sum() * STEP / audience) if audience else 0.0
    snr = signal_to_noise(excess, STEP / 60, skip, lag, rise, decay, amplitude)
    return Fit(c.id, c.name, audience, lag, rise, decay, per, float(max(smooth[k], 0.0)),
               float((base.rps[k] + max(smooth[k], 0.0)) / max(base.rps[k], 1e-9)), burst, snr, base.level_rps)


def past_fits(store: TimeSeriesStore, state: StateDB, c: Campaign, asof: int) -> list[Fit]:
    """Fits of the past campaigns of ``c``'s site and channel that started before ``asof``."""
    everyone = site_campaigns(state, c.site)
    past = [o for o in everyone if o.id != c.id and o.channel == c.channel and o.audience
            and to_epoch(o.start) + MIN_MEASURED <= asof]  # a planned one past its start may be a flop: judged later
    fits = []
    for o in past[-MAX_PAST:]:
        found = measure(store, o, everyone)
        if found is not None:
            fits.append(found)
    return fits


def click_rate(store: TimeSeriesStore, site: str, campaign_ids: list[str], until: int) -> float | None:
    """Clicks per recipient of these campaigns' sends (the ``sends`` measurement), None when none is stored."""
    if not campaign_ids:
        return None
    df = store.query("sends", 0, until, fields=["sent", "clicks"], where={"site": site, "campaign": campaign_ids})
    if df.empty or not float(df["sent"].sum()):
        return None
    return float(df["clicks"].sum()) / float(df["sent"].sum())


@dataclass(frozen=True)
class Conversion:
    visits_per_request: float
    conversions_per_visit: float
    source: str


def conversion(store: TimeSeriesStore, site: str, windows: list[tuple[int, int]], asof: int) -> Conversion:
    """People's visits per request and conversions per visit (distinct clients per 10 s as visits), from the
    ``visitors`` measurement during past campaigns, else the 7 days before ``asof``, else priors."""
    spans = [(a, min(b, asof)) for a, b in windows if a < asof] or [(asof - 7 * 86400, asof)]
    where = "past campaigns' windows" if windows else "the 7 days before"
    totals = {"requests": 0.0, "clients": 0.0, "conversions": 0.0}
    for a, b in spans:
        df = store.query("visitors", a, b, fields=list(totals), where={"site": site, "actor": "human"})
        if not df.empty:
            for k in totals:
                totals[k] += float(df[k].fillna(0).sum())
    if totals["requests"] <= 0 or totals["clients"] <= 0:
        return Conversion(PRIOR_VISITS_PER_REQUEST, PRIOR_CONVERSIONS_PER_VISIT,
                          f"no people's visits stored: default {PRIOR_CONVERSIONS_PER_VISIT:.0%} of visits convert, "
                          f"{1 / PRIOR_VISITS_PER_REQUEST:.0f} requests per visit")
    per_visit = totals["conversions"] / totals["clients"]
    return Conversion(totals["clients"] / totals["requests"], per_visit,
                      f"{per_visit:.1%} of people's visits converted in {where} "
                      f"({totals['conversions']:,.0f} conversions, {totals['clients']:,.0f} visits)")
