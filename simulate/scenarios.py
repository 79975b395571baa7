"""Named traffic scenarios with their campaign calendar and ground-truth labels.

``build(scenario, seed)`` lays a diurnal baseline (people and search crawlers) over
``history_hours``, injects the scenario's events at the surge time (``simulate.scenario_events``)
and runs the clock to the end. The label is the one the scenario declares (``simulate.truth``),
not one computed from the traffic. Every random choice comes from ``random.Random`` seeded by
``seed``; the same seed gives the same log.
"""

from __future__ import annotations

import gzip
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from simulate.audiences import MARKETS, REGION_GROUPS, baseline_audience
from simulate.bots import SearchCrawlers
from simulate.engine import Engine, Record, diurnal, strong_diurnal
from simulate.events import Injection, log_uniform
from simulate.humans import HumanTraffic, World, requests_per_session
from simulate.logline import CombinedFormatter
from simulate.scenario_events import scenario_injections
from simulate.site import Site
from simulate.truth import declared

SCENARIOS: tuple[str, ...] = ("campaign_surge", "unannounced_campaign", "viral_social", "press_flash_crowd",
                              "credential_stuffing", "l7_botnet", "scraper", "bot_during_campaign",
                              "campaign_plus_scraper", "quiet_day", "campaign_flop", "app_push_campaign",
                              "scalper_bots", "daily_rhythm", "broken_landing", "origin_down_flood",
                              "overlapping_campaigns", "slipped_send", "campaign_via_relays")
OVERRIDES: tuple[str, ...] = (
    "market", "site", "tz_offset_minutes", "surge_factor", "flop_factor", "bot_factor", "bot_kind",
    "bot_delay_minutes", "bot_minutes", "regions", "audience", "landing", "utm_campaign", "campaign_id",
    "campaign_name", "conversion_rate", "rise_minutes", "decay_minutes", "owner", "small_campaign",
    "crawler_rps", "pool_size", "agents", "days", "rhythm", "slip_minutes", "relay_share", "vpn_share",
    "cgnat_share", "outage_minutes", "unlisted_scanner_share",
)
_THEMES = ("spring-sale", "summer-drop", "black-week", "new-arrivals", "vip-preview", "flash-sale",
           "members-day", "winter-clearance", "mid-season", "back-to-school")
_OWNERS = ("crm-team", "lena.krause", "growth", "marketing-apac", "newsletter-desk")
_SHAPES = {  # (rise minutes low/high, decay minutes low/high)
    "email": (10, 30, 45, 150), "social": (4, 12, 25, 70), "press": (0.5, 3, 15, 45),
}
_SHAPE_OF = {"viral_social": "social", "press_flash_crowd": "press"}
PRE_ROLL_SECONDS = 1800  # sessions begun in the half hour before a log starts still show in it


@dataclass
class Truth:
    """One labelled surge: what caused it and when."""

    label: str                 # "campaign" | "organic" | "bot" | "mixed"
    start: datetime            # UTC, when the injected traffic begins
    end: datetime              # UTC, when it has decayed
    campaign: str | None       # name of the campaign that explains it (campaign / mixed)
    looks_like: str | None     # organic only: "viral_social" | "press" | "unannounced_campaign"
    doubled: datetime | None = None  # UTC, when the surge's own traffic first equals the baseline's (for 30 s)
    campaigns: tuple[str, ...] = ()  # every campaign behind the surge (two when sends overlap)
    landing_errors: bool = False     # the campaign's landing page fails: the analysis owes an errors item


@dataclass
class Simulation:
    scenario: str
    seed: int
    start: datetime
    end: datetime
    campaigns: list[dict]
    truth: list[Truth]
    site: str
    params: dict = field(default_factory=dict)
    utc_offset_minutes: int = 0
    volumes: dict[str, int] = field(default_factory=dict)  # requests injected per component
    records: list[Record] = field(default_factory=list, repr=False)
    roles: list[str] = field(default_factory=list, repr=False)  # of the components, by a record's index

    def bots_doubled(self) -> datetime | None:
        """When the programs of the first surge alone first add the baseline's traffic (for 30 s), counted
        from their first request: the moment a bot wave inside a campaign makes the surge ``mixed``."""
        if not self.truth or not self.roles:
            return None
        t0 = self.truth[0].start.timestamp()
        first = next((r[0] for r in self.records if r[0] >= t0 and self.roles[r[9]] == "bot"), None)
        return None if first is None else _doubled(self.records, self.roles, first, True)

    def bots_reach_share(self, share: float = 0.2, window: float = 300.0) -> datetime | None:
        """When the programs of the first surge first send ``share`` of the injected requests of the last
        ``window`` seconds (and have doubled the traffic): ``mixed`` asks that much of the extra traffic."""
        doubled = self.bots_doubled()
        if doubled is None or not self.truth:
            return None
        t0, step = self.truth[0].start.timestamp(), 10.0
        counts: dict[int, list[int]] = {}
        for r in self.records:
            role = self.roles[r[9]]
            if r[0] >= t0 and role in ("human", "bot"):
                counts.setdefault(int((r[0] - t0) // step), [0, 0])[role == "bot"] += 1
        width = int(window // step)
        first = int((doubled.timestamp() - t0) // step)
        for k in range(first, max(counts, default=0) + 1):
            recent = [counts.get(j, [0, 0]) for j in range(k - width + 1, k + 1)]
            bots, total = sum(c[1] for c in recent), sum(c[0] + c[1] for c in recent)
            if total and bots >= share * total:
                return datetime.fromtimestamp(t0 + k * step, UTC)
        return None

    def lines(self) -> Iterator[str]:
        """Combined log lines in time order (no trailing newline)."""
        formatter = CombinedFormatter(self.utc_offset_minutes)
        return map(formatter.line, self.records)

    def write(self, path: Path) -> int:
        """Write the log (gzip when the name ends in .gz); returns the number of lines."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        opener = gzip.open if path.suffix == ".gz" else open
        count = 0
        with opener(path, "wt", encoding="utf-8", newline="\n") as out:
            batch: list[str] = []
            for line in self.lines():
                batch.append(line)
                if len(batch) >= 20_000:
                    out.write("\n".join(batch) + "\n")
                    count += len(batch)
                    batch.clear()
            if batch:
                out.write("\n".join(batch) + "\n")
                count += len(batch)
        return count


def scenario_params(scenario: str, seed: int, overrides: dict) -> dict:
    """Every size, shape and name of a scenario, drawn from the seed and then overridden."""
    unknown = sorted(set(overrides) - set(OVERRIDES))
    if unknown:
        raise ValueError(f"unknown override(s) {', '.join(unknown)}; allowed: {', '.join(OVERRIDES)}")
    rng = random.Random(f"{seed}:params")
    market = rng.choice(("eu", "eu", "jp", "us"))
    regions = list(rng.choice(REGION_GROUPS))
    theme = rng.choice(_THEMES)
    shape = _SHAPES[_SHAPE_OF.get(scenario, "email")]
    p = {
        "market": market,
        "site": "shop.example.com",
        "regions": regions,
        "tz_offset_minutes": rng.choice((0, 0, int(MARKETS[market][2] * 60), 540, -300)),
        "surge_factor": log_uniform(rng, 2, 29),
        "flop_factor": rng.uniform(0.03, 0.25),
        "rise_minutes": rng.uniform(shape[0], shape[1]),
        "decay_minutes": rng.uniform(shape[2], shape[3]),
        "conversion_rate": rng.uniform(0.01, 0.06),
        "bot_kind": rng.choice(("credential_stuffing", "l7_botnet")),
        "small_campaign": rng.random() < 0.3,
        "bot_delay_minutes": rng.uniform(10, 40),
        "crawler_rps": rng.uniform(0.02, 0.08),
        "owner": rng.choice(_OWNERS),
        "landing": f"/{theme}",
        "pool_size": 600,
        "agents": 400,
    }
    slug = f"{theme}-{regions[0].lower()}-{rng.randrange(10, 99)}"
    p.update(utm_campaign=slug, campaign_id=slug,
             campaign_name=f"{theme.replace('-', ' ').title()} {'/'.join(regions)} #{slug[-2:]}")
    kind = p["bot_kind"] if scenario == "bot_during_campaign" else scenario
    p["bot_minutes"] = {"credential_stuffing": rng.uniform(15, 60), "l7_botnet": rng.uniform(10, 40),
                        "scraper": rng.uniform(30, 100), "campaign_plus_scraper": rng.uniform(60, 110)}.get(kind, 30.0)

    if scenario == "bot_during_campaign":
        p["bot_factor"] = log_uniform(rng, 2, 15) if p["small_campaign"] else p["surge_factor"] * rng.uniform(0.3, 1.5)
    elif scenario == "campaign_plus_scraper":
        p["bot_factor"] = p["surge_factor"] * rng.uniform(0.15, 0.8)
    else:
        p["bot_factor"] = log_uniform(rng, 2, {"scraper": 12, "scalper_bots": 10}.get(scenario, 29))
    # the imperfect world's parameters, drawn after the older ones so those keep their values per seed
    p["rhythm"] = "strong" if scenario == "daily_rhythm" else "mild"
    p["days"] = 3
    p["outage_minutes"] = rng.uniform(6, 20)
    if scenario == "origin_down_flood":
        p["bot_factor"] = log_uniform(rng, 6, 29)
    if scenario in ("scalper_bots", "origin_down_flood"):
        p["bot_minutes"] = rng.uniform(20, 60) if scenario == "scalper_bots" else rng.uniform(15, 40)
    if scenario == "slipped_send":
        p["slip_minutes"] = rng.uniform(20, 50)
    if scenario == "campaign_via_relays":
        p.update(relay_share=rng.uniform(0.15, 0.3), vpn_share=rng.uniform(0.1, 0.2), cgnat_share=0.2)
    p.update(overrides)
    if scenario == "bot_during_campaign" and p["small_campaign"] and "surge_factor" not in overrides:
        p["surge_factor"] = rng.uniform(0.2, 0.7)
    p["regions"] = [r.upper() for r in p["regions"]]
    if p["market"] not in MARKETS:
        raise ValueError(f"unknown market {p['market']!r}; use one of {', '.join(MARKETS)}")
    return p


def _surge_time(rng: random.Random, market: str) -> datetime:
    """A weekday morning-to-evening send time in the market's local time, spring 2025."""
    day = datetime(2025, 3, 3, tzinfo=UTC) + timedelta(days=rng.randrange(0, 56))
    local_hour = rng.uniform(8, 19)
    return (day + timedelta(hours=local_hour - MARKETS[market][2])).replace(second=0, microsecond=0)


def baseline_components(world: World, market: str, base_rps: float, crawler_rps: float,
                        rhythm: str = "mild") -> list:
    """People following the market's daily curve (mean ``base_rps`` requests/s) plus search crawlers;
    ``rhythm`` "strong" gives nights at a fifth of the mean and lunch and evening peaks."""
    audience = baseline_audience(world.site, market)
    offset = MARKETS[market][2]
    sessions = max(base_rps - crawler_rps, 0.0) / requests_per_session(world, audience)
    curve = strong_diurnal if rhythm == "strong" else diurnal
    people = HumanTraffic("baseline visitors", "baseline", world, audience, sessions, lambda t: curve(t, offset))
    return [people, SearchCrawlers("search crawlers", world.site, crawler_rps)]


def build(scenario: str, seed: int, *, history_hours: float = 4.0, surge_hours: float = 2.0,
          start: datetime | None = None, base_rps: float | None = None, scale: float | None = None,
          **overrides) -> Simulation:
    """Generate a scenario's log, campaign calendar and truth labels, deterministically from ``seed``."""
    if scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {scenario!r}; choose one of {', '.join(SCENARIOS)}")
    p = scenario_params(scenario, seed, overrides)
    prng = random.Random(f"{seed}:sizes")
    p["scale"] = scale if scale is not None else 1.0
    p["base_rps"] = (base_rps if base_rps is not None else prng.uniform(5, 15)) * p["scale"]
    if scenario == "daily_rhythm":  # several ordinary days of a small shop
        p["base_rps"] = min(p["base_rps"], 2.0 * p["scale"])
        history_hours = max(history_hours, 24.0 * p["days"] - surge_hours)
    if start is None:
        surge_at = _surge_time(prng, p["market"])
        start = surge_at - timedelta(hours=history_hours)
    else:
        start = (start if start.tzinfo else start.replace(tzinfo=UTC)).astimezone(UTC)
        surge_at = start + timedelta(hours=history_hours)
    end = surge_at + timedelta(hours=surge_hours)
    site = Site.generate(random.Random(f"{seed}:site"), p["site"])
    p.setdefault("featured_product", site.products[prng.randrange(0, 40)])
    world = World.create(random.Random(f"{seed}:agents"), site, seed, p["pool_size"], p["agents"])
    rng = random.Random(f"{seed}:traffic")
    t0, t_start, t_end = surge_at.timestamp(), start.timestamp(), end.timestamp()

    components = baseline_components(world, p["market"], p["base_rps"], p["crawler_rps"] * p["scale"], p["rhythm"])
    injections = scenario_injections(scenario, world, p, rng, t0, p["base_rps"])
    for injection in injections:
        components += injection.components
    engine = Engine(components, rng, t_start)
    visitors = [i for i, c in enumerate(components) if isinstance(c, HumanTraffic) and c.role == "baseline"]
    engine.pre_roll(PRE_ROLL_SECONDS, random.Random(f"{seed}:pre-roll"), visitors)
    records = list(engine.run(t_end))
    if scenario == "origin_down_flood":
        records = _origin_down(records, random.Random(f"{seed}:outage"), injections[0].start + 90,
                               p["outage_minutes"] * 60)

    truth = _truth(scenario, p, injections, t_start, t_end, records, [c.role for c in components])
    volumes: dict[str, int] = {}
    for i, component in enumerate(components):
        volumes[component.name] = volumes.get(component.name, 0) + sum(engine.per_minute.get(i, {}).values())
    return Simulation(scenario=scenario, seed=seed, start=start, end=end,
                      campaigns=[i.campaign for i in injections if i.campaign], truth=truth, site=site.host,
                      params=p, utc_offset_minutes=int(p["tz_offset_minutes"]), volumes=volumes, records=records,
                      roles=[c.role for c in components])


def _doubled(records: list, roles: list[str], t0: float, bots_only: bool, min_extra: float = 0.0) -> datetime | None:
    """Start of the first 10 s after ``t0`` in which the injected traffic equals the baseline's, and does so
    on average over the 30 s from there; with ``min_extra``, also adds at least that many requests per 10 s.

    The level is the baseline's mean over the 10 minutes before ``t0``: the moment a smooth rise
    has doubled the traffic, which the labels above call a surge. None if it never does.
    """
    step = 10.0
    counts: dict[int, list[int]] = {}
    inject = ("bot",) if bots_only else ("human", "bot")
    for r in records:
        if t0 - 600 <= r[0] < t0 + 6 * 3600:
            c = counts.setdefault(int((r[0] - t0) // step), [0, 0])
            role = roles[r[9]]
            c[0] += role == "baseline"
            c[1] += role in inject
    level = sum(c[0] for k, c in counts.items() if k < 0) / 60.0
    last = max(counts, default=0)
    # A bucket that has doubled and stays so on average over 30 s: one noisy bucket of a thin surge
    # is not yet a doubling, nor is a steep rise's first, nearly empty bucket.
    floor = max(level, min_extra, 1.0)
    hit = next((k for k in range(0, last + 1) if counts.get(k, [0, 0])[1] >= floor
                and sum(counts.get(j, [0, 0])[1] for j in range(k, k + 3)) >= 3 * floor), None)
    return None if hit is None else datetime.fromtimestamp(t0 + hit * step, UTC)


def _origin_down(records: list[Record], rng: random.Random, down_at: float, seconds: float) -> list[Record]:
    """The flood takes the origin down for everyone: from ``down_at`` for ``seconds``, nine requests in ten
    (people's, crawlers' and the flood's alike) get a 502/503/504 with a small error page."""
    out = []
    for r in records:
        if down_at <= r[0] < down_at + seconds and rng.random() < 0.9:
            r = (*r[:5], rng.choice((502, 503, 503, 504)), rng.randint(150, 600), *r[7:])
        out.append(r)
    return out


def _truth(scenario: str, p: dict, injections: list[Injection], t_start: float, t_end: float,
           records: list, roles: list[str]) -> list[Truth]:
    """The scenario's declared label (``simulate.truth``) with its event's own start and end."""
    verdict, looks_like = declared(scenario, p)
    if verdict is None or not injections:
        return []
    names = tuple(i.campaign["name"] for i in injections if i.campaign)
    event = injections[0]
    if verdict == "bot" and len(injections) > 1:  # the surge is the bot wave, which starts after the send
        event = injections[-1]
    start = max(event.start, t_start)
    end = min(max(i.end for i in injections), t_end)
    start_dt = datetime.fromtimestamp(start, UTC)
    doubled_dt = _doubled(records, roles, start, verdict == "bot") or start_dt
    return [Truth(label=verdict, start=start_dt, end=datetime.fromtimestamp(end, UTC),
                  campaign=names[0] if verdict in ("campaign", "mixed") and names else None,
                  looks_like=looks_like if verdict == "organic" else None, doubled=doubled_dt,
                  campaigns=names if verdict in ("campaign", "mixed") else (),
                  landing_errors=scenario == "broken_landing")]
