"""What to block for a bot or mixed surge: the offending networks, as nginx and CIDR text.

Networks come from the ``networks`` measurement (masked /24 and /48 prefixes with their
ASN). A prefix is suggested only when its extra requests in the surge are almost all
automated; prefixes carrying people (the campaign's audience), the published networks of
verified search crawlers, mail image proxies and link scanners (``alerts.judgement.service_networks``)
are never suggested. The collector keeps every network that sent automated requests (up to
``top_automated_networks`` per bucket), so a botnet spread thin over hundreds of /24s is
named whole; adjacent prefixes are merged into the fewest CIDRs. Networks on-call said carry
people (``alerts.judgement.people_networks``) are left out, and the suggestion says how many.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from alerts.judgement.people_networks import PeopleNetworks
from alerts.judgement.service_networks import is_service_network
from store.base import TimeSeriesStore

MIN_AUTOMATED_SHARE = 0.8
MIN_REQUESTS = 3.0          # extra automated requests a prefix needs in the surge to be named at all
MIN_SHARE_OF_ATTACK = 0.0005  # ... and this share of all of them: a botnet spread thin over 1,000 /24s still counts
MAX_PREFIXES = 2000
HOUSEHOLDS = 20         # networks of people needed to say what one sends
CUSTOMERS_SHARE = 0.01   # of people's requests before the surge an ASN must carry to be the customers' ...
CUSTOMERS_PEOPLE = 0.5   # ... and people this share of its requests: never named in a block


@dataclass
class BlockSuggestion:
    cidrs: list[str] = field(default_factory=list)
    asns: list[str] = field(default_factory=list)
    requests: float = 0.0      # extra automated requests the CIDRs sent in the surge
    share: float = 0.0         # of all extra automated requests
    left_out: int = 0          # prefixes left out because on-call said they carry people ...
    taught_by: list[str] = field(default_factory=list)  # ... in these incidents
    paths: list[str] = field(default_factory=list)  # path groups to rate-limit instead (programs on home networks)

    @property
    def nginx(self) -> str:
        lines = [f"deny {c};" for c in self.cidrs]
        deny = "\n".join(["# Surgewatch block suggestion: review before applying", *lines]) if lines else ""
        limit = rate_limit_snippet(self.paths) if self.paths else ""
        return "\n".join(x for x in (deny, limit) if x)

    def to_dict(self) -> dict[str, Any]:
        out = {"cidrs": self.cidrs, "asns": self.asns, "nginx": self.nginx, "requests": round(self.requests),
               "share": round(self.share, 3)}
        if self.left_out:
            out |= {"left_out": self.left_out, "taught_by": self.taught_by}
        if self.paths:
            out["rate_limit"] = self.paths
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> BlockSuggestion | None:
        if not d:
            return None
        return cls(list(d.get("cidrs", [])), list(d.get("asns", [])), float(d.get("requests", 0)),
                   float(d.get("share", 0)), int(d.get("left_out", 0)), list(d.get("taught_by", [])),
                   list(d.get("rate_limit", [])))


# Where each path group usually lives (the access log's default groups); the snippet says to adjust them.
LOCATIONS = {
    "checkout": r"^/(cart|checkout|basket|payment)(/|$)",
    "login": r"^/(login|signin|sign-in|auth|account/login|users?/sign_in|wp-login\.php)(/|$)",
    "api": r"^/(api|graphql)(/|$)",
    "conversion": r"^/(thank-?you|order|signup|register)(/|$)",
    "landing": r"^/$",
    "page": r"^/",
}


def rate_limit_paths(paths: pd.Series) -> list[str]:
    """The path groups holding most of the programs' extra requests (assets aside), busiest first."""
    pages = paths[~paths.index.isin(["asset", "other", "none"])]
    total = float(pages.sum())
    if total <= 0:
        return []
    out = [str(g) for g, n in pages.sort_values(ascending=False).items() if g in LOCATIONS and n >= 0.15 * total]
    return out[:3] or ["page"]


def rate_limit_snippet(groups: list[str]) -> str:
    """An nginx ``limit_req`` suggestion for the paths programs hit from home networks (no network to deny)."""
    lines = ["# Surgewatch rate-limit suggestion: review before applying.",
             "# The programs come from the same home and mobile networks as your customers: no network to deny.",
             "# Slow them down on the paths they hit (or put a challenge in front of them); adjust the paths.",
             "# in http {}:"]
    for g in groups:
        rate = "6r/m" if g in ("checkout", "login") else "60r/m"
        lines.append(f"limit_req_zone $binary_remote_addr zone=surgewatch_{g}:10m rate={rate};")
    lines += ["limit_req_status 429;", "# in server {}, inside the locations that serve these paths:"]
    for g in groups:
        burst = 5 if g in ("checkout", "login") else 20
        lines += [f"location ~ {LOCATIONS[g]} {{", f"    limit_req zone=surgewatch_{g} burst={burst} nodelay;",
                  "    # ... the location's existing proxy_pass / try_files", "}"]
    return "\n".join(lines)


def suggest_block(store: TimeSeriesStore, site: str, t0: int, t1: int, r0: int, r1: int,
                  scale: float, people: PeopleNetworks | None = None,
                  people_since: int | None = None, households: bool = False) -> BlockSuggestion:
    """Prefixes whose extra traffic in [t0, t1] is automated, against the reference [r0, r1].

    ``people``: networks on-call said carry people; prefixes inside them are left out and counted.
    Networks (ASNs) that carried the site's people from ``people_since`` (default ``r0``) to the
    surge are never named: the customers' home and mobile providers. ``households``: the site's usual
    clients include programs to the collector (its app), so a network must send more than a network of
    people does to be named.
    """
    fields = ["requests", "automated"]
    where = {"site": site}
    win = store.query("networks", t0, t1 + 10, fields=fields, where=where, group_by=["prefix", "asn"])
    if win.empty:
        return BlockSuggestion()
    ref = store.query("networks", r0, r1 + 10, fields=fields, where=where, group_by=["prefix", "asn"])
    win = win.set_index(["prefix", "asn"])[fields].fillna(0.0)
    base = ref.set_index(["prefix", "asn"])[fields].fillna(0.0) * scale if not ref.empty else \
        pd.DataFrame(columns=fields, dtype=float)
    extra = win.sub(base.reindex(win.index).fillna(0.0))
    auto_total = float(extra["automated"].clip(lower=0).sum())
    rows = extra[(extra["automated"] > 0) & (extra["automated"] >= MIN_AUTOMATED_SHARE * extra["requests"])]
    rows = rows[win.loc[rows.index, "automated"] >= MIN_AUTOMATED_SHARE * win.loc[rows.index, "requests"]]
    keep = [(p, a) for p, a in rows.index if p not in ("", "other") and not is_service_network(str(p))]
    rows = rows.loc[keep].sort_values("automated", ascending=False) if keep else rows.iloc[0:0]
    floor = max(MIN_REQUESTS, MIN_SHARE_OF_ATTACK * auto_total, _one_household(win) if households else 0.0)
    rows = rows[rows["automated"] >= floor]
    customers = _customers_networks(store, site, people_since if people_since is not None else r0, t0)
    rows = rows[[str(a) not in customers for _, a in rows.index]]
    taught = [people.covering(str(p)) for p, _ in rows.index] if people else [None] * len(rows)
    by = sorted({t for t in taught if t})
    left_out = sum(t is not None for t in taught)
    rows = rows[[t is None for t in taught]].head(MAX_PREFIXES)
    if rows.empty:
        return BlockSuggestion(left_out=left_out, taught_by=by)
    cidrs = _collapse([str(p) for p, _ in rows.index])
    asn_counts = rows.groupby(level="asn")["automated"].sum().sort_values(ascending=False)
    asns = [str(a) for a in asn_counts.index if str(a) not in ("", "none", "other")][:10]
    sent = float(rows["automated"].sum())
    return BlockSuggestion(cidrs, asns, sent, sent / auto_total if auto_total else 0.0, left_out, by)


def _one_household(win: pd.DataFrame) -> float:
    """What a network of people sends in the surge (95th percentile over the networks carrying mostly
    people): an app user's home network, all automated to the collector, sends no more, a bot's sends more."""
    people = win[(win["requests"] - win["automated"]) >= 0.5 * win["requests"]]
    people = people.drop(index=[k for k in people.index if k[0] in ("", "other")], errors="ignore")
    if len(people) < HOUSEHOLDS:
        return 0.0
    return float(people["requests"].quantile(0.95))


def _customers_networks(store: TimeSeriesStore, site: str, since: int, until: int) -> set[str]:
    """ASNs whose traffic before the surge was mostly people's and carried a share of all people's requests."""
    if until <= since:
        return set()
    ref = store.query("networks", since, until, fields=["requests", "automated"], where={"site": site},
                      group_by=["asn"])
    if ref.empty:
        return set()
    ref = ref.set_index("asn")[["requests", "automated"]].fillna(0.0)
    humans = (ref["requests"] - ref["automated"]).clip(lower=0.0)
    total = float(humans.sum())
    if total <= 0:
        return set()
    mostly = humans >= CUSTOMERS_PEOPLE * ref["requests"]
    keep = humans[mostly & (humans >= CUSTOMERS_SHARE * total)]
    return {str(a) for a in keep.index if str(a) not in ("", "none", "other")}


def _collapse(prefixes: list[str]) -> list[str]:
    """Adjacent prefixes merged into the fewest CIDRs (a botnet holding a whole /22 is one line), v4 then v6."""
    nets = []
    for p in prefixes:
        try:
            nets.append(ipaddress.ip_network(p, strict=False))
        except ValueError:
            continue
    out = []
    for version in (4, 6):
        out += [str(n) for n in ipaddress.collapse_addresses(n for n in nets if n.version == version)]
    return out
