"""Fixtures shared by the access-log tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from store.base import TimeSeriesStore
from store.embedded import EmbeddedStore


@pytest.fixture(params=["embedded", pytest.param("influxdb", marks=pytest.mark.service)])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TimeSeriesStore]:
    """Each backend in turn, empty: the embedded store, then a fresh database of the session's influxd."""
    if request.param == "embedded":
        s: TimeSeriesStore = EmbeddedStore(tmp_path / "ts.db")
    else:
        from store.influxdb import InfluxStore

        s = InfluxStore(request.getfixturevalue("influxd_service").url, request.getfixturevalue("influx_database"),
                        retries=2)
    yield s
    s.close()
