"""The measurements Surgewatch keeps: their tags, their fields and how each field rolls up.

This is the contract between collectors (who write) and alerts, capacity and pages
(who read). Every measurement carries the tags ``site`` and ``source`` (the collector
instance that owns the point); the access-log measurements also carry ``part`` (the file
or stream of that source that wrote it, see ``store.parts``). Every point covers one
10-second bucket.

Field kinds decide how rollups (1 min, 1 h) and multi-bucket queries combine values:
``counter`` sums, ``gauge`` averages (and ``max`` keeps the peak), ``sketch`` is a
base64 HyperLogLog merged by union (see ``store.sketch``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Kind(StrEnum):
    COUNTER = "counter"
    GAUGE = "gauge"
    MAX = "max"
    SKETCH = "sketch"


@dataclass(frozen=True)
class Measurement:
    name: str
    tags: tuple[str, ...]
    fields: dict[str, Kind]
    doc: str
    raw_retention_days: int | None = None  # None: the configured default
    # Summary rollups: name -> the only tags kept (see store.rollup), for wide, fast charts.
    summaries: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def kind(self, field: str) -> Kind:
        return self.fields.get(field, Kind.COUNTER)


# Client classes (tag ``client``), from the user agent.
CLIENT_CLASSES = (
    "browser",         # a person's web browser
    "app",             # a mobile / desktop app's HTTP client
    "search_crawler",  # verified search engine crawler (Googlebot from Google's networks...)
    "crawler",         # any other self-declared crawler or monitor
    "script",          # curl, python-requests, Go-http-client, empty UA...
    "headless",        # HeadlessChrome, PhantomJS, Puppeteer...
    "mail_scanner",    # corporate mail link scanners and mail privacy proxies
)
# Actor (tag ``actor``): who seems to be behind the request, from the client class and
# the client's behaviour (rate, assets loaded, login posts).
HUMAN, AUTOMATED, SCANNER, CRAWLER = ACTORS = ("human", "automated", "scanner", "crawler")
REFERRER_CLASSES = ("direct", "email", "social", "search", "internal", "other")
INTERNAL = "internal"  # the referrer class of a click inside the site
PATH_GROUPS = ("page", "landing", "asset", "api", "login", "checkout", "conversion", "other")
STATUS_CLASSES = ("1xx", "2xx", "3xx", "4xx", "5xx")
METHODS = ("GET", "POST", "HEAD", "other")
NONE = "none"    # tag value when a dimension is absent (no utm_campaign, unknown country)
OTHER = "other"  # tag value rare values fold into (bounded cardinality)

_common = ("site", "source")
_parted = _common + ("part",)  # access-log measurements: one part per file or stream (see store.parts)

MEASUREMENTS: dict[str, Measurement] = {
    m.name: m
    for m in (
        Measurement(
            "http",
            _parted + ("country", "client", "actor", "referrer", "path_group", "status", "method", "utm_campaign"),
            {"requests": Kind.COUNTER, "bytes": Kind.COUNTER},
            "Requests from access logs, broken down by the dimensions alerts and pages slice by.",
            summaries={"by_actor": ("site", "actor")},
        ),
        Measurement(
            "visitors",
            _parted + ("actor",),
            {
                "requests": Kind.COUNTER,
                "clients": Kind.COUNTER,        # distinct clients in the bucket
                "uniques": Kind.SKETCH,         # HLL of daily-salted visitor hashes
                "rpc_p50": Kind.GAUGE,          # requests per client in the bucket
                "rpc_p90": Kind.GAUGE,
                "rpc_max": Kind.MAX,
                "pages": Kind.COUNTER,
                "assets": Kind.COUNTER,
                "login_posts": Kind.COUNTER,
                "auth_failures": Kind.COUNTER,  # 401 / 403
                "conversions": Kind.COUNTER,
                "datacenter": Kind.COUNTER,     # requests from hosting/datacenter networks
                "ua_families": Kind.MAX,        # distinct user-agent families in the bucket
            },
            "Behaviour of the clients in each bucket: what tells people from programs.",
        ),
        Measurement(
            "networks",
            _parted + ("prefix", "asn"),
            {"requests": Kind.COUNTER, "login_posts": Kind.COUNTER, "auth_failures": Kind.COUNTER,
             "automated": Kind.COUNTER},
            "Top client networks (masked /24 or /48 prefixes, ASN) per bucket, kept only for incidents.",
            raw_retention_days=7,
        ),
        Measurement(
            "ingest",
            _parted + ("reason",),
            {"lines": Kind.COUNTER},
            "Lines read by a collector: reason parsed, late, or why a line was malformed.",
        ),
        Measurement(
            "campaign_visits",
            _parted + ("campaign",),
            {"visits": Kind.COUNTER, "conversions": Kind.COUNTER, "unattributed": Kind.COUNTER,
             "landing_requests": Kind.COUNTER, "landing_4xx": Kind.COUNTER, "landing_5xx": Kind.COUNTER},
            "People's visits by the campaign whose link they began on (campaign 'none': no campaign), the visits "
            "that converted, conversions during a campaign of visits not from its link, and its landing pages' "
            "requests and errors. Visits are followed in memory only (see collectors.weblog.attribution).",
        ),
        Measurement(
            "cdn",
            _common + ("provider", "country", "status"),
            {"requests": Kind.COUNTER, "cached": Kind.COUNTER, "misses": Kind.COUNTER, "bytes": Kind.COUNTER,
             "backend_fetches": Kind.COUNTER, "backend_failures": Kind.COUNTER},
            "CDN edge counters (Varnish, Cloudflare).",
        ),
        Measurement(
            "sends",
            _common + ("campaign", "channel"),
            {"sent": Kind.COUNTER, "opens": Kind.COUNTER, "clicks": Kind.COUNTER},
            "Campaign send metrics (Mailchimp and others).",
        ),
        Measurement(
            "origin",
            _common + ("metric",),
            {"value": Kind.GAUGE, "peak": Kind.MAX},
            "Origin metrics from Prometheus: rps, cpu, p95_latency, instances.",
        ),
    )
}

ROLLUPS = (("1m", 60), ("1h", 3600))


def rollup_name(measurement: str, suffix: str) -> str:
    return f"{measurement}_{suffix}"


def spec_for(measurement: str) -> Measurement | None:
    """The schema of a measurement or of one of its rollups."""
    if measurement in MEASUREMENTS:
        return MEASUREMENTS[measurement]
    for suffix, _ in ROLLUPS:
        base = measurement.removesuffix(f"_{suffix}")
        if base != measurement and base in MEASUREMENTS:
            return MEASUREMENTS[base]
    return None
