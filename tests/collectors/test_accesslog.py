"""The live tail: rotation, copytruncate, late files, crash/restart from checkpoints, a real nginx."""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from collectors.accesslog import AccessLogSettings, AccessLogTail, build
from simulate.logline import CombinedFormatter
from simulate.scenarios import build as simulate
from store.embedded import EmbeddedStore
from store.state import StateDB
from tests.collectors.logsamples import combined
from tests.services import nginx

SALT = b"t" * 32


def _now_lines(n: int, start: int, first_ip: int = 0) -> list[str]:
    return [combined(start + i % 20, ip=f"81.2.69.{(first_ip + i) % 250 + 1}", target=f"/p/{i}") + "\n"
            for i in range(n)]


def _append(path: Path, lines: list[str]) -> None:
    with path.open("a") as f:
        f.write("".join(lines))


def _tail(path: Path | list[Path], store: EmbeddedStore, state: StateDB, **kw: object) -> AccessLogTail:
    files = path if isinstance(path, list) else [path]
    settings = AccessLogSettings(files=files, format="combined", source="web", **kw)
    return AccessLogTail(settings, store=store, state=state, site="shop", salt=SALT)


def _requests(store: EmbeddedStore) -> int:
    df = store.query("http", 0, 2_000_000_000, fields=["requests"])
    return int(df["requests"].sum()) if len(df) else 0


def _parsed(store: EmbeddedStore) -> int:
    df = store.query("ingest", 0, 2_000_000_000, fields=["lines"], where={"reason": "parsed"})
    return int(df["lines"].sum()) if len(df) else 0


@pytest.fixture
def stores(tmp_path: Path) -> tuple[EmbeddedStore, StateDB]:
    return EmbeddedStore(tmp_path / "ts.db"), StateDB(tmp_path / "state.db")


def test_rotation_by_rename_loses_no_line(tmp_path: Path, stores: tuple[EmbeddedStore, StateDB]) -> None:
    store, state = stores
    log = tmp_path / "access.log"
    start = int(time.time()) - 60
    _append(log, _now_lines(50, start))
    tail = _tail(log, store, state)
    assert tail.poll() == 50
    _append(log, _now_lines(20, start, 50))
    with log.open("a") as f:                       # the writer is mid-line when the file is renamed
        f.write(_now_lines(1, start, 70)[0][:30])
    log.rename(tmp_path / "access.log.1")
    with (tmp_path / "access.log.1").open("a") as f:
        f.write(_now_lines(1, start, 70)[0][30:] + "".join(_now_lines(9, start, 71)))
    _append(log, _now_lines(30, start, 80))
    assert tail.poll() == 60
    tail.flush()
    assert _requests(store) == 110 and tail.stats.malformed == {}


def test_rotation_by_copytruncate_loses_no_line(tmp_path: Path, stores: tuple[EmbeddedStore, StateDB]) -> None:
    store, state = stores
    log = tmp_path / "access.log"
    start = int(time.time()) - 60
    _append(log, _now_lines(50, start))
    tail = _tail(log, store, state)
    tail.poll()
    _append(log, _now_lines(15, start, 50))        # written after our last read, before the copy
    shutil.copyfile(log, tmp_path / "access.log.1")
    os.truncate(log, 0)
    _append(log, _now_lines(25, start, 65))
    tail.poll()
    tail.flush()
    assert _requests(store) == 90


def test_file_that_appears_later_and_truncation(tmp_path: Path, stores: tuple[EmbeddedStore, StateDB]) -> None:
    store, state = stores
    log = tmp_path / "later.log"
    tail = _tail(log, store, state)
    assert tail.poll() == 0 and "does not exist yet" in tail.problems()[0]
    start = int(time.time()) - 60
    _append(log, _now_lines(10, start))
    assert tail.poll() == 10
    os.truncate(log, 0)
    _append(log, _now_lines(4, start, 10))
    assert tail.poll() == 4
    tail.flush()
    assert _requests(store) == 14


def test_restart_from_checkpoint_neither_loses_nor_double_counts(tmp_path: Path) -> None:
    store_path, state_path = tmp_path / "ts.db", tmp_path / "state.db"
    log = tmp_path / "access.log"
    start = int(time.time()) - 120
    written = 0

    class CrashingState(StateDB):
        """A state DB whose next checkpoint fails, like a crash between store write and checkpoint."""

        armed = False

        def put_checkpoint(self, source: str, data: dict) -> None:
            if self.armed:
                raise RuntimeError("crash before checkpoint")
            super().put_checkpoint(source, data)

    for round_no in range(4):
        store, state = EmbeddedStore(store_path), CrashingState(state_path)
        tail = _tail(log, store, state)
        for _ in range(3):
            batch = _now_lines(37, start + written // 10, written)
            _append(log, batch)
            written += len(batch)
            tail.poll()
        batch = _now_lines(11, start + written // 10, written)
        _append(log, batch)
        written += len(batch)
        if round_no % 2:
            state.armed = True                       # the lines are read and buckets written, then the crash
            with pytest.raises(RuntimeError):
                tail.poll()
        store.close()
        state.close()                               # no flush: the process died
    store, state = EmbeddedStore(store_path), StateDB(state_path)
    tail = _tail(log, store, state)
    tail.poll()
    tail.flush()
    assert _requests(store) == written == _parsed(store)


def test_build_rejects_bad_section_with_the_field_name(stores: tuple[EmbeddedStore, StateDB]) -> None:
    store, state = stores
    with pytest.raises(ValueError, match="trusted_proxies"):
        build({"files": ["/x.log"], "trusted_proxies": ["nope"]}, store=store, state=state, site="s")
    with pytest.raises(ValueError, match="files"):
        build({}, store=store, state=state, site="s")
    with pytest.raises(ValueError, match="top_automated_networks"):
        build({"files": ["/x.log"], "top_automated_networks": -1}, store=store, state=state, site="s")


@pytest.mark.service
def test_tails_a_real_nginx_access_log_through_log_reopen(stores: tuple[EmbeddedStore, StateDB]) -> None:
    store, state = stores
    d = Path(tempfile.mkdtemp(prefix="nginx-"))
    svc = nginx(d, {"index.html": "<h1>shop</h1>"})  # its ready check is one request, counted in base
    try:
        url = svc.url
        deadline = time.time() + 10
        while not (d / "access.log").stat().st_size:  # nginx logs the ready check just after answering it
            assert time.time() < deadline, "nginx did not log its ready check"
            time.sleep(0.05)
        tail = _tail(d / "access.log", store, state)
        tail.poll()
        base = tail.stats.parsed
        with httpx.Client(base_url=url) as client:
            for i in range(40):
                client.get(f"/?utm_campaign=spring&i={i}", headers={"X-Forwarded-For": "8.8.8.8"})
            client.get("/missing.css")
            tail.poll()
            (d / "access.log").rename(d / "access.log.1")
            os.kill(svc.proc.pid, signal.SIGUSR1)   # nginx reopens its log: rotation by rename
            deadline = time.time() + 10
            while not (d / "access.log").exists():
                assert time.time() < deadline, "nginx did not reopen its log"
                time.sleep(0.05)
            for _ in range(9):
                client.get("/")
        tail.poll()
        tail.flush()
        assert tail.stats.parsed - base == 50
        df = store.query("http", 0, 2_000_000_000, fields=["requests"], group_by=["country", "status", "utm_campaign"])
        counts = {(r.country, r.status, r.utm_campaign): int(r.requests) for r in df.itertuples()}
        assert counts.get(("none", "4xx", "none")) == 1           # loopback: no country, header not trusted
        # a new campaign gets its own tag from its 3rd request (campaign_min_requests); before, "other"
        assert counts.get(("none", "2xx", "spring")) == 38 and counts.get(("none", "2xx", "other")) == 2
        assert _requests(store) == 50 + base
    finally:
        svc.stop()
        shutil.rmtree(d, ignore_errors=True)


def _per_bucket(store: EmbeddedStore, measurement: str, field: str = "requests") -> dict[int, int]:
    df = store.query(measurement, 0, 2_000_000_000, fields=[field], every=10)
    return {int(t.timestamp()): int(v) for t, v in zip(df["time"], df[field], strict=True)}


def _stored_networks(store: EmbeddedStore) -> dict[int, set[tuple[str, str]]]:
    out: dict[int, set[tuple[str, str]]] = {}
    for p in store.points("networks", 0, 2_000_000_000):
        out.setdefault(p.time, set()).add((p.tags["prefix"], p.tags["asn"]))
    return out


def test_live_botnet_networks_reach_the_store_while_buckets_are_open_and_never_count_twice(tmp_path: Path) -> None:
    # credential stuffing from hundreds of cloud /24s, stamped around now, tailed with default settings
    now = int(time.time())
    sim = simulate("credential_stuffing", 1, history_hours=40 / 3600, surge_hours=180 / 3600, base_rps=5,
                   bot_factor=15.0, bot_minutes=5.0, start=datetime.fromtimestamp(now - 200, UTC))
    fmt = CombinedFormatter(sim.utc_offset_minutes)
    chunks: dict[int, list[str]] = {}
    for r in sim.records:                            # what the server appends every 5 s
        chunks.setdefault(int(r[0]) // 5, []).append(fmt.line(r) + "\n")
    log, store_path, state_path = tmp_path / "access.log", tmp_path / "ts.db", tmp_path / "state.db"
    store, state = EmbeddedStore(store_path), _CrashingState(state_path)
    tail = _tail(log, store, state)
    written: dict[int, set[tuple[str, str]]] = {}
    seen_open = set()
    for i, key in enumerate(sorted(chunks)):
        _append(log, chunks[key])
        if i == len(chunks) // 2:                     # lines read and written, then a crash before the checkpoint
            state.armed = True
            with pytest.raises(RuntimeError):
                tail.poll()
            store.close()
            state.close()
            store, state = EmbeddedStore(store_path), _CrashingState(state_path)
            tail = _tail(log, store, state)          # restarts from the previous checkpoint
        tail.poll()
        pipe, stored = tail.pipeline, _stored_networks(store)
        for start, b in pipe.buckets.items():
            if start < pipe.newest:                   # its 10 s are over: its networks are in, still open
                assert stored.get(start) == b.written, start
                assert b.written >= written.get(start, set()), f"written set of {start} shrank"
                written[start] = set(b.written)
                seen_open.add(start)
        assert _per_bucket(store, "networks") == {t: n for t, n in _per_bucket(store, "http").items() if t in stored}
    pipe = tail.pipeline
    pipe.close_until(pipe.newest + 10)               # what the wall clock does 5 minutes later
    pipe.write_closed()
    stored = _stored_networks(store)
    assert len(seen_open) >= 15 and all(stored[t] >= w for t, w in written.items())
    http = _per_bucket(store, "http")
    assert _per_bucket(store, "networks") == http and sum(http.values()) == len(sim.records)
    automated = store.query("networks", 0, 2_000_000_000, fields=["automated"], group_by=["prefix"])
    other = automated[automated["prefix"] == "other"]["automated"].sum()
    assert automated["automated"].sum() > 5_000 and other < 0.02 * automated["automated"].sum()


class _CrashingState(StateDB):
    """A state DB whose next checkpoint fails once armed, like a crash between store write and checkpoint."""

    armed = False

    def put_checkpoint(self, source: str, data: dict) -> None:
        if self.armed:
            raise RuntimeError("crash before checkpoint")
        super().put_checkpoint(source, data)
