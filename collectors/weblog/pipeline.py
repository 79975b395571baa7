"""Runs the access-log steps over lines and writes whole 10-second buckets to the store.

``parse → client address → enrich → privacy → aggregate``: each step is its own module;
this one wires them with caches keyed on the raw strings (most lines repeat an address,
a user agent, a path), keeps the buckets of the open window (default 5 min) and writes a
bucket once the newest line is past its window. Lines for a bucket already written are
counted ``late``; malformed lines are counted by reason. Neither is ever silently lost.
"""

from __future__ import annotations

import itertools
import logging
import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from collectors.weblog.aggregate import Bucket
from collectors.weblog.attribution import Attribution
from collectors.weblog.behaviour import ActorTracker
from collectors.weblog.cardinality import CampaignFolder
from collectors.weblog.client_address import ClientAddress, named_peer
from collectors.weblog.formats import AutoParser, Parser, parser_for, sniff, unknown_format_message
from collectors.weblog.geo import GeoLookup, NetInfo
from collectors.weblog.mail_security import MailSecurityNetworks
from collectors.weblog.options import WeblogOptions
from collectors.weblog.paths import PathGrouper
from collectors.weblog.privacy import DailyIds
from collectors.weblog.query import split_target, utm_params
from collectors.weblog.reasons import Reason
from collectors.weblog.referrer import EMAIL_MEDIUMS
from collectors.weblog.useragent import classify, verify
from collectors.weblog.writes import BucketWrites, _Sent
from store.base import BUCKET_SECONDS, StoreError, TimeSeriesStore
from store.schema import METHODS, NONE, OTHER, STATUS_CLASSES

if TYPE_CHECKING:
    from campaigns.model import Campaign

log = logging.getLogger(__name__)

STATUS_CLASS = dict(enumerate(STATUS_CLASSES, start=1))      # status // 100 -> class; 6xx and up count as 5xx
METHOD_CLASS = {m: m for m in METHODS if m != OTHER}          # any other method is "other"
SAMPLES_PER_REASON = 3
COLUMNAR_FORMATS = ("combined", "common", "vhost_combined", "varnishncsa", "combined_request_time",
                    "traefik_clf", "ingress_nginx", "clf", "ncsa")
CAMPAIGNS_REREAD = 300.0  # seconds: the calendar is read again at least this often, changed or not


@dataclass
class IngestStats:
    lines: int = 0
    parsed: int = 0
    malformed: dict[str, int] = field(default_factory=dict)
    late: int = 0
    seconds: float = 0.0
    comments: int = 0
    points_written: int = 0
    samples: dict[str, list[str]] = field(default_factory=dict)  # redacted malformed lines

    @property
    def lines_per_second(self) -> float:
        return self.lines / self.seconds if self.seconds > 0 else 0.0

    def add(self, other: IngestStats) -> None:
        self.lines += other.lines
        self.parsed += other.parsed
        self.late += other.late
        self.seconds += other.seconds
        self.comments += other.comments
        self.points_written += other.points_written
        for r, n in other.malformed.items():
            self.malformed[r] = self.malformed.get(r, 0) + n


class WeblogPipeline(BucketWrites):
    """Stateful aggregation of one source's lines (one or many files, live or backfill).

    ``part`` names the file or stream whose part of each bucket this pipeline writes (the
    ``part`` tag, see ``store.parts``); the live tail writes the source's own part ("").
    """

    def __init__(self, store: TimeSeriesStore, *, site: str, source: str, fmt: str = "combined",
                 options: WeblogOptions | None = None, salt: bytes | None = None, state=None,  # noqa: ANN001
                 part: str = "") -> None:
        self.store = store
        self.site = site
        self.source = source
        self.part = part
        self.options = opts = options or WeblogOptions()
        self.fmt = fmt
        self._parser: Parser = parser_for(fmt)  # "auto": sniffed from the lines, followed line by line
        self._clients = ClientAddress(opts.trusted_proxies)
        self._mail_security = MailSecurityNetworks(opts.mail_security_networks)
        self._geo = GeoLookup(mmdb_path=opts.mmdb_path, datacenter_asns=opts.datacenter_asns)
        self._apps = re.compile("|".join(f"(?:{p})" for p in opts.app_user_agents)) if opts.app_user_agents else None
        self._paths = PathGrouper(opts.path_groups)
        self._ids = DailyIds(site, salt=salt, state=state)
        self._own = frozenset(h.lower() for h in opts.own_hosts)
        self._safe = frozenset(k.lower() for k in opts.safe_query_keys)
        self._folder = CampaignFolder(opts.max_campaigns, opts.campaign_min_requests)
        self.state_db = state
        self._tracker = ActorTracker(opts)
        self._window = opts.open_window_seconds
        self.buckets: dict[int, Bucket] = {}
        self.pending: list[Bucket] = []     # closed, not yet written (store unreachable)
        self.newest = -1                    # newest bucket start seen
        self.closed_before = -1             # buckets starting before this are closed
        self._orphans: dict[str, int] = {}  # counts before the first bucket exists
        self._who: dict[tuple[str, str], tuple | None] = {}
        self._targets: dict[tuple[str, str], tuple[str, str | None, bool, str]] = {}
        self.attribution = Attribution()
        self._campaigns_seen: tuple[int, int] | None = None
        self._campaigns_read = 0.0
        self.refresh_campaigns()
        self.stats = IngestStats()
        self._dirty: set[int] = set()       # open buckets changed since the last write_open
        self._filling: set[int] = set()     # written by write_open without networks: their 10 s were not over
        self._warned_format = False
        self._sent = _Sent()                # fields last written per bucket and series (unchanged: not resent)
        self.feeder = None                  # the block feeder (``blocks.feeder_of``), made at the first block

    # -- campaigns -----------------------------------------------------------------------------
    def refresh_campaigns(self) -> None:
        """Read the announced campaigns again: their utm_campaign tags and landing pages."""
        if self.state_db is None:
            return
        try:
            version = self.state_db.campaigns_version(site=self.site)
            if version == self._campaigns_seen and time.monotonic() - self._campaigns_read < CAMPAIGNS_REREAD:
                return  # nothing changed: a large calendar is not read again at every look
            campaigns = self.state_db.list_campaigns(site=self.site)
            self._campaigns_seen, self._campaigns_read = version, time.monotonic()
        except Exception as exc:  # noqa: BLE001 - campaigns are a hint only
            log.warning("accesslog %s: could not read campaigns from the state DB (%s)", self.source, exc)
            return
        self.set_campaigns([c.utm_campaign for c in campaigns if c.utm_campaign],
                           [p for c in campaigns for p in c.landing])
        self.attribution.set_campaigns(campaigns)

    def set_campaigns(self, utm_campaigns: list[str], landing: list[str]) -> None:
        """Campaigns known in advance: their utm_campaign gets its own tag at once, landing pages their group."""
        self._folder.admitted.update(utm_campaigns)
        if self._paths.set_landing(landing):
            self._targets.clear()

    # -- parse, enrich, aggregate: a block of lines at a time (``collectors.weblog.columnar``) --------
    def feed(self, lines: Iterable[str], block_lines: int | None = None) -> int:
        """Process lines; write buckets that closed; return how many lines were read."""
        from collectors.weblog.blocks import BLOCK_LINES, feed_lines

        n = feed_lines(self, lines, block_lines or BLOCK_LINES)
        st = self.stats
        parser = self._parser
        if not self._warned_format and isinstance(parser, AutoParser) and parser.name is None and st.lines >= 50:
            self._warned_format = True  # the live tail: nothing read so far is in a known format
            log.warning("accesslog %s", unknown_format_message(self.source, [next(iter(st.samples.get(
                Reason.NO_MATCH, [""])))]))
        t0 = time.perf_counter()
        self.write_closed()
        st.seconds += time.perf_counter() - t0
        return n

    def combined_shape(self) -> bool:
        """Whether lines of the combined shape may be split by the block parser (the format is combined-like)."""
        parser = self._parser
        name = parser.name if isinstance(parser, AutoParser) else self.fmt.strip().lower()
        return name in COLUMNAR_FORMATS

    def _enrich_client(self, addr: str, ua: str) -> tuple | None:
        net = self._geo.lookup(addr)
        if net is None and named_peer(addr):  # a hostname or unix socket: counted, nowhere to locate
            net = NetInfo(NONE, NONE, False, NONE)
        if net is None:
            who = None
        else:
            agent = classify(ua)
            client = verify(agent, net.asn) if agent.engine else \
                self._mail_security.client_class(agent.client, addr, ua)
            if self._apps is not None and client in ("script", "app", "browser") and self._apps.search(ua):
                client = "app"  # the site's own app, as the settings name it
            who = (net.country, client, net.asn, net.datacenter, net.prefix, agent.family)
        if len(self._who) > 100_000:
            self._who.clear()
        self._who[(addr, ua)] = who
        return who

    def _enrich_target(self, raw: str, method: str) -> tuple[str, str | None, bool, str]:
        path, query = split_target(raw)
        utm = utm_params(query, self._safe) if query else {}
        out = (self._paths.group(path, method), utm.get("utm_campaign"), utm.get("utm_medium") in EMAIL_MEDIUMS, path)
        if len(self._targets) > 50_000:
            self._targets.clear()
        self._targets[(raw, method)] = out
        return out

    # -- buckets ---------------------------------------------------------------------------
    def _advance(self, start: int) -> None:
        self.newest = start
        b = self.buckets[start] = Bucket(start)
        if self._orphans:
            for r, n in self._orphans.items():
                b.count(r, n)
            self._orphans = {}
        limit = start - self._window
        if limit > self.closed_before:
            self.closed_before = limit
            for s in sorted(k for k in self.buckets if k < limit):
                self.pending.append(self.buckets.pop(s))
            self._tracker.prune(start)
            if len(self.pending) >= 30:  # backfill: write as we go, memory stays bounded
                self.write_closed()

    def flush(self) -> int:
        """Close and write every open bucket (end of a backfill, shutdown)."""
        if self._orphans:  # only malformed lines, never a parsed one: count them at "now"
            start = int(time.time()) // BUCKET_SECONDS * BUCKET_SECONDS
            b = self.buckets.setdefault(start, Bucket(start))
            for r, n in self._orphans.items():
                b.count(r, n)
            self._orphans = {}
        for s in sorted(self.buckets):
            self.pending.append(self.buckets.pop(s))
        if self.newest >= 0:
            self.closed_before = self.newest + BUCKET_SECONDS
        return self.write_closed()

    # -- checkpoints -----------------------------------------------------------------------
    def state(self) -> dict:
        return {
            "fmt": self.fmt,
            "buckets": [b.state() for b in self.buckets.values()],
            "pending": [b.state() for b in self.pending],
            "newest": self.newest,
            "closed_before": self.closed_before,
            "orphans": self._orphans,
            "tracker": self._tracker.state(),
            "campaigns": self._folder.state(),
            "attribution": self.attribution.state(),
        }

    def load(self, data: dict) -> None:
        self.buckets = {b.start: b for b in (Bucket.from_state(s) for s in data.get("buckets", []))}
        self.pending = [Bucket.from_state(s) for s in data.get("pending", [])]
        self.newest = int(data.get("newest", -1))
        self.closed_before = int(data.get("closed_before", -1))
        self._orphans = dict(data.get("orphans", {}))
        self._tracker.load(data.get("tracker", {}))
        self._folder.load(data.get("campaigns", {}))
        self.attribution.load(data.get("attribution", {}))
        self._recall_written()
        self._dirty = set(self.buckets)  # written again (networks too) at the next write_open



def ingest_lines(lines: Iterable[str], store: TimeSeriesStore, *, site: str, source: str, fmt: str = "combined",
                 salt: bytes | None = None, state=None,  # noqa: ANN001
                 options: WeblogOptions | None = None, block_lines: int | None = None,
                 campaigns: tuple[list[str], list[str]] | None = None, part: str = "",
                 announced: list[Campaign] | None = None,
                 on_progress: Callable[[int], None] | None = None) -> IngestStats:
    """Aggregate ``lines`` into 10 s buckets, write them to ``store``, flush every bucket at the end.

    Lines are read a block of ``block_lines`` at a time (``collectors.weblog.columnar``); the
    buckets written do not depend on the block size. ``campaigns`` gives utm_campaign tags and
    landing prefixes known in advance when there is no state DB; ``announced``, whole campaigns
    (their tags and landing prefixes too, and their visits attributed).
    """
    pipe = WeblogPipeline(store, site=site, source=source, fmt=fmt, options=options, salt=salt, state=state,
                          part=part)
    if campaigns:  # (utm_campaign tags, landing prefixes) known in advance, without a state DB
        pipe.set_campaigns(*campaigns)
    if announced:
        pipe.set_campaigns([c.utm_campaign for c in announced if c.utm_campaign],
                           [p for c in announced for p in c.landing])
        pipe.attribution.set_campaigns(announced)
    lines = iter(counted(lines, on_progress) if on_progress else lines)
    name = fmt.strip().lower()
    if name == "auto":  # the format most of the first lines are in; the parser follows any change after
        head = list(itertools.islice(lines, 20))
        name = sniff(head) or "combined"
        pipe._parser = AutoParser(name)
        lines = itertools.chain(head, lines)
    pipe.feed(lines, block_lines)
    return finish(pipe)


def counted(lines: Iterable[str], on_progress: Callable[[int], None], every: int = 20_000) -> Iterator[str]:
    """``lines`` as they are, calling ``on_progress`` with how many were read every ``every`` lines and at the end."""
    n = 0
    for line in lines:
        yield line
        n += 1
        if n == every:
            on_progress(n)
            n = 0
    on_progress(n)


def finish(pipe: WeblogPipeline) -> IngestStats:
    """End of a backfill: write every bucket; StoreError if some could not be written."""
    t0 = time.perf_counter()
    pipe.flush()
    pipe.stats.seconds += time.perf_counter() - t0
    if pipe.pending:
        raise StoreError(f"accesslog {pipe.source}: {len(pipe.pending)} bucket(s) could not be written; "
                         "check that the store is reachable and run again")
    return pipe.stats
