"""The whole access-log pipeline into a real embedded store: totals, reasons, privacy, actors."""

from __future__ import annotations

import random

import pytest

from collectors.weblog.options import WeblogOptions
from collectors.weblog.pipeline import ingest_lines
from store.embedded import EmbeddedStore
from store.sketch import estimate_b64
from tests.collectors.logsamples import CHROME, T0, combined

SALT = b"s" * 32
END = 2_000_000_000


def _store() -> EmbeddedStore:
    return EmbeddedStore(":memory:")


def _sum(store: EmbeddedStore, measurement: str, field: str, **where: str) -> int:
    df = store.query(measurement, 0, END, fields=[field], where=where or None)
    return int(df[field].sum()) if len(df) else 0


def _by(store: EmbeddedStore, measurement: str, field: str, tag: str) -> dict[str, int]:
    df = store.query(measurement, 0, END, fields=[field], group_by=[tag])
    return {row[tag]: int(row[field]) for _, row in df.iterrows()}


def test_malformed_lines_are_counted_and_nothing_else_is_lost() -> None:
    rng = random.Random(7)
    good = [combined(T0 + i // 5, ip=f"81.2.69.{rng.randint(1, 250)}", size=100) for i in range(1000)]
    bad = ["", "not a log line", combined(T0).replace(" 200 ", " 2x0 "), combined(T0).replace("Nov", "Nox")]
    lines = good[:500] + bad + good[500:]
    store = _store()
    stats = ingest_lines(lines, store, site="shop", source="t", salt=SALT)
    assert (stats.lines, stats.parsed, stats.late) == (1004, 1000, 0)
    assert stats.malformed == {"empty": 1, "no_match": 1, "bad_status": 1, "bad_timestamp": 1}
    assert _sum(store, "http", "requests") == 1000
    assert _sum(store, "http", "bytes") == 100_000
    assert _by(store, "ingest", "lines", "reason") == {"parsed": 1000, "empty": 1, "no_match": 1,
                                                      "bad_status": 1, "bad_timestamp": 1}


def test_late_lines_are_counted_not_written() -> None:
    lines = [combined(T0), combined(T0 + 400), combined(T0 + 5)]  # T0's bucket closed once T0+400 arrived
    store = _store()
    stats = ingest_lines(lines, store, site="shop", source="t", salt=SALT)
    assert stats.late == 1 and stats.parsed == 2
    assert _sum(store, "http", "requests") == 2
    assert _by(store, "ingest", "lines", "reason") == {"parsed": 2, "late": 1}


def test_forwarded_header_counts_only_from_a_trusted_proxy() -> None:
    fmt = ('$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" '
           '"$http_user_agent" "$http_x_forwarded_for"')
    stamp = combined(T0).split("[", 1)[1].split("]", 1)[0]

    def line(peer: str, xff: str) -> str:
        return f'{peer} - - [{stamp}] "GET / HTTP/1.1" 200 1 "-" "{CHROME}" "{xff}"'

    lines = [line("10.0.0.5", "8.8.8.8, 10.0.0.7"),   # via our proxy: the client is 8.8.8.8 (US)
             line("81.2.69.142", "8.8.8.8")]           # sent directly: header ignored, client GB
    store = _store()
    opts = WeblogOptions(trusted_proxies=["10.0.0.0/8"])
    ingest_lines(lines, store, site="shop", source="t", fmt=fmt, salt=SALT, options=opts)
    assert _by(store, "http", "requests", "country") == {"US": 1, "GB": 1}


def test_bad_trusted_proxy_setting_names_the_value() -> None:
    with pytest.raises(ValueError, match="10.0.0.0/33"):
        WeblogOptions(trusted_proxies=["10.0.0.0/33"])


def test_no_raw_address_user_agent_or_query_reaches_the_store() -> None:
    ua = "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0 UniqueMarker/9"
    lines = [combined(T0 + i, ip="81.2.69.142", ua=ua,
                      target="/p?utm_campaign=Spring&utm_medium=email&email=jane%40example.com&mc_eid=abc123&q=secret",
                      referer="https://mail.google.com/mail/u/0/?token=tok987") for i in range(20)]
    lines.append(combined(T0, ip="2a00:1450:4001:81b::200e", ua=ua, target="/?utm_campaign=jane@example.com"))
    store = _store()
    ingest_lines(lines, store, site="shop", source="t", salt=SALT, options=WeblogOptions(campaign_min_requests=1))
    dump = repr([store.points(m, T0 - 60, END) for m in ("http", "visitors", "networks", "ingest")])
    for secret in ("81.2.69.142", "2a00:1450:4001:81b::200e", "UniqueMarker", "Firefox/120", "jane", "example.com",
                   "abc123", "secret", "tok987", "mail.google"):
        assert secret not in dump
    assert "81.2.69.0/24" in dump and "2a00:1450:4001::/48" in dump
    assert _by(store, "http", "requests", "utm_campaign") == {"spring": 20, "none": 1}
    assert _by(store, "http", "requests", "referrer")["email"] == 20


def test_googlebot_is_verified_only_from_googles_network() -> None:
    bot = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
    lines = [combined(T0, ip="66.249.66.1", ua=bot), combined(T0, ip="81.2.69.142", ua=bot)]
    store = _store()
    ingest_lines(lines, store, site="shop", source="t", salt=SALT)
    assert _by(store, "http", "requests", "client") == {"search_crawler": 1, "crawler": 1}
    assert _by(store, "http", "requests", "actor") == {"crawler": 2}


def test_actor_follows_client_class_and_behaviour() -> None:
    lines = []
    for i in range(30):  # a person: a page, then its assets
        lines += [combined(T0 + 2 * i, ip="81.2.69.10", target=f"/p/{i}"),
                  combined(T0 + 2 * i, ip="81.2.69.10", target="/static/app.js")]
    lines += [combined(T0 + i // 2, ip="81.2.69.20", target=f"/p/{i}") for i in range(100)]  # pages, no assets
    lines += [combined(T0 + i, ip="81.2.69.30", target="/login", method="POST", status=401) for i in range(20)]
    lines += [combined(T0 + i, ip="81.2.69.40", ua="python-requests/2.31") for i in range(5)]
    lines += [combined(T0 + i, ip="81.2.69.50", ua="Mozilla/5.0 (compatible; GoogleImageProxy)") for i in range(3)]
    lines.sort(key=lambda x: x.split("[", 1)[1][:20])
    store = _store()
    ingest_lines(lines, store, site="shop", source="t", salt=SALT)
    actors = _by(store, "http", "requests", "actor")
    assert actors["human"] >= 60 + 4            # the person, and the first login attempts before the limit
    assert actors["automated"] >= 90 + 15 + 5   # page scraper past its limit, stuffing past its limit, script
    assert actors["scanner"] == 3
    assert _sum(store, "visitors", "login_posts") == 20
    assert _sum(store, "visitors", "auth_failures") == 20
    assert _sum(store, "networks", "login_posts") == 20


def test_uniques_sketch_counts_distinct_visitors() -> None:
    lines = [combined(T0 + i % 10, ip=f"81.2.{i // 250}.{i % 250 + 1}") for i in range(1000)]
    store = _store()
    ingest_lines(lines, store, site="shop", source="t", salt=SALT)
    sketches = [p.fields["uniques"] for p in store.points("visitors", T0 - 60, END)]
    assert 950 <= estimate_b64(sketches) <= 1050


def test_rare_campaign_values_fold_into_other() -> None:
    lines = [combined(T0 + i % 10, target=f"/?utm_campaign=c{i}") for i in range(300)]
    lines += [combined(T0 + 1, target="/?utm_campaign=big") for _ in range(10)]
    store = _store()
    ingest_lines(lines, store, site="shop", source="t", salt=SALT, options=WeblogOptions(max_campaigns=5))
    tags = _by(store, "http", "requests", "utm_campaign")
    assert tags["other"] >= 300 and len(tags) <= 6


def test_simulated_credential_stuffing_is_mostly_automated() -> None:
    from simulate.scenarios import build

    sim = build("credential_stuffing", 3, history_hours=0.25, surge_hours=0.25, scale=0.3)
    lines = list(sim.lines())
    store = _store()
    stats = ingest_lines(lines, store, site="shop", source="sim", salt=SALT)
    assert stats.parsed == len(lines) and not stats.malformed
    assert _sum(store, "http", "requests") == len(lines)
    actors = _by(store, "visitors", "requests", "actor")
    assert actors.get("automated", 0) > actors.get("human", 0)
    assert _sum(store, "visitors", "login_posts") > 0


def _networks_now(store: EmbeddedStore) -> dict[str, int]:
    return {p.tags["prefix"]: int(p.fields["requests"]) for p in store.points("networks", 0, END)}


def test_a_network_written_once_is_rewritten_at_every_later_write_and_other_holds_the_rest() -> None:
    from collectors.weblog.pipeline import WeblogPipeline

    store = _store()
    pipe = WeblogPipeline(store, site="shop", source="t", salt=SALT,
                          options=WeblogOptions(top_networks=1, top_automated_networks=0))
    pipe.feed([combined(T0, ip="81.2.69.1"), combined(T0 + 1, ip="81.2.69.2"), combined(T0 + 2, ip="5.9.1.1")])
    pipe.write_open()
    assert _networks_now(store) == {"81.2.69.0/24": 2, "other": 1}
    pipe.feed([combined(T0 + 3, ip="5.9.1.2")] * 3)           # 5.9.1.0/24 takes the lead
    pipe.write_open()
    assert _networks_now(store) == {"81.2.69.0/24": 2, "5.9.1.0/24": 4, "other": 0}  # replaced, none stale
    restored = WeblogPipeline(store, site="shop", source="t", salt=SALT,
                              options=WeblogOptions(top_networks=1, top_automated_networks=0))
    restored.load(pipe.state())                                # the checkpoint keeps the written set
    restored.feed([combined(T0 + 4, ip="81.2.69.3"), combined(T0 + 5, ip="1.1.1.1")])
    restored.flush()
    assert _networks_now(store) == {"81.2.69.0/24": 3, "5.9.1.0/24": 4, "other": 1}


def test_open_bucket_networks_wait_until_its_ten_seconds_are_over() -> None:
    from collectors.weblog.pipeline import WeblogPipeline

    store = _store()
    pipe = WeblogPipeline(store, site="shop", source="t", salt=SALT)
    pipe.feed([combined(T0 + 1, ip="81.2.69.1")])
    pipe.write_open(now=T0 + 5)
    assert _sum(store, "http", "requests") == 1 and _networks_now(store) == {}
    pipe.write_open(now=T0 + 10)                               # the clock passed it, no new line needed
    assert _networks_now(store) == {"81.2.69.0/24": 1}
    pipe.feed([combined(T0 + 12, ip="5.9.1.1"), combined(T0 + 21, ip="5.9.1.1")])
    pipe.write_open(now=T0 + 15)                               # a later line is past T0 + 10's bucket
    assert _networks_now(store) == {"81.2.69.0/24": 1, "5.9.1.0/24": 1}
    pipe.feed([combined(T0 + 22, ip="5.9.1.1")])
    pipe.write_open(now=T0 + 25)
    pipe.write_open(now=T0 + 26)                               # nothing new, and T0 + 20's bucket still fills
    assert [p.time for p in store.points("networks", 0, END)] == [T0, T0 + 10]
    pipe.write_open(now=T0 + 30)                               # ... until its 10 s are over
    assert [(p.time, p.fields["requests"]) for p in store.points("networks", T0 + 20, END)] == [(T0 + 20, 2)]


def test_networks_that_sent_automated_requests_are_kept_beyond_the_top_networks() -> None:
    people = [combined(T0 + i % 10, ip=f"81.2.{i % 5}.{i}") for i in range(100)]      # 5 busy /24s
    bots = [combined(T0 + i % 10, ip=f"5.9.{i}.7", ua="python-requests/2.31") for i in range(40)]  # 40 thin ones
    for top_automated, named in ((0, 3), (30, 33), (500, 43)):
        store = _store()
        ingest_lines(people + bots, store, site="shop", source="t", salt=SALT,
                     options=WeblogOptions(top_networks=3, top_automated_networks=top_automated))
        nets = _networks_now(store)
        assert len(nets) - ("other" in nets) == named
        assert sum(nets.values()) == _sum(store, "http", "requests") == 140
        automated = {p.tags["prefix"]: p.fields["automated"] for p in store.points("networks", 0, END)}
        assert automated.get("other", 0) == max(0, 40 - top_automated)


def test_restart_after_a_write_its_checkpoint_missed_leaves_no_stale_network() -> None:
    from collectors.weblog.pipeline import WeblogPipeline

    store = _store()
    opts = WeblogOptions(top_networks=1, top_automated_networks=0)
    pipe = WeblogPipeline(store, site="shop", source="t", salt=SALT, options=opts)
    pipe.feed([combined(T0, ip="1.1.1.1")])
    checkpoint = pipe.state()
    again = [combined(T0 + 1, ip="81.2.69.1")] * 3
    pipe.feed(again)
    pipe.write_open()                                          # written, then the process dies before the checkpoint
    assert _networks_now(store) == {"81.2.69.0/24": 3, "other": 1}
    restored = WeblogPipeline(store, site="shop", source="t", salt=SALT, options=opts)
    restored.load(checkpoint)                                  # reads back what the store already holds
    restored.feed(again + [combined(T0 + 2, ip="5.9.1.1")] * 5)  # the lost lines again, then a new leader
    restored.write_open()
    assert _networks_now(store) == {"81.2.69.0/24": 3, "5.9.1.0/24": 5, "other": 1}
    assert sum(_networks_now(store).values()) == _sum(store, "http", "requests") == 9
