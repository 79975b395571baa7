"""InfluxDB down while lines keep coming: the spool grows with the data, not with the polls.

A real influxd is stopped; two tails read the same real log lines (``realsample``) on a
compressed clock, one polling once a simulated second, the other four times as often.
Open buckets are not spooled while the store holds a backlog, and a point already written
unchanged is not written again, so each closed bucket reaches the spool once: both spools
end the same size, growing as buckets close. After influxd is back, the spools replay and
requests stored = lines written, exactly.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from collectors.accesslog import AccessLogSettings, AccessLogTail
from store.influxdb import InfluxStore
from store.state import StateDB
from tests.collectors.realsample import real_lines_at
from tests.services import Service, influxd

pytestmark = pytest.mark.service

SALT = b"s" * 32
SECONDS = 300
PER_SECOND = 5


@pytest.fixture
def own_influxd(tmp_path: Path) -> Iterator[Service]:
    svc = influxd(tmp_path / "influxd")
    yield svc
    svc.stop()


def _run(tmp_path: Path, svc: Service, name: str, polls_per_second: int, start: int) -> tuple[InfluxStore, list]:
    """Lines at PER_SECOND a second for SECONDS simulated seconds, polled ``polls_per_second`` times a second.

    Returns the store and the spool size (bytes, points) after each simulated minute.
    """
    store = InfluxStore(svc.url, "spooled", spool_dir=tmp_path / f"spool-{name}", retries=1, backoff=0.01,
                        timeout=1)
    state = StateDB(tmp_path / f"state-{name}.db")
    log = tmp_path / f"{name}.log"
    log.touch()
    settings = AccessLogSettings(files=[log], format="combined", source=name, open_window_seconds=60)
    tail = AccessLogTail(settings, store=store, state=state, site="shop", salt=SALT)
    sizes = []
    written = 0
    for step in range(SECONDS * polls_per_second):
        now = start + (step + 1) / polls_per_second
        due = int((now - start) * PER_SECOND)
        with log.open("a") as f:
            f.write("".join(real_lines_at(due - written, start, written, per_second=PER_SECOND)))
        written = due
        tail.poll(now=now)
        if (step + 1) % (60 * polls_per_second) == 0:
            sizes.append((store._spool.size_bytes(), store.spool_depth()))  # noqa: SLF001
    tail.flush(now=start + SECONDS)
    state.close()
    assert written == SECONDS * PER_SECOND
    return store, sizes


def test_the_spool_grows_with_the_data_not_with_the_polls(tmp_path: Path, own_influxd: Service) -> None:
    svc = own_influxd
    start = int(time.time()) - 3600
    up = InfluxStore(svc.url, "spooled", retries=1)
    up.close()                                       # the database exists; now InfluxDB goes away
    svc.stop()
    slow, slow_sizes = _run(tmp_path, svc, "slow", 1, start)
    fast, fast_sizes = _run(tmp_path, svc, "fast", 4, start)
    assert slow_sizes[-1][0] > 0
    assert slow_sizes == fast_sizes                 # four times the polls, the same spool
    grow = [b for b, _ in slow_sizes]
    assert grow == sorted(grow) and grow[-1] > 3 * grow[0]      # it grows as buckets close
    svc.start()
    for store, name in ((slow, "slow"), (fast, "fast")):
        store.flush_spool()
        assert store.spool_depth() == 0
        df = store.query("http", 0, 2_000_000_000, fields=["requests"], where={"source": name})
        assert int(df["requests"].sum()) == SECONDS * PER_SECOND
        store.close()
