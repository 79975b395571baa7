"""Find the distinct surges of a site: on total traffic and on its key slices.

The detector runs on the total and on each busy value of country, client class, path
group and utm_campaign, so a surge hidden in one slice still shows. New visits surging
(``alerts.detection.arrivals``) let the total open a spike sooner, on the first clear step up. Rises close in time
are one surge (a bot wave inside a campaign surge is one incident). Drops of the total
and rises of 4xx/5xx answers are reported apart, as outages rather than surges.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from alerts.detection.arrivals import SEND_FOLLOW, after_send, leading, send_bursts
from alerts.detection.baseline import SeasonalProfile
from alerts.detection.buckets import Traffic
from alerts.detection.detect import DetectorConfig, Observation, Spike, run_detector
from store import schema
from store.base import BUCKET_SECONDS
from store.schema import HUMAN, NONE, OTHER, SCANNER

TOTAL = DetectorConfig(sustain=3, z_led=3.0, sustain_sent=2)
SLICE = DetectorConfig(z_high=7.0, z_low=2.5, confirm=3, min_excess=40.0, min_ratio=2.0)
ERRORS = DetectorConfig(z_high=6.0, z_low=2.5, confirm=3, min_excess=5.0, min_ratio=2.0)
# A campaign's own requests failing: a small send's landing answering 404 a few times a bucket is news.
CAMPAIGN_ERRORS = DetectorConfig(z_high=4.0, z_low=1.5, confirm=3, min_excess=1.0, min_ratio=2.0, sustain=3,
                                 z_sustain=2.0)
MIN_ERROR_RATE = 0.2   # of the slice's requests failing, for an errors alert
MIN_BEFORE = 30        # requests of a slice before a burst needed to speak of its error rate before
ATTACK_ERRORS = 0.5    # share of a burst's failures sent by programs that makes it an attack's
SLICE_DIMENSIONS = ("country", "client", "path_group", "utm_campaign")
MERGE_GAP = 18          # buckets (3 min): rises closer than this are one surge
MIN_SLICE_SHARE = 0.002  # slices with less of the traffic are not judged alone
AUTOMATED = (schema.AUTOMATED, schema.CRAWLER)  # the actors that are programs (mail scanners apart)


@dataclass
class Surge:
    start: int
    end: int
    peak_time: int
    peak_value: float        # requests in the peak bucket
    expected_at_peak: float  # requests the baseline expected there
    detected_at: int
    open: bool
    i0: int                  # grid index of start
    i1: int                  # grid index of end (inclusive)
    trigger: str = "total"
    slices: list[str] = field(default_factory=list)
    send_burst: int | None = None  # start of a mail-scanner burst shortly before: the email send


@dataclass
class Outage:
    kind: str       # "drop" or "errors"
    what: str       # "total" or "status=5xx"
    start: int
    end: int
    value: float    # requests per bucket at the worst point
    expected: float
    open: bool
    attack_share: float = 0.0  # of the failing requests: from automated clients or failing login posts
    campaign: str | None = None  # the announced campaign whose utm_campaign fails (set by the analysis)


@dataclass
class Detection:
    surges: list[Surge]
    outages: list[Outage]
    levels: np.ndarray   # expected requests per bucket (judged traffic), from the causal baseline
    spreads: np.ndarray
    total: np.ndarray    # judged traffic: all requests but mail scanners'
    everything: np.ndarray  # all requests
    human_levels: np.ndarray | None = None  # people's own causal baseline (follows their daily rise); surges only


def _run(grid: np.ndarray, values: np.ndarray, config: DetectorConfig,
         profile: SeasonalProfile | None = None, lead: np.ndarray | None = None, sent: np.ndarray | None = None,
         ) -> tuple[list[Observation], list[Spike]]:
    def flags(x: np.ndarray | None) -> list[bool] | None:
        return None if x is None else np.asarray(x, dtype=bool).tolist()

    return run_detector(grid.astype(float).tolist(), np.asarray(values, dtype=float).tolist(), config,
                        flags(lead), profile, BUCKET_SECONDS, flags(sent))


def _index(grid: np.ndarray, t: float) -> int:
    return int((t - grid[0]) // BUCKET_SECONDS)


def _merge(spikes: list[Spike], grid: np.ndarray) -> list[Surge]:
    out: list[Surge] = []
    for s in sorted(spikes, key=lambda s: s.start):
        i0, i1 = _index(grid, s.start), _index(grid, s.end)
        if out and i0 - out[-1].i1 <= MERGE_GAP:
            cur = out[-1]
            cur.i1 = max(cur.i1, i1)
            cur.end = int(grid[cur.i1])
            cur.open = cur.open or s.open
            if s.peak_value > cur.peak_value:
                cur.peak_time, cur.peak_value, cur.expected_at_peak = int(s.peak_time), s.peak_value, \
                    s.expected_at_peak
            continue
        out.append(Surge(int(s.start), int(s.end), int(s.peak_time), s.peak_value, s.expected_at_peak,
                         int(s.detected_at), s.open, i0, i1))
    return out


def _error_rate_jumped(errors: np.ndarray, requests: np.ndarray, i0: int, i1: int) -> bool:
    """More errors only count when a larger share of requests fails (not just more traffic)."""
    seen = errors[i0:i1 + 1].sum() / max(requests[i0:i1 + 1].sum(), 1.0)
    r0 = max(0, i0 - 180)
    sent = requests[r0:i0].sum()
    # A slice that barely existed before (a campaign failing from its first click) has no rate to compare with.
    before = errors[r0:i0].sum() / sent if sent >= MIN_BEFORE else 0.0
    return bool(seen >= max(2.0 * before, MIN_ERROR_RATE))


def _merge_sends(surges: list[Surge], grid: np.ndarray) -> list[Surge]:
    """Surges following the same email send (its scanner burst, then its readers) are one."""
    out: list[Surge] = []
    for g in sorted(surges, key=lambda g: g.start):
        prev = out[-1] if out else None
        if prev is not None and g.send_burst is not None and g.send_burst == prev.send_burst:
            prev.i1 = max(prev.i1, g.i1)
            prev.end = int(grid[prev.i1])
            prev.open = prev.open or g.open
            prev.slices += [s for s in g.slices if s not in prev.slices]
            if g.peak_value > prev.peak_value:
                prev.peak_time, prev.peak_value, prev.expected_at_peak = g.peak_time, g.peak_value, g.expected_at_peak
            continue
        out.append(g)
    return out


def _slice_series(traffic: Traffic, cube: pd.DataFrame) -> dict[str, np.ndarray]:
    """Requests per bucket of each busy value of the slice dimensions, in ``cube`` (the judged requests)."""
    total = float(cube["requests"].sum()) or 1.0
    out = {}
    for dim in SLICE_DIMENSIONS:
        sums = cube.groupby(dim)["requests"].sum()
        for value, n in sums.items():
            if value in (NONE, OTHER, "") or n / total < MIN_SLICE_SHARE:
                continue
            out[f"{dim}={value}"] = traffic.series(cube[cube[dim] == value])
    return out


def total_config(sensitivity: float | None = None, min_rps: float | None = None) -> DetectorConfig:
    """The total's detector with the ``[alerts]`` settings: start mark and minimum volume."""
    changes: dict[str, float] = {}
    if sensitivity is not None:
        scale = sensitivity / TOTAL.z_high
        changes.update(z_high=sensitivity, z_sustain=TOTAL.z_sustain * scale, z_led=TOTAL.z_led * scale)
    if min_rps is not None:
        changes["min_excess"] = min_rps * BUCKET_SECONDS
    return replace(TOTAL, **changes)


def find_surges(traffic: Traffic, slices: bool = True, profile: SeasonalProfile | None = None,
                total_detector: DetectorConfig = TOTAL) -> Detection:
    """Surges (rises of total or of a slice) and outages of one site, in time order.

    ``profile`` (time of day from older history) scales the baseline of the total; without
    it the total learns its own from the buckets given.
    """
    grid = traffic.grid
    everything = traffic.total()
    is_scanner = traffic.cube["actor"] == SCANNER
    scanners = traffic.series(traffic.cube[is_scanner])
    # Mail link scanners click every link of a send within seconds: campaign automation, never a
    # surge of its own. Surges are judged on everything else; a scanner burst marks the send.
    total = everything - scanners
    judged = traffic.cube[~is_scanner]
    if not len(grid):
        return Detection([], [], np.zeros(0), np.zeros(0), total, everything)
    # New visits (external referrers, campaign links) surging lead the total: it opens on less;
    # so does its climb while a send's readers are due.
    bursts = send_bursts(scanners)
    lead = leading(traffic, judged, bursts)
    obs, spikes = _run(grid, total, total_detector, profile, lead, after_send(bursts, len(grid)))
    levels = np.array([o.expected.level for o in obs])
    spreads = np.array([o.expected.spread for o in obs])
    surges = _merge([s for s in spikes if s.direction == "rise"], grid)
    outages = [Outage("drop", "total", int(s.start), int(s.end), s.peak_value, s.expected_at_peak, s.open)
               for s in spikes if s.direction == "drop"]
    if slices:
        # A surge in one slice must add at least the volume asked of the total, too.
        slice_detector = replace(SLICE, min_excess=max(SLICE.min_excess, total_detector.min_excess))
        for name, series in _slice_series(traffic, judged).items():
            for s in _run(grid, series, slice_detector)[1]:
                if s.direction != "rise":
                    continue
                i0, i1 = _index(grid, s.start), _index(grid, s.end)
                hit = next((g for g in surges if i0 <= g.i1 + MERGE_GAP and i1 >= g.i0 - MERGE_GAP), None)
                if hit is not None:
                    if name not in hit.slices:
                        hit.slices.append(name)
                    if i0 < hit.i0:  # the surge showed in this slice first
                        hit.i0, hit.start = i0, int(s.start)
                    # A slice confirming it sooner found the surge sooner, whichever started first.
                    hit.detected_at = min(hit.detected_at, int(s.detected_at))
                    continue
                seg = total[i0:i1 + 1]
                k = int(np.argmax(seg)) + i0
                surges.append(Surge(int(s.start), int(s.end), int(grid[k]), float(total[k]), float(levels[k]),
                                    int(s.detected_at), s.open, i0, i1, trigger=name, slices=[name]))
        for s in _run(grid, scanners, SLICE)[1]:
            if s.direction != "rise":
                continue
            i0, i1 = _index(grid, s.start), _index(grid, s.end)
            for g in surges:
                if i0 - 6 <= g.i0 <= i1 + SEND_FOLLOW and g.send_burst is None:
                    g.send_burst = int(s.start)
                    g.slices.append(f"actor={SCANNER}")
        surges = _merge_sends(surges, grid)
        errors = traffic.cube[traffic.cube["status"].isin(["4xx", "5xx"])]
        series = {f"status={st}": traffic.series(errors[errors["status"] == st]) for st in ("4xx", "5xx")}
        # A campaign whose landing answers 4xx/5xx (a broken link in the email) shows in its utm_campaign.
        scope = {k: everything for k in series}
        for utm in sorted(set(errors["utm_campaign"]) - {NONE, OTHER, ""}):
            series[f"utm_campaign={utm}"] = traffic.series(errors[errors["utm_campaign"] == utm])
            scope[f"utm_campaign={utm}"] = traffic.series(traffic.cube[traffic.cube["utm_campaign"] == utm])
        for what, values in series.items():
            for s in _run(grid, values, CAMPAIGN_ERRORS if what.startswith("utm_campaign=") else ERRORS)[1]:
                if s.direction == "rise" and _error_rate_jumped(values, scope[what], _index(grid, s.start),
                                                                _index(grid, s.end)):
                    outages.append(Outage("errors", what, int(s.start), int(s.end), s.peak_value,
                                          s.expected_at_peak, s.open, _attack_share(errors, s.start, s.end)))
    surges.sort(key=lambda g: g.start)
    outages.sort(key=lambda o: o.start)
    return Detection(surges, outages, levels, spreads, total, everything, _human_levels(traffic) if surges else None)


def _human_levels(traffic: Traffic) -> np.ndarray:
    """The people's own causal baseline: while programs surge, people's traffic keeps its daily rise,
    which the total's baseline (held still during a surge) does not follow."""
    human = traffic.series(traffic.cube[traffic.cube["actor"] == HUMAN])
    return np.array([o.expected.level for o in _run(traffic.grid, human, TOTAL)[0]])


def _attack_share(errors: pd.DataFrame, t0: float, t1: float) -> float:
    """Share of the failing requests in [t0, t1] sent by automated clients or posted to a login form."""
    win = errors[(errors["t"] >= t0) & (errors["t"] <= t1)]
    total = float(win["requests"].sum())
    if total <= 0:
        return 0.0
    attack = win["actor"].isin(AUTOMATED) | ((win["path_group"] == "login") & (win["method"] == "POST"))
    return float(win.loc[attack, "requests"].sum()) / total
