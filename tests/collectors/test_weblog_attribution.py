"""Attribution by visit on a log whose visits, conversions and campaign links are known line by line.

Every expected number below is counted from the lines written here (each visitor's story is
told beside its lines), never from the code under test. Both aggregation paths (per line and
block at a time) must give the same exact counts.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import pytest

from campaigns.model import Campaign
from collectors.weblog.pipeline import WeblogPipeline, ingest_lines
from store.embedded import EmbeddedStore
from tests.collectors.logsamples import T0, combined

START = T0 + 600            # the campaign starts 10 minutes into the log and runs 3 hours
END = START + 3 * 3600
CURL = "curl/8.4.0"
SPRING = Campaign(id="spring-sale", name="Spring sale", channel="email", start=datetime.fromtimestamp(START, UTC),
                  end=datetime.fromtimestamp(END, UTC), utm_campaign="spring26", landing=["/spring-sale"])
UTM = "/spring-sale?utm_source=newsletter&utm_medium=email&utm_campaign=spring26"


def spring(start: int = START, **kw: object) -> Campaign:
    """The campaign of the stories, starting at ``start`` (a bucket start) and running 3 hours."""
    return SPRING.model_copy(update={"start": datetime.fromtimestamp(start, UTC),
                                     "end": datetime.fromtimestamp(start + 3 * 3600, UTC), **kw})


def _visit(ip: str, *steps: tuple[int, str], referer: str = "-", status: int = 200, ua: str | None = None,
          start: int = START) -> list[str]:
    """A person's pages at (seconds from ``start``, target), each followed by the stylesheet a browser loads."""
    out = []
    for dt, target in steps:
        kw = {"ua": ua} if ua else {}
        out.append(combined(start + dt, ip=ip, target=target, referer=referer, status=status, **kw))
        out.append(combined(start + dt + 1, ip=ip, target="/static/app.css", referer=referer, **kw))
    return out


def story(start: int = START) -> list[str]:
    """The visitors' stories around a campaign starting at ``start``."""
    lines = []
    visit = partial(_visit, start=start)
    # A: the newsletter link, then the thank-you page twice (one conversion), back 50 min later from a bookmark
    lines += visit("81.2.69.1", (60, UTM), (300, "/thank-you"), (320, "/thank-you"), (3300, "/"))
    # B: the landing page without utm, from webmail (email referrer): the campaign's visit, no conversion
    lines += visit("81.2.69.2", (90, "/spring-sale"), (150, "/spring-sale/shoes"),
                   referer="https://mail.google.com/")
    # C: the home page, direct, converts during the campaign: not attributed
    lines += visit("81.2.69.3", (100, "/"), (200, "/thank-you"))
    # D: the landing page from Facebook: not the e-mail channel's referrer, not attributed
    lines += visit("81.2.69.4", (110, "/spring-sale"), referer="https://www.facebook.com/")
    # E: the link clicked before the campaign starts, converts once it runs: not attributed
    lines += visit("81.2.69.5", (-300, UTM), (30, "/thank-you"))
    # G: a script following the link: not a person, never a visit
    lines += [combined(start + 120, ip="81.2.69.7", target=UTM, ua=CURL)]
    # H: the link after the campaign's end: no campaign's visit
    lines += visit("81.2.69.8", (3 * 3600 + 60, UTM))
    # I: the link a minute before the end, converts two minutes after it: the campaign's conversion
    lines += visit("81.2.69.9", (3 * 3600 - 60, UTM), (3 * 3600 + 120, "/thank-you"))
    # J: the link to a removed offer: the campaign's visit, a 404 on its landing pages
    lines += visit("81.2.69.10", (400, "/spring-sale/old-offer?utm_campaign=SPRING26"), status=404)
    return sorted(lines, key=_ts)


def _ts(line: str) -> int:
    return int(datetime.strptime(line.split("[", 1)[1].split("]", 1)[0], "%d/%b/%Y:%H:%M:%S %z").timestamp())


# counted from the stories above
EXPECTED = {
    "spring-sale": {"visits": 4, "conversions": 2, "unattributed": 2, "landing_requests": 6, "landing_4xx": 1,
                    "landing_5xx": 0},          # visits A B I J; conv. A I; unattributed C E; landing A B×2 D I J
    "none": {"visits": 5, "conversions": 2},  # visits A's second, C, D, E, H; conversions C E
}


def totals(store: EmbeddedStore) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for p in store.points("campaign_visits", 0, 4_000_000_000):
        row = out.setdefault(p.tags["campaign"], {})
        for k, v in p.fields.items():
            row[k] = row.get(k, 0) + int(v)
    return out


@pytest.mark.parametrize("block_lines", [None, 1], ids=["block", "per-line"])
def test_visits_and_conversions_are_attributed_exactly(block_lines: int | None) -> None:
    store = EmbeddedStore(":memory:")
    ingest_lines(story(), store, site="s", source="t", salt=b"a" * 32, block_lines=block_lines, announced=[SPRING])
    got = totals(store)
    assert {k: got["spring-sale"][k] for k in EXPECTED["spring-sale"]} == EXPECTED["spring-sale"]
    assert got["none"]["visits"] == EXPECTED["none"]["visits"]
    assert got["none"]["conversions"] == EXPECTED["none"]["conversions"]
    assert got["none"]["unattributed"] == 0


def test_counts_land_in_the_bucket_of_the_request() -> None:
    store = EmbeddedStore(":memory:")
    ingest_lines(story(), store, site="s", source="t", salt=b"a" * 32, announced=[SPRING])
    conv = sorted(p.time - START for p in store.points("campaign_visits", 0, 4_000_000_000, where={
        "campaign": "spring-sale"}) if p.fields["conversions"])
    assert conv == [300, 3 * 3600 + 120]  # A's first thank-you, I's after the end


def test_without_campaigns_every_visit_is_the_sites_own() -> None:
    store = EmbeddedStore(":memory:")
    ingest_lines(story(), store, site="s", source="t", salt=b"a" * 32)
    got = totals(store)
    assert set(got) == {"none"}
    # every person's visit of the stories: A twice, B, C, D, E, H, I, J
    assert got["none"]["visits"] == 9 and got["none"]["conversions"] == 4  # A C E I


def test_a_restart_keeps_the_counts_of_open_buckets_and_stores_no_visitor() -> None:
    store = EmbeddedStore(":memory:")
    pipe = WeblogPipeline(store, site="s", source="t", salt=b"a" * 32)
    pipe.attribution.set_campaigns([SPRING])
    pipe.feed(_visit("81.2.69.1", (60, UTM)))
    saved = pipe.state()
    assert saved["attribution"] == {str(START + 60): {"spring-sale": [1, 0, 0, 1, 0, 0]}}
    again = WeblogPipeline(store, site="s", source="t", salt=b"a" * 32)
    again.load(saved)
    again.flush()
    assert totals(store)["spring-sale"]["visits"] == 1


def test_a_real_apache_log_attributed_the_same_by_both_paths() -> None:
    """``tests/collectors/data/apache_logs_head.log`` (elastic/examples, Apache 2.0; see its README), with an ads
    campaign landing on /blog/geekery. Read from its lines: people's visits start at /articles/... (Firefox 25,
    from Google), /projects/xdotool/ (Firefox 28, from Google), /blog/tags/web (a QS304 phone app), / (Firefox 21,
    then /blog/geekery/installing-... within that visit) and /blog/geekery/xvfb-firefox.html (MSIE 10, from
    Wikipedia: an "other" referrer, an ads channel's, on the landing path). Crawlers (Googlebot, Baidu,
    archive.org), feed readers and a client loading only assets make no visit."""
    lines = (Path(__file__).parent / "data" / "apache_logs_head.log").read_text().splitlines()
    geekery = Campaign(id="geekery", name="Geekery", channel="ads", start=datetime(2015, 5, 17, 10, tzinfo=UTC),
                       end=datetime(2015, 5, 17, 12, tzinfo=UTC), landing=["/blog/geekery"])
    seen = []
    for block_lines in (None, 1):
        store = EmbeddedStore(":memory:")
        ingest_lines(lines, store, site="s", source="t", salt=b"a" * 32, block_lines=block_lines, announced=[geekery])
        seen.append(totals(store))
    assert seen[0] == seen[1]
    assert seen[0]["geekery"] == {"visits": 1, "conversions": 0, "unattributed": 0, "landing_requests": 2,
                                  "landing_4xx": 0, "landing_5xx": 0}
    assert seen[0]["none"]["visits"] == 4


def test_a_campaign_for_some_regions_takes_only_their_visits() -> None:
    """Addresses located by the bundled GeoIP tables: 133.242.0.0/24 in JP (SAKURA Internet), 81.2.69.0/24 in GB."""
    japan = spring(regions=["JP"])
    lines = sorted([
        *_visit("133.242.0.1", (60, UTM), (120, "/thank-you")),   # JP, the link, converts: the campaign's
        *_visit("81.2.69.1", (70, UTM), (130, "/thank-you")),     # GB, the link: not for GB, the site's own
        *_visit("133.242.0.2", (80, "/"), (140, "/thank-you")),   # JP, no link, converts: during, not attributed
    ], key=_ts)
    store = EmbeddedStore(":memory:")
    ingest_lines(lines, store, site="s", source="t", salt=b"a" * 32, announced=[japan])
    got = totals(store)
    assert (got["spring-sale"]["visits"], got["spring-sale"]["conversions"], got["spring-sale"]["unattributed"]) == \
        (1, 1, 1)
    assert (got["none"]["visits"], got["none"]["conversions"]) == (2, 2)
