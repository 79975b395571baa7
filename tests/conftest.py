"""Shared fixtures: real services started once per test session (see tests/services.py)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from tests.services import Service, influxd

_db_numbers = itertools.count()


@pytest.fixture(scope="session")
def influxd_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """One influxd (no auth) for the whole session; tests use a fresh database each."""
    svc = influxd(tmp_path_factory.mktemp("influxd"))
    yield svc
    svc.stop()


@pytest.fixture
def influx_database() -> str:
    """A database name no other test in this session uses."""
    return f"test_{next(_db_numbers)}"
