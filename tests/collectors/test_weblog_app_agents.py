"""``app_user_agents``: the site's own apps named by the operator are class ``app``, hand-written lines."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from collectors.weblog.options import WeblogOptions
from collectors.weblog.pipeline import ingest_lines
from store.embedded import EmbeddedStore
from tests.collectors.logsamples import T0, combined

ANDROID = "okhttp/4.12.0"
IOS = "ShopApp/5.2 (iPhone; iOS 17.6; Scale/3.00) Alamofire/5.9.1"


def clients(options: WeblogOptions) -> dict[tuple[str, str], float]:
    store = EmbeddedStore(":memory:")
    lines = [combined(T0 + i, ip=f"87.150.3.{i % 50 + 1}", target="/api/v2/home", ua=ANDROID if i % 2 else IOS)
             for i in range(40)]
    ingest_lines(iter(lines), store, site="s", source="s", options=options)
    frame = store.query("http", T0 - 10, T0 + 100, fields=["requests"], where={"site": "s"},
                        group_by=["client", "actor"])
    store.close()
    return {(r.client, r.actor): r.requests for r in frame.itertuples()}


def test_the_sites_own_app_agents_are_apps_and_people() -> None:
    assert ("script", "automated") in clients(WeblogOptions())  # a library agent, unknown to the site
    named = clients(WeblogOptions(app_user_agents=["^okhttp/", "^ShopApp/"]))
    assert set(named) == {("app", "human")} and sum(named.values()) == 40


def test_a_broken_pattern_is_named_with_what_to_do() -> None:
    with pytest.raises(ValidationError, match=r"app_user_agents: '\^ShopApp/\(' is not a regular expression"):
        WeblogOptions(app_user_agents=["^ShopApp/("])


@pytest.mark.parametrize("ua", ["ShopApp/5.2.0 (Android 13; Pixel 7a; build 5200) okhttp/4.12.0",
                                "Dalvik/2.1.0 (Linux; U; Android 14; SM-A546B Build/UP1A.231005.007)",
                                "ShopApp/5.2.1 CFNetwork/1496.0.7 Darwin/23.5.0"])
def test_an_app_naming_its_http_stack_is_an_app_not_a_crawler(ua: str) -> None:
    from collectors.weblog.useragent import classify

    assert classify(ua).client == "app"


def test_a_bot_on_an_app_stack_stays_a_crawler() -> None:
    from collectors.weblog.useragent import classify

    assert classify("PriceSpiderBot/2.0 okhttp/4.9.0").client == "crawler"
