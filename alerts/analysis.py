"""From stored buckets to incidents: the one analysis both the live worker and ``analyze`` run.

Load a site's buckets, find its surges (total and slices), split each surge's excess by
actor, match it against the campaign calendar, give the verdict, and for bot / mixed
suggest what to block. Outages (drops to zero, bursts of 4xx/5xx) come back apart.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from alerts.detection.baseline import SeasonalProfile
from alerts.detection.buckets import Traffic, load_traffic
from alerts.detection.detect import DetectorConfig
from alerts.detection.log_days import PEAK_BUCKETS, OtherDaysProfile, other_days_profile
from alerts.detection.slices import (
    ATTACK_ERRORS,
    MERGE_GAP,
    SCANNER,
    TOTAL,
    Detection,
    Outage,
    Surge,
    find_surges,
)
from alerts.incidents.model import Incident, clock, iso
from alerts.judgement.block import rate_limit_paths, suggest_block
from alerts.judgement.classify import REFERENCE_BUCKETS, SEND_WINDOW, Excess, excess_of
from alerts.judgement.correlate import CHANNEL_LAG, EARLY, CampaignInfo
from alerts.judgement.people_networks import PeopleNetworks
from alerts.judgement.verdict import MIXED_SHARE, Verdict, automated_behaviour, judge
from store.base import BUCKET_SECONDS, TimeSeriesStore

ERRORS_HOLD = 60     # seconds a young attack-made error burst waits for its surge (live)
WAVE_BUCKETS = 30    # 5 min: a live surge twice this long is also judged on its latest minutes
HOSTING_TO_BLOCK = 0.5  # of the programs' extra from hosting networks, for a network block (else a rate limit)
USUAL_MARGIN = 1.5    # offline: a rise's busiest 5 min within this of the other days' at that time is usual
SEND_MATCH = 900  # seconds between an email campaign's announced start and the scanner burst of its send


@dataclass
class SiteAnalysis:
    site: str
    incidents: list[Incident]
    outages: list[Outage]
    buckets: int
    absorbed: list[tuple[Outage, Incident]] = field(default_factory=list)  # error bursts told inside a surge


def _incident(store: TimeSeriesStore, traffic: Traffic, det: Detection, idx: int,
              campaigns: list[CampaignInfo], live: bool, people: PeopleNetworks | None = None) -> Incident | None:
    surge = det.surges[idx]
    regions = _running_regions(surge, campaigns)
    ex = excess_of(traffic, surge, det, regions=regions)
    if not (live and surge.open) and not ex.rest_is_surge:
        # Minimum-volume guard: over no 5 minutes did people and programs add the baseline's own
        # volume (an email send's scanner burst alone, a blip). A live surge still going is kept.
        return None
    v = judge(surge, ex, campaigns)
    send = _send_campaign(surge, campaigns)
    _name_send(v, send, surge)
    if live and surge.open and v.verdict in ("campaign", "organic") and surge.i1 - surge.i0 >= 2 * WAVE_BUCKETS:
        _programs_wave(traffic, surge, det, v, campaigns)
    alternative = None
    if v.verdict in ("bot", "mixed"):
        h = _name_send(judge(surge, ex, campaigns, human_side=True), send, surge)
        alternative = {"verdict": h.verdict, "confidence": h.confidence, "campaign": h.campaign,
                       "evidence": h.evidence, "looks_like": h.looks_like}
    block = _block(store, traffic, det, surge, ex, v, people) if v.verdict in ("bot", "mixed") else None
    # A surge still going at the end of the data ends, for now, with the last bucket.
    end_of_last = (int(traffic.grid[-1]) if surge.open else surge.end) + BUCKET_SECONDS
    start = surge.start
    if surge.send_burst is not None and v.verdict != "bot":
        start = min(start, surge.send_burst)  # the surge began with the send its scanners show
    i0 = int((start - traffic.grid[0]) // BUCKET_SECONDS)
    k = i0 + int(det.everything[i0:surge.i1 + 1].argmax())
    if det.everything[k] > 1.1 * surge.peak_value and ex.scanner > 0:
        # The incident's peak counts every request; the headline's, the judged ones (no mail scanners).
        v.evidence.insert(1, f"With the mail link scanners and image proxies of the send, the peak was "
                             f"{det.everything[k] / BUCKET_SECONDS:.1f} req/s (at {clock(int(traffic.grid[k]))})")
    return Incident(
        id=Incident.make_id(traffic.site, start), site=traffic.site, start=start, end=end_of_last,
        peak_rps=float(det.everything[k]) / BUCKET_SECONDS, baseline_rps=float(det.levels[k]) / BUCKET_SECONDS,
        verdict=v.verdict, confidence=v.confidence, campaign=v.campaign, evidence=v.evidence, block=block,
        updated_at=time.time(), status="open" if surge.open else "closed", detected_at=surge.detected_at,
        bot_share=v.bot_share, looks_like=v.looks_like, peak_time=surge.peak_time, trigger=surge.trigger,
        extra={"slices": surge.slices, "excess": round(ex.total), "human_excess": round(ex.human),
               "automated_excess": round(ex.automated), "scanner_excess": round(ex.scanner),
               "human_ratio": round(ex.human_ratio, 3), "automated_ratio": round(ex.automated_ratio, 3),
               "automated_rate": round(ex.automated_rate, 3),
               "send_of": _send_of(surge, ex, send), "alternative": alternative},
    )


def _block(store: TimeSeriesStore, traffic: Traffic, det: Detection, surge: Surge, ex: Excess, v: Verdict,
           people: PeopleNetworks | None) -> dict:
    """What to block for a bot or mixed surge (networks, or a rate limit on the paths), told in evidence too."""
    grid = traffic.grid
    r0 = int(grid[max(0, surge.i0 - REFERENCE_BUCKETS)])
    r1 = int(grid[max(surge.i0 - 1, 0)])
    ref_total = float(det.total[max(0, surge.i0 - REFERENCE_BUCKETS):surge.i0].sum())
    scale = float(det.levels[surge.i0:surge.i1 + 1].sum()) / ref_total if ref_total > 0 else 0.0
    suggestion = suggest_block(store, traffic.site, surge.start, surge.end, r0, r1, scale, people,
                               people_since=int(grid[0]), households=bool(ex.usual))
    if ex.browsers >= 0.5 * ex.automated and ex.hosting_share < HOSTING_TO_BLOCK:
        # Bots driving browsers from home and mobile networks, like the customers': slow down their paths.
        suggestion.paths = rate_limit_paths(ex.automated_dims["path_group"])
        v.evidence.append(f"Only {ex.hosting_share:.0%} of the extra automated requests come from hosting "
                          f"networks: most programs share home and mobile networks with people, so the "
                          f"suggestion rate-limits the {', '.join(suggestion.paths)} paths they use")
    if suggestion.left_out:
        v.evidence.append(f"{suggestion.left_out} networks sending automated requests left out of the block: "
                          f"on-call said they carry people (incident {', '.join(suggestion.taught_by[:3])})")
    if suggestion.cidrs:
        v.evidence.append(f"Block suggestion: {len(suggestion.cidrs)} networks sending "
                          f"{suggestion.share:.0%} of the extra automated requests"
                          + (f" (mostly {', '.join(suggestion.asns[:3])})" if suggestion.asns else ""))
    elif not suggestion.left_out and not suggestion.paths:
        suggestion.paths = rate_limit_paths(ex.automated_dims["path_group"])
        v.evidence.append("No client network sends mostly automated requests (the programs share networks "
                          "with people): rate-limit the paths they hit rather than block networks")
    return suggestion.to_dict()


def _programs_wave(traffic: Traffic, surge: Surge, det: Detection, v: Verdict,
                   campaigns: list[CampaignInfo]) -> None:
    """A long surge of people still going is judged on its latest minutes too: programs surging inside
    it now (an attack hiding in a campaign) make it ``mixed`` at once, where over the whole surge they
    would be a small share for many minutes."""
    wave = excess_of(traffic, surge, det, recent=WAVE_BUCKETS, regions=_running_regions(surge, campaigns))
    share = wave.bot_share
    if share < MIXED_SHARE or wave.automated < MIXED_SHARE * max(wave.total, 1.0) or not wave.automated_is_surge:
        return
    minutes = WAVE_BUCKETS * BUCKET_SECONDS // 60
    whose = f"the {v.campaign} surge" if v.campaign else "the people's surge"
    v.verdict, v.confidence, v.bot_share = "mixed", round(0.55 + 0.4 * min(share / 0.5, 1.0), 2), share
    v.looks_like = None
    v.evidence.insert(2, f"In the last {minutes} min, {share:.0%} of the extra requests are automated: programs "
                         f"surge inside {whose}")
    v.evidence += [f"Last {minutes} min: {line}" for line in automated_behaviour(wave)]


def _running_regions(surge: Surge, campaigns: list[CampaignInfo]) -> tuple[str, ...]:
    """Countries of the announced campaigns running when the surge began."""
    out: list[str] = []
    for c in campaigns:
        end = c.end if c.end is not None else c.start + CHANNEL_LAG[c.channel][1]
        if c.start - EARLY <= surge.start <= end:
            out += [r for r in c.regions if r not in out]
    return tuple(out)


def _send_of(surge: Surge, ex: Excess, send: CampaignInfo | None) -> str | None:
    """The announced email campaign whose send (its scanner burst) can explain this surge's automated part.

    Only while the surge is young (its first two send windows) and unless the automated part
    is a login attack, which no link scanner makes.
    """
    if surge.send_burst is None or surge.end - surge.send_burst > 2 * SEND_WINDOW:
        return None
    paths = ex.automated_dims["path_group"]
    total = float(paths.sum())
    if total > 0 and float(paths.get("login", 0.0)) / total >= 0.3:
        return None
    return send.name if send else None


def _name_send(v: Verdict, send: CampaignInfo | None, surge: Surge) -> Verdict:
    """An 'organic' surge that began with an announced email send is that campaign's (a mixed one names it)."""
    if v.verdict == "mixed" and v.campaign is None and send is not None:
        v.campaign = send.name
        v.evidence.append(f"The people's part began with the send of {send.name}")
    if v.verdict == "organic" and send is not None and surge.send_burst is not None:
        v.verdict, v.campaign, v.looks_like = "campaign", send.name, None
        v.evidence = [e for e in v.evidence if not e.startswith(("No announced campaign", "Extra human traffic"))]
        v.evidence.append(f"The surge began with the send of {send.name}: mail link scanners from "
                          f"{clock(surge.send_burst)}, {abs(surge.send_burst - send.start) / 60:.0f} min from its "
                          "announced start")
    return v


def _send_campaign(surge: Surge, campaigns: list[CampaignInfo]) -> CampaignInfo | None:
    """The announced email campaign whose send the surge's mail-scanner burst is."""
    if surge.send_burst is None:
        return None
    sends = [c for c in campaigns if c.channel == "email" and abs(c.start - surge.send_burst) <= SEND_MATCH]
    return min(sends, key=lambda c: abs(c.start - surge.send_burst)) if sends else None


def analyze_site(store: TimeSeriesStore, site: str, start: int, end: int, campaigns: list[CampaignInfo], *,
                 live: bool = False, since: int | None = None,
                 profile: SeasonalProfile | None = None, detector: DetectorConfig = TOTAL,
                 people: PeopleNetworks | None = None) -> SiteAnalysis:
    """Incidents of ``site`` from the buckets in [start, end); only surges ending at or after ``since``.

    ``profile``: the time-of-day profile of the total from older history (live detection);
    ``people``: networks on-call said carry people, left out of block suggestions.
    """
    traffic = load_traffic(store, site, start, end, live=live)
    if profile is None and not live:
        # Offline, a log of several days gives its own time of day: each day against the others.
        profile = other_days_profile(traffic.grid, traffic.total() - traffic.series(
            traffic.cube[traffic.cube["actor"] == SCANNER]))
    det = find_surges(traffic, profile=profile, total_detector=detector)
    incidents = []
    for i, surge in enumerate(det.surges):
        if since is not None and surge.end + BUCKET_SECONDS < since and not surge.open:
            continue
        if isinstance(profile, OtherDaysProfile) and _usual_for_the_time(surge, det, traffic, profile):
            continue
        inc = _incident(store, traffic, det, i, campaigns, live, people)
        if inc is not None:
            incidents.append(inc)
    outages, absorbed = [], []
    for o in det.outages:
        _tie_to_campaign(o, campaigns, incidents)
        owner = _errors_owner(o, incidents)
        if owner is not None:
            _absorb(owner, o)
            absorbed.append((o, owner))
        elif live and _may_join_a_surge(o, traffic) and not any(_near(o, i) for i in incidents):
            continue  # judged again in a few seconds, when the surge it comes with may show
        else:
            outages.append(o)
    return SiteAnalysis(site, incidents, outages, len(traffic.grid), absorbed)


def _tie_to_campaign(o: Outage, campaigns: list[CampaignInfo], incidents: list[Incident]) -> None:
    """A campaign's landing failing (its utm_campaign answering 4xx/5xx) names the campaign, and the
    campaign's surge says so in its evidence: the people it brings meet an error page."""
    if o.kind != "errors" or not o.what.startswith("utm_campaign="):
        return
    utm = o.what.split("=", 1)[1]
    c = next((c for c in campaigns if c.utm_campaign == utm), None)
    o.campaign = c.name if c else None
    name = o.campaign or utm
    for inc in incidents:
        if (inc.campaign == o.campaign and o.campaign) and _near(o, inc):
            inc.evidence.append(f"The landing of {name} fails: up to {o.value / BUCKET_SECONDS:.1f} req/s of its "
                                f"utm_campaign={utm} answered 4xx/5xx from {clock(o.start)}; check the link")
            inc.extra.setdefault("errors", []).append(outage_report(o))


def _usual_for_the_time(surge: Surge, det: Detection, traffic: Traffic, profile: OtherDaysProfile) -> bool:
    """Offline, a rise whose busiest 5 minutes the log's other days matched at the same time of day
    (a night's busy moment that every night has) is the site's rhythm, not a surge."""
    usual = profile.usual_peak(surge.start, surge.end)
    if usual is None:
        return False
    # every 5 minutes that overlap the surge
    values = det.total[max(0, surge.i0 - PEAK_BUCKETS + 1):surge.i1 + PEAK_BUCKETS]
    w = min(PEAK_BUCKETS, len(values))
    cs = np.r_[0.0, np.cumsum(values)]
    return float((cs[w:] - cs[:-w]).max()) <= USUAL_MARGIN * usual


def _errors_owner(o: Outage, incidents: list[Incident]) -> Incident | None:
    """The surge an error burst is part of: the 401s of a login attack are the attack's.

    A burst of failures within a few minutes of a surge judged bot or mixed belongs to it.
    Inside a surge of people (a campaign), a burst of programs' failures stays an incident of
    its own: it is the first sign of an attack hiding in the campaign, until the surge's
    verdict says so. A drop, and a campaign's own landing failing (its utm_campaign answering
    4xx/5xx), always stand alone.
    """
    if not _may_be_an_attacks(o):
        return None
    return next((inc for inc in incidents if _near(o, inc) and inc.verdict in ("bot", "mixed")), None)


def _may_be_an_attacks(o: Outage) -> bool:
    """An error burst (not a drop) that is not a campaign's own landing failing."""
    return o.kind == "errors" and not o.what.startswith("utm_campaign=")


def _near(o: Outage, inc: Incident) -> bool:
    return inc.start - MERGE_GAP * BUCKET_SECONDS <= o.start <= inc.end


def _may_join_a_surge(o: Outage, traffic: Traffic) -> bool:
    """A young burst of programs' failures, with no surge yet: the surge often shows a bucket or two later."""
    return (_may_be_an_attacks(o) and o.open and o.attack_share >= ATTACK_ERRORS
            and int(traffic.grid[-1]) - o.start < ERRORS_HOLD)


def _absorb(inc: Incident, o: Outage) -> None:
    status = o.what.split("=", 1)[-1]
    inc.evidence.append(f"Failures come with it: up to {o.value / BUCKET_SECONDS:.1f} req/s answered {status} "
                        f"(baseline {o.expected / BUCKET_SECONDS:.1f} req/s) from {clock(o.start)}, "
                        f"{o.attack_share:.0%} of them sent by programs or posted to a login form")
    inc.extra.setdefault("errors", []).append(outage_report(o))


def outage_report(o: Outage) -> dict:
    out = {"kind": o.kind, "what": o.what, "start": iso(o.start), "end": iso(o.end + BUCKET_SECONDS),
           "rps": round(o.value / BUCKET_SECONDS, 2), "baseline_rps": round(o.expected / BUCKET_SECONDS, 2)}
    if o.campaign:
        out["campaign"] = o.campaign
    return out
