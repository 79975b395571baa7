"""The Overview's coming-up list: the next campaigns with the surge to expect and the scaling they need."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd

from campaigns.model import parse_campaign
from capacity.settings import CapacitySettings
from pages.upcoming_queries import coming_table, upcoming
from store.base import Point
from store.embedded import EmbeddedStore
from store.state import StateDB


def _site(tmp_path: Path) -> tuple[EmbeddedStore, StateDB, datetime]:
    now = datetime.now(UTC).replace(microsecond=0)
    t = int(now.timestamp()) // 10 * 10
    store = EmbeddedStore(tmp_path / "ts.db")
    store.write(Point("http", {"site": "shop", "source": "t", "actor": "human"}, {"requests": 100, "bytes": 1},
                      t - 10 * i) for i in range(1, 1080))
    state = StateDB(tmp_path / "state.db")
    for name, hours, audience, status in (("Big Send", 3, 500_000, "planned"), ("Soon Post", 1, None, "planned"),
                                          ("Called Off", 2, 80_000, "cancelled"), ("Next Week", 24 * 7, 10, "planned"),
                                          ("Yesterday", -24, 90_000, "sent")):
        start = (now + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:00Z")
        state.upsert_campaign(parse_campaign({"name": name, "channel": "email", "start": start, "site": "shop",
                                              "audience": audience, "regions": ["JP", "KR"], "status": status}))
    return store, state, now


def test_the_next_two_days_campaigns_come_soonest_first_with_their_peak_and_scaling(tmp_path: Path) -> None:
    store, state, now = _site(tmp_path)
    rows = upcoming(store, state, CapacitySettings(rps_per_instance=5, instances=2), now, tz="Asia/Tokyo")
    assert list(rows["name"]) == ["Soon Post", "Big Send"]  # cancelled, next week's and past ones left out
    soon, big = rows.iloc[0], rows.iloc[1]
    assert soon["scaling"] == "no audience given: cannot forecast" and pd.isna(soon["expected_peak"])
    assert big["regions"] == "JP, KR" and big["p90_peak"] > big["expected_peak"] > 10
    assert big["scaling"].startswith("2 → ") and "instances from" in big["scaling"]
    tokyo = (now + timedelta(hours=3)).astimezone(ZoneInfo("Asia/Tokyo"))
    assert f"{tokyo:%a}" in big["scaling"]


def test_without_a_capacity_per_instance_it_says_what_to_set(tmp_path: Path) -> None:
    store, state, now = _site(tmp_path)
    rows = upcoming(store, state, CapacitySettings(), now)
    assert rows.iloc[1]["scaling"] == "set capacity.rps_per_instance to size it"
    big = upcoming(store, state, CapacitySettings(rps_per_instance=100_000, instances=1), now).iloc[1]
    assert big["scaling"] == "none: 1 instance(s) suffice"


def test_the_table_reads_local_times_and_rates_with_units(tmp_path: Path) -> None:
    store, state, now = _site(tmp_path)
    rows = upcoming(store, state, CapacitySettings(rps_per_instance=5, instances=2), now)
    table = coming_table(rows, "Asia/Tokyo")
    assert list(table.columns) == ["starts", "campaign", "channel", "regions", "expected peak", "up to (p90)",
                                   "scaling"]
    soon = (now + timedelta(hours=1)).astimezone(ZoneInfo("Asia/Tokyo"))
    assert table["starts"][0] == f"{soon:%a %H:%M}" and table["expected peak"][0] == "–"
    assert table["expected peak"][1].endswith(" req/s") and "None" not in table.to_string()
