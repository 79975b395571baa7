"""varnishncsa stream collector: a real varnishncsa attached to a real varnishd in front of a real nginx."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from collectors.varnishncsa import VarnishNcsaSettings, VarnishNcsaStream, build
from store.embedded import EmbeddedStore
from store.state import StateDB
from tests.services import Service, nginx, require_binary, varnishd

PAGES = 12
BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/{v}.0"
CURL = "curl/8.5.{v}"
SALT = b"fixed test salt"


@pytest.fixture(scope="module")
def edge(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """nginx serving /p/0..PAGES-1 behind varnishd; yields varnishd (instance dir in ``extra``)."""
    require_binary("varnishncsa")
    d = tmp_path_factory.mktemp("edge")
    web = nginx(d / "nginx", {"index.html": "<h1>shop</h1>\n", **{f"p{i}.html": f"page {i}\n" for i in range(PAGES)}})
    cache = varnishd(d / "varnish", web.port)
    yield cache
    cache.stop()
    web.stop()


def stream(edge: Service, store: EmbeddedStore, state: StateDB, **overrides) -> VarnishNcsaStream:
    settings = VarnishNcsaSettings(enabled=True, instance=str(edge.extra["instance"]), campaign_min_requests=1,
                                   **overrides)
    return VarnishNcsaStream(settings, store=store, state=state, site="shop", salt=SALT)


def attach(c: VarnishNcsaStream, client: httpx.Client) -> None:
    """varnishncsa reports only requests made after it attached: knock on /index.html until one shows up."""
    deadline = time.monotonic() + 20
    while c.stats.parsed == 0:
        assert time.monotonic() < deadline, f"varnishncsa never reported a request: {c.last_error}"
        c.poll()
        client.get("/index.html", headers={"User-Agent": "knock/1.0"})
        time.sleep(0.1)


def send(client: httpx.Client, n: int, first: int = 0) -> int:
    """n page requests with distinct paths and user agents, every third by curl; returns how many were curl."""
    curl = 0
    for i in range(first, first + n):
        ua = CURL.format(v=i) if i % 3 == 0 else BROWSER.format(v=100 + i)
        curl += i % 3 == 0
        r = client.get(f"/p{i % PAGES}.html?utm_campaign=spring_sale&utm_source=news&email=ann%40example.com&n={i}",
                       headers={"User-Agent": ua, "Referer": "https://mail.example.org/"})
        assert r.status_code == 200
    return curl


def poll_until(c: VarnishNcsaStream, tagged: int) -> None:
    """Poll until the store holds ``tagged`` spring_sale requests (open buckets are written as they fill)."""
    deadline = time.monotonic() + 20
    while True:
        c.poll()
        got = http_totals(c.store, ["utm_campaign"]).get(("spring_sale",), 0)
        if got >= tagged:
            return
        assert time.monotonic() < deadline, f"only {got} of {tagged} requests read: {c.last_error}"
        time.sleep(0.05)


def http_totals(store: EmbeddedStore, group_by: list[str]) -> dict[tuple, float]:
    now = datetime.now(UTC)
    df = store.query("http", now - timedelta(hours=1), now + timedelta(minutes=1), fields=["requests"],
                     group_by=group_by)
    return {tuple(getattr(r, g) for g in group_by): r.requests for r in df.itertuples()}


@pytest.mark.service
def test_requests_through_varnish_are_counted_exactly_once_across_a_worker_restart(edge: Service) -> None:
    store, state = EmbeddedStore(":memory:"), StateDB(":memory:")
    c = stream(edge, store, state)
    with httpx.Client(base_url=edge.url) as client:
        attach(c, client)
        curl = send(client, 30)
        poll_until(c, 30)
        c.flush()
        assert not c.running

        # The worker restarts: a new collector on the same state DB continues the open buckets.
        again = stream(edge, store, state)
        attach(again, client)
        curl += send(client, 9, first=30)
        poll_until(again, 39)
        again.flush()

    by_campaign = http_totals(store, ["utm_campaign"])
    assert by_campaign[("spring_sale",)] == 39
    parsed = c.stats.parsed + again.stats.parsed  # the 39 and the knocks, each read once
    assert sum(by_campaign.values()) == parsed
    tagged = store.query("http", datetime.now(UTC) - timedelta(hours=1), datetime.now(UTC) + timedelta(minutes=1),
                         fields=["requests"], where={"utm_campaign": "spring_sale"}, group_by=["client", "status"])
    by_client = {(r.client, r.status): r.requests for r in tagged.itertuples()}
    assert by_client == {("script", "2xx"): curl, ("browser", "2xx"): 39 - curl}
    assert c.errors == {} and again.errors == {}
    now = datetime.now(UTC)
    lines = store.query("ingest", now - timedelta(hours=1), now + timedelta(minutes=1), fields=["lines"],
                        group_by=["reason"])
    assert dict(zip(lines.reason, lines.lines, strict=True)) == {"parsed": parsed}


@pytest.mark.service
def test_no_address_user_agent_or_query_value_reaches_the_store_or_the_checkpoint(edge: Service) -> None:
    store, state = EmbeddedStore(":memory:"), StateDB(":memory:")
    c = stream(edge, store, state, format="varnishncsa")  # default output: absolute URLs with the Host header
    with httpx.Client(base_url=edge.url) as client:
        attach(c, client)
        send(client, 6)
        poll_until(c, 6)
        c.poll()  # checkpoint holds the open buckets
        checkpoint = json.dumps(state.get_checkpoint(c.key))
        c.flush()
    now = datetime.now(UTC)
    stored = [p for m in ("http", "visitors", "networks", "ingest")
              for p in store.points(m, now - timedelta(hours=1), now + timedelta(minutes=1))]
    assert stored and http_totals(store, ["utm_campaign"])[("spring_sale",)] == 6
    text = repr([(p.tags, p.fields) for p in stored]) + checkpoint
    for secret in ("127.0.0.1", "Firefox/10", "curl/8", "ann@example.com", "ann%40example.com", "utm_source"):
        assert secret not in text
    # open buckets write their networks too, as masked prefixes only
    assert {p.measurement for p in stored} == {"http", "visitors", "networks", "ingest"}
    assert {p.tags["prefix"] for p in stored if p.measurement == "networks"} == {"127.0.0.0/24"}


@pytest.mark.service
def test_forwarded_format_takes_the_country_from_a_trusted_proxys_header(edge: Service) -> None:
    store, state = EmbeddedStore(":memory:"), StateDB(":memory:")
    c = stream(edge, store, state, format="forwarded", trusted_proxies=["127.0.0.0/8"])
    with httpx.Client(base_url=edge.url) as client:
        attach(c, client)
        for i in range(4):
            client.get(f"/p{i}.html?utm_campaign=spring_sale", headers={"X-Forwarded-For": "81.2.69.160"})
        poll_until(c, 4)
        c.flush()
    assert http_totals(store, ["utm_campaign", "country"])[("spring_sale", "GB")] == 4
    assert c.stats.malformed == {}


@pytest.mark.service
def test_a_restarted_varnishd_is_followed_and_later_requests_still_count(tmp_path) -> None:
    require_binary("varnishncsa")
    web = nginx(tmp_path / "nginx", {f"p{i}.html": f"page {i}\n" for i in range(PAGES)} | {"index.html": "hi\n"})
    cache = varnishd(tmp_path / "varnish", web.port)
    store = EmbeddedStore(":memory:")
    c = stream(cache, store, StateDB(":memory:"))
    try:
        with httpx.Client(base_url=cache.url) as client:
            attach(c, client)
            send(client, 5)
            poll_until(c, 5)
            cache.restart(timeout=30)
            seen = c.stats.parsed
            deadline = time.monotonic() + 20
            while c.stats.parsed == seen:  # varnishncsa attaches to the new varnishd by itself
                assert time.monotonic() < deadline, f"nothing read after the restart: {c.last_error}"
                client.get("/index.html", headers={"User-Agent": "knock/1.0"})
                time.sleep(0.1)
                c.poll()
            send(client, 7, first=5)
            poll_until(c, 12)
    finally:
        c.flush()
        cache.stop()
        web.stop()
    assert http_totals(store, ["utm_campaign"])[("spring_sale",)] == 12
    assert c.starts == 1 and c.errors == {}


def test_a_missing_varnishncsa_is_counted_named_and_retried_after_a_pause(tmp_path) -> None:
    store, state = EmbeddedStore(":memory:"), StateDB(":memory:")
    c = build({"enabled": "true", "instance": str(tmp_path / "edge"), "varnishncsa": str(tmp_path / "no-such-ncsa"),
               "restart_min_seconds": 0.3}, store=store, state=state, site="shop")
    assert c.poll() == 0
    assert c.errors["missing"] == 1
    assert "no-such-ncsa not found" in c.last_error and "collectors.varnishncsa.varnishncsa" in c.last_error
    assert str(tmp_path / "edge") in c.last_error and c.problems() == [c.last_error]
    c.poll()
    assert c.errors["missing"] == 1  # not yet: it waits before trying again
    time.sleep(0.35)
    c.poll()
    assert c.errors["missing"] == 2 and "trying again in 1 s" in c.last_error  # the pause doubled
    c.flush()


def test_a_varnishncsa_without_its_varnishd_exits_and_is_reported_with_the_instance(tmp_path) -> None:
    require_binary("varnishncsa")
    instance = tmp_path / "no-varnishd-here"
    c = VarnishNcsaStream(VarnishNcsaSettings(instance=str(instance), attach_timeout_seconds=1,
                                              restart_min_seconds=30), store=EmbeddedStore(":memory:"),
                          state=StateDB(":memory:"))
    c.poll()
    assert c.starts == 1
    deadline = time.monotonic() + 15
    while not c.errors["exited"]:
        assert time.monotonic() < deadline, "varnishncsa did not give up on a missing varnishd"
        time.sleep(0.1)
        c.poll()
    assert str(instance) in c.last_error and "exited with code" in c.last_error
    assert "collectors.varnishncsa.instance" in c.last_error and "trying again in 30 s" in c.last_error
    c.poll()
    assert c.starts == 1 and not c.running  # waits out the pause
    c.flush()


def test_settings_refuse_an_unknown_format() -> None:
    with pytest.raises(ValueError, match="format"):
        build({"format": "w3c"}, store=EmbeddedStore(":memory:"), state=StateDB(":memory:"), site="shop")
