"""InfluxDB down while lines keep coming: the spool grows with the data, not with the polls.

A real influxd is stopped; two tails read the same real log lines (``realsample``) on a
compressed clock, one polling once a simulated second, the other four times as often.
Open buckets are not spooled while the store holds a backlog, and a point already written
unchanged is not written again, so each closed bucket reaches the spool once: both spools
grow by the same bytes each minute, as buckets close, whatever the polls. After influxd is back, the spools replay and
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


def _growth(sizes: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """(bytes, points) added to the spool in each minute after the first."""
    return [(b[0] - a[0], b[1] - a[1]) for a, b in zip(sizes, sizes[1:], strict=False)]


def test_the_spool_grows_with_the_data_not_with_the_polls(tmp_path: Path, own_influxd: Service) -> None:
    svc = own_influxd
    start = int(time.time()) - 3600
    up = InfluxStore(svc.url, "spooled", retries=1)
    up.close()                                       # the database exists; now InfluxDB goes away
    svc.stop()
    slow, slow_sizes = _run(tmp_path, svc, "slow", 1, start)
    fast, fast_sizes = _run(tmp_path, svc, "fast", 4, start)
    # Only the first write, before the spool had a backlog, depends on the polls: the open bucket as it
    # stood then, written again when it closes if it changed since. From the second minute on, each
    # minute adds what closed in it, byte for byte the same however often one polls.
    slow_growth = _growth(slow_sizes)
    assert _growth(fast_sizes)[1:] == slow_growth[1:]
    assert all(g[0] > 0 and g[1] > 0 for g in slow_growth)     # it grows as buckets close
    minute = min(g[0] for g in slow_growth)
    assert abs(slow_sizes[-1][0] - fast_sizes[-1][0]) < minute / 10  # that first bucket, written twice at most
    svc.start()
    for store, name in ((slow, "slow"), (fast, "fast")):
        deadline = time.monotonic() + 60
        while store.flush_spool() >= 0 and store.spool_depth() and time.monotonic() < deadline:
            time.sleep(0.2)                          # influxd may answer before it takes writes again
        assert store.spool_depth() == 0
        df = store.query("http", 0, 2_000_000_000, fields=["requests"], where={"source": name})
        assert int(df["requests"].sum()) == SECONDS * PER_SECOND
        store.close()
