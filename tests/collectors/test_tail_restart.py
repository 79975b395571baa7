"""The live tail stopped and started again: every rotation style while it was down is caught up, exactly once.

Each case writes real log lines (``realsample``) while a tail reads them, stops the tail,
rotates the file the way logrotate or an operator would (rename, rename + gzip,
copytruncate, several rotations in a row) while more lines are written, starts a new
tail on the same checkpoint and counts: lines written = requests stored, none late. On
both backends (the embedded store and a real influxd).
"""

from __future__ import annotations

import gzip
import os
import shutil
import time
from pathlib import Path

import pytest

from collectors.accesslog import AccessLogSettings, AccessLogTail
from collectors.weblog.backfill import IngestRequest, ingest_file
from store.base import TimeSeriesStore
from store.state import StateDB
from tests.collectors.realsample import real_lines_at

SALT = b"r" * 32


@pytest.fixture
def store(any_store: TimeSeriesStore) -> TimeSeriesStore:
    return any_store


@pytest.fixture
def state_path(tmp_path: Path) -> Path:
    return tmp_path / "state.db"


class Writer:
    """Appends real lines to a log, about ten a second from a start a few minutes ago, and counts them."""

    def __init__(self, log: Path) -> None:
        self.log, self.written = log, 0
        self.start = int(time.time()) - 240

    def write(self, n: int, path: Path | None = None) -> None:
        with (path or self.log).open("a") as f:
            f.write("".join(real_lines_at(n, self.start, self.written)))
        self.written += n


def _gzip(src: Path, dst: Path, *, remove: bool = True) -> None:
    """``gzip``: ``src`` compressed into ``dst``, then removed (as logrotate's ``compress`` does)."""
    with src.open("rb") as f, gzip.open(dst, "wb") as out:
        shutil.copyfileobj(f, out)
    if remove:
        src.unlink()


def _tail(log: Path, store: TimeSeriesStore, state: StateDB, **kw: object) -> AccessLogTail:
    settings = AccessLogSettings(files=[log], format="combined", source="web", **kw)
    return AccessLogTail(settings, store=store, state=state, site="shop", salt=SALT)


def _requests(store: TimeSeriesStore) -> int:
    df = store.query("http", 0, 2_000_000_000, fields=["requests"], where={"source": "web"})
    return int(df["requests"].sum()) if len(df) else 0


def _run(log: Path, store: TimeSeriesStore, state_path: Path, writer: Writer, n: int) -> AccessLogTail:
    """A tail that reads ``n`` new lines, then stops cleanly."""
    state = StateDB(state_path)
    tail = _tail(log, store, state)
    writer.write(n)
    assert tail.poll() == n
    tail.flush()
    state.close()
    return tail


def _restart(log: Path, store: TimeSeriesStore, state_path: Path, writer: Writer) -> AccessLogTail:
    state = StateDB(state_path)
    tail = _tail(log, store, state)
    tail.poll()
    tail.flush()
    state.close()
    assert tail.stats.late == 0 and tail.stats.malformed == {}
    assert _requests(store) == writer.written
    return tail


def test_rename_while_stopped_is_caught_up(tmp_path: Path, store: TimeSeriesStore, state_path: Path) -> None:
    log = tmp_path / "access.log"
    w = Writer(log)
    _run(log, store, state_path, w, 500)
    w.write(500)                                   # written after the last checkpoint, before the rotation
    log.rename(tmp_path / "access.log.1")
    w.write(300)                                   # the new file
    _restart(log, store, state_path, w)


def test_rename_and_gzip_while_stopped_is_caught_up(tmp_path: Path, store: TimeSeriesStore,
                                                    state_path: Path) -> None:
    log = tmp_path / "access.log"
    w = Writer(log)
    _run(log, store, state_path, w, 500)
    w.write(500)
    log.rename(tmp_path / "access.log.1")
    _gzip(tmp_path / "access.log.1", tmp_path / "access.log.1.gz")
    w.write(300)
    _restart(log, store, state_path, w)


def test_copytruncate_while_stopped_is_caught_up(tmp_path: Path, store: TimeSeriesStore, state_path: Path) -> None:
    log = tmp_path / "access.log"
    w = Writer(log)
    _run(log, store, state_path, w, 500)
    w.write(500)
    shutil.copyfile(log, tmp_path / "access.log.1")
    os.truncate(log, 0)                            # same inode, new content
    w.write(300)
    _restart(log, store, state_path, w)


def test_several_rotations_while_stopped_are_all_caught_up(tmp_path: Path, store: TimeSeriesStore,
                                                           state_path: Path) -> None:
    log = tmp_path / "access.log"
    w = Writer(log)
    _run(log, store, state_path, w, 300)
    w.write(200)
    log.rename(tmp_path / "access.log.1")          # first rotation
    w.write(400)
    one = tmp_path / "access.log.1"
    _gzip(one, tmp_path / "access.log.2.gz")       # second rotation: .1 -> .2.gz, log -> .1
    log.rename(one)
    w.write(250)
    _restart(log, store, state_path, w)


def test_a_restart_behind_by_more_than_a_read_counts_no_line_late(tmp_path: Path, store: TimeSeriesStore,
                                                                  state_path: Path) -> None:
    """Twenty minutes of lines written while stopped, read 4 KiB a poll: buckets close by the lines' time."""
    log = tmp_path / "access.log"
    w = Writer(log)
    w.start = int(time.time()) - 3000
    state = StateDB(state_path)
    tail = _tail(log, store, state, max_read_bytes=4096)
    w.write(100)
    stop = w.start + 10
    tail.poll(now=stop)
    tail.flush(now=stop)
    state.close()
    w.write(12_000)                                # 20 minutes at ten a second, the tail down
    state = StateDB(state_path)
    tail = _tail(log, store, state, max_read_bytes=4096)
    polls = 0
    while tail.poll(now=stop + 1300):
        polls += 1
    tail.flush(now=stop + 1300)
    state.close()
    assert polls > 100                             # it took many reads to catch up
    assert tail.stats.late == 0
    assert _requests(store) == w.written


def test_ingest_of_a_rotated_gzipped_copy_of_tailed_content_is_a_no_op(tmp_path: Path, store: TimeSeriesStore,
                                                                      state_path: Path) -> None:
    log = tmp_path / "access.log"
    w = Writer(log)
    _run(log, store, state_path, w, 400)
    rotated = tmp_path / "access.log.1.gz"
    _gzip(log, rotated, remove=False)
    state = StateDB(state_path)
    req = IngestRequest(site="shop", source="web", salt=SALT)
    out = ingest_file(rotated, store, state, req)
    assert out.stats is None and "live tail" in out.skipped
    renamed = tmp_path / "old-access.log"
    shutil.copyfile(log, renamed)
    assert ingest_file(renamed, store, state, req).stats is None
    assert _requests(store) == w.written == 400
    req.force = True                               # forced: the copy is stored again, as its own part
    assert ingest_file(rotated, store, state, req).stats.parsed == 400
    state.close()
    assert _requests(store) == 800


def test_the_tail_reads_on_after_what_ingest_stored_of_its_file(tmp_path: Path, store: TimeSeriesStore,
                                                                 state_path: Path) -> None:
    log = tmp_path / "access.log"
    w = Writer(log)
    w.write(300)
    state = StateDB(state_path)
    assert ingest_file(log, store, state, IngestRequest(site="shop", source="web", salt=SALT)).stats.parsed == 300
    state.close()
    w.write(200)                                   # the server goes on; the tail starts on the same file
    state = StateDB(state_path)
    tail = _tail(log, store, state)
    assert tail.poll() == 200
    w.write(100)
    assert tail.poll() == 100
    tail.flush()
    state.close()
    assert _requests(store) == w.written == 600


def test_a_crash_while_catching_up_rotated_pieces_neither_loses_nor_double_counts(
        tmp_path: Path, store: TimeSeriesStore, state_path: Path) -> None:
    log = tmp_path / "access.log"
    w = Writer(log)
    _run(log, store, state_path, w, 200)
    w.write(300)
    log.rename(tmp_path / "access.log.2")
    w.write(300)
    log.rename(tmp_path / "access.log.1")
    w.write(100)
    state = StateDB(state_path)
    tail = _tail(log, store, state, max_read_bytes=4096)
    for _ in range(30):                            # .2 read, .1 begun, then the process dies
        tail.poll()
    assert [p.path.name for p in tail.files[str(log)].backlog] == ["access.log.1"]
    state.close()
    _restart(log, store, state_path, w)
