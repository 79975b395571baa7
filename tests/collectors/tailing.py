"""A real live tail for the tests of what the worker records: one log file, one AccessLogTail, lines appended now."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from collectors.accesslog import AccessLogSettings, AccessLogTail
from store.embedded import EmbeddedStore
from store.state import StateDB
from tests.collectors.logsamples import combined


def new_tail(tmp_path: Path, store: EmbeddedStore, state: StateDB) -> tuple[AccessLogTail, Path]:
    """An AccessLogTail (source web1, site shop) of an empty ``access.log``."""
    log = tmp_path / "access.log"
    log.touch()
    settings = AccessLogSettings(files=[log], format="combined", source="web1")
    return AccessLogTail(settings, store=store, state=state, site="shop"), log


def append(log: Path, n: int, extra: str = "") -> None:
    """``n`` combined lines stamped now (and ``extra`` after them)."""
    now = int(time.time())
    with log.open("a") as f:
        f.write("".join(combined(now, ip=f"81.2.69.{i % 200 + 1}", target=f"/p/{i}") + "\n" for i in range(n)))
        if extra:
            f.write(extra + "\n")


@pytest.fixture
def parts(tmp_path: Path) -> Iterator[tuple[EmbeddedStore, StateDB]]:
    """A fresh embedded store and state DB in ``tmp_path``."""
    store, state = EmbeddedStore(tmp_path / "ts.db"), StateDB(tmp_path / "state.db")
    yield store, state
    store.close()
    state.close()
