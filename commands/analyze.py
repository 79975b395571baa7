"""``cli.py analyze --log PATH ...``: the surges in access logs and what each one is.

The logs (plain or .gz; several are merged by time) go through the collectors' access
log pipeline into an in-memory store; then the very analysis the live worker runs
judges the stored buckets. The history before a surge in the same logs is its baseline.
JSON (or a table) goes to stdout, progress to stderr; an unreadable input exits
non-zero with a message and prints nothing on stdout.
"""

from __future__ import annotations

import gzip
import heapq
import io
import itertools
import json
import re
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alerts.analysis import analyze_site, outage_report
from alerts.judgement.correlate import CampaignInfo
from campaigns.files import load_campaigns
from campaigns.model import CampaignError
from collectors.weblog.identity import open_decompressed
from collectors.weblog.timestamps import parse_time_local

SITE = "analyze"
_TIME = re.compile(r"\[(\d{2}/\w{3}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4})\]")
_REFERER = re.compile(r'" \d{3} \S+ "https?://([^/":]+)')
SNIFF_LINES = 50_000


class InputError(RuntimeError):
    """An input file cannot be read; the message names it and says what to do."""


def _line_time(line: str, last: float) -> float:
    """The line's ``[time_local]`` as epoch seconds (the collectors' parser), or the previous line's time."""
    m = _TIME.search(line)
    t = parse_time_local(m.group(1)) if m else None
    return last if t is None else t


@contextmanager
def _open(path: Path) -> Iterator[io.TextIOWrapper]:
    """A plain or gzip log as text (the collectors' opener, which tells gzip by its magic bytes)."""
    with open_decompressed(path) as raw:
        yield io.TextIOWrapper(raw, encoding="utf-8", errors="replace", newline="")


def _keyed(path: Path) -> Iterator[tuple[float, int, str]]:
    last = 0.0
    try:
        with _open(path) as fh:
            for n, line in enumerate(fh):
                last = _line_time(line, last)
                yield last, n, line.rstrip("\r\n")
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise InputError(f"cannot read log {path}: {exc}. Check the file is a complete plain or gzip access log.") \
            from None


def merged_lines(paths: list[Path]) -> Iterator[str]:
    """Lines of all logs in time order (each log is in order; rotated pieces interleave)."""
    for p in paths:
        if not p.is_file():
            raise InputError(f"cannot read log {p}: no such file. Give an access log path to --log.")
        try:
            with _open(p):
                pass
        except OSError as exc:
            raise InputError(f"cannot read log {p}: {exc.strerror or exc}.") from None
    for _, _, line in heapq.merge(*(_keyed(p) for p in paths)):
        yield line


def own_host(lines: list[str]) -> str | None:
    """The site's own host: the referrer most lines carry (pages refer their assets and links)."""
    from collectors.weblog.referrer import referrer_class

    # A webmail, social site or search engine refers many arrivals but is never the site itself.
    counts = Counter(h for line in lines if (m := _REFERER.search(line))
                     and referrer_class(f"https://{(h := m.group(1).lower())}/") == "other")
    if not counts:
        return None
    host, n = counts.most_common(1)[0]
    return host if n >= 0.2 * sum(counts.values()) else None


def campaign_infos(path: Path | None) -> list[CampaignInfo]:
    """The announced campaigns of a --campaigns file, as the analysis reads them."""
    if path is None:
        return []
    try:
        return [CampaignInfo.of(c) for c in load_campaigns(path)]
    except (CampaignError, ValueError) as exc:
        raise InputError(f"{exc}. Fix the campaigns file (a JSON list of campaigns with name, channel, start).") \
            from None


def ingest_logs(paths: list[Path], store: Any, site: str, campaigns: list[CampaignInfo], progress: bool) -> dict:
    """Read the logs into the store as the live tail would (the site's own host learnt from referrers)."""
    from collectors.weblog.options import WeblogOptions
    from collectors.weblog.pipeline import ingest_lines

    t0 = time.perf_counter()
    lines = merged_lines(paths)
    head = list(itertools.islice(lines, SNIFF_LINES))
    host = own_host(head)
    options = WeblogOptions(own_hosts=[host] if host else [])
    if progress:
        print(f"site host (from referrers): {host or 'unknown'}", file=sys.stderr)
    known = ([c.utm_campaign for c in campaigns if c.utm_campaign], [p for c in campaigns for p in c.landing])
    stats = ingest_lines(itertools.chain(head, lines), store, site=site, source="analyze", options=options,
                         campaigns=known)
    if progress:
        print(f"ingested {paths_label(paths)} in {time.perf_counter() - t0:.1f}s: {stats}", file=sys.stderr)
    return {"host": host, "stats": stats}


def analyze_logs(paths: list[Path], campaigns: list[CampaignInfo], progress: bool = True) -> dict:
    """The analyze report for these logs (raises InputError when one cannot be read)."""
    from store.embedded import EmbeddedStore

    store = EmbeddedStore(":memory:")
    t0 = time.perf_counter()
    try:
        ingest_logs(paths, store, SITE, campaigns, progress)
        result = analyze_site(store, SITE, 0, 2**31 - 1, campaigns)
    finally:
        store.close()
    if progress:
        print(f"{result.buckets} buckets analysed, {len(result.incidents)} surge(s) in "
              f"{time.perf_counter() - t0:.1f}s", file=sys.stderr)
    report: dict = {"spikes": [i.to_report() for i in result.incidents]}
    drops = [outage_report(o) for o in result.outages if o.kind == "drop"]
    errors = [outage_report(o) for o in result.outages if o.kind == "errors"]
    if drops:
        report["drops"] = drops
    if errors:
        report["errors"] = errors  # bursts of 4xx/5xx; a campaign's failing landing names the campaign
    return report


def paths_label(paths: list[Path]) -> str:
    return ", ".join(str(p) for p in paths[:3]) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")


def table(report: dict) -> str:
    rows = report["spikes"]
    out = [] if rows else ["No spikes."]
    for s in rows:
        camp = f"  campaign: {s['campaign']}" if s["campaign"] else ""
        like = f"  looks like: {s['looks_like']}" if s.get("looks_like") else ""
        out.append(f"{s['start']} .. {s['end']}  {s['verdict'].upper()} ({s['confidence']:.0%})  "
                   f"peak {s['peak_rps']} req/s vs baseline {s['baseline_rps']} req/s{camp}{like}")
        out += [f"    - {e}" for e in s["evidence"]]
        if s.get("block") and s["block"].get("cidrs"):
            out.append("    block (nginx):")
            out += [f"      {line}" for line in s["block"]["nginx"].splitlines()]
    for d in report.get("drops", []) + report.get("errors", []):
        camp = f"  campaign: {d['campaign']}" if d.get("campaign") else ""
        out.append(f"{d['start']} .. {d['end']}  {d['kind'].upper()} in {d['what']}: {d['rps']} req/s "
                   f"vs baseline {d['baseline_rps']} req/s{camp}")
    return "\n".join(out)


def run(logs: list[Path], campaigns_path: Path | None, fmt: str = "table") -> int:
    if fmt not in ("json", "table"):
        print(f"--format must be json or table, not {fmt!r}", file=sys.stderr)
        return 2
    try:
        campaigns = campaign_infos(campaigns_path)
        report = analyze_logs(list(logs), campaigns)
    except InputError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    print(json.dumps(report) if fmt == "json" else table(report))
    return 0

