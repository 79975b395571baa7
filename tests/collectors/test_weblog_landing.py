"""Pages under an announced campaign's landing prefixes are the path group `landing`, in both ingest paths."""

from __future__ import annotations

import pytest

from campaigns.files import campaigns_from_json
from collectors.weblog.pipeline import WeblogPipeline, ingest_lines
from store.embedded import EmbeddedStore
from store.state import StateDB
from tests.collectors.logsamples import T0, combined

LINES = [
    combined(T0 + 1, target="/flash-sale?utm_source=newsletter&utm_medium=email&utm_campaign=flash-gb"),
    combined(T0 + 2, target="/flash-sale/shoes-42"),
    combined(T0 + 3, target="/static/app.css"),        # an asset stays an asset
    combined(T0 + 4, target="/products/other"),        # another page stays a page
    combined(T0 + 5, target="/flash-salesman"),        # a prefix of the text, still under it
]


def _groups(store: EmbeddedStore) -> dict[str, int]:
    df = store.query("http", 0, 2_000_000_000, fields=["requests"], group_by=["path_group", "utm_campaign"])
    return {f"{r.path_group}:{r.utm_campaign}": int(r.requests) for r in df.itertuples()}


@pytest.mark.parametrize("block_lines", [None, 1])
def test_landing_pages_of_known_campaigns_are_their_own_group(block_lines: int | None) -> None:
    store = EmbeddedStore(":memory:")
    ingest_lines(LINES, store, site="s", source="t", block_lines=block_lines, campaigns=(["flash-gb"], ["/flash-sale"]))
    assert _groups(store) == {"landing:flash-gb": 1, "landing:none": 2, "asset:none": 1, "page:none": 1}


def test_without_campaigns_nothing_is_landing_and_a_new_utm_waits_for_its_third_request() -> None:
    store = EmbeddedStore(":memory:")
    ingest_lines(LINES, store, site="s", source="t")
    assert _groups(store) == {"page:other": 1, "page:none": 3, "asset:none": 1}


def test_a_campaign_announced_while_running_is_picked_up_on_refresh() -> None:
    store, state = EmbeddedStore(":memory:"), StateDB(":memory:")
    pipe = WeblogPipeline(store, site="s", source="t", state=state)
    pipe.feed(LINES[:1])
    state.upsert_campaign(campaigns_from_json(
        '[{"name": "Flash GB", "start": "2023-11-14T22:00:00Z", "site": "s", "landing": ["/flash-sale"],'
        ' "utm_campaign": "flash-gb"}]')[0])
    pipe.refresh_campaigns()
    pipe.feed(LINES)
    pipe.flush()
    groups = _groups(store)
    assert groups["landing:flash-gb"] == 1 and groups["page:other"] == 1  # the first, before it was announced


class _CountingState(StateDB):
    """The real state DB, counting how often the whole calendar is read."""

    reads = 0

    def list_campaigns(self, **kw):  # noqa: ANN003, ANN201
        self.reads += 1
        return super().list_campaigns(**kw)


def test_the_live_tail_reads_the_calendar_again_only_when_it_changed() -> None:
    state = _CountingState(":memory:")
    pipe = WeblogPipeline(EmbeddedStore(":memory:"), site="s", source="t", state=state)
    for _ in range(20):  # looks at the calendar every 15 s: nothing changed, nothing read
        pipe.refresh_campaigns()
    assert state.reads == 1
    state.upsert_campaign(campaigns_from_json(
        '[{"name": "Flash GB", "start": "2023-11-14T22:00:00Z", "site": "s", "landing": ["/flash-sale"]}]')[0])
    pipe.refresh_campaigns()
    pipe.refresh_campaigns()
    assert state.reads == 2
    pipe.feed(LINES[1:2])
    pipe.flush()
