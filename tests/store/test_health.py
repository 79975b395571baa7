"""The store's reachability and spool backlog as the Sources page shows them: a real influxd down, then up."""

from __future__ import annotations

from pathlib import Path

from collectors.status import StatusRecorder
from store import collector_status as cs
from store.base import Point
from store.embedded import EmbeddedStore
from store.health import store_health
from store.influxdb import InfluxStore
from store.state import StateDB
from tests.services import free_port, influxd


def test_influxdb_down_shows_unreachable_with_the_spool_backlog_then_reachable_and_empty(tmp_path: Path) -> None:
    port = free_port()
    store = InfluxStore(f"http://127.0.0.1:{port}", "health", spool_dir=tmp_path / "spool", retries=1, backoff=0)
    points = [Point("http", {"site": "shop", "source": "web1"}, {"requests": 5}, 1_700_000_000 + 10 * i)
              for i in range(7)]
    assert store.write(points) == 7  # spooled: nothing listens on the port yet
    down = store_health(store, 1.0)
    assert down["reachable"] is False and down["spool_points"] == 7 and str(port) in down["error"]
    state = StateDB(tmp_path / "state.db")
    StatusRecorder(state).observe_store(store, 2.0)
    assert cs.get_status(state, cs.STORE_ROW)["spool_points"] == 7
    svc = influxd(tmp_path / "influxd", port=port)
    try:
        store.flush_spool()
        up = store_health(store, 3.0)
        assert up["reachable"] is True and up["spool_points"] == 0 and up["error"] is None
    finally:
        store.close()
        svc.stop()
        state.close()


def test_the_embedded_store_is_reachable_without_a_spool(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "ts.db")
    assert store_health(store, 5.0) == {"backend": "embedded", "reachable": True, "error": None, "spool_points": 0,
                                        "checked_at": 5.0}
    store.close()
