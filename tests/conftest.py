"""Shared fixtures: real services started once per test session (see tests/services.py); the ``--full`` option.

``--full`` (``./surgewatch test --full``) adds the long forms: tests marked ``full`` run (they are
skipped otherwise), and property-based tests (hypothesis) try 2,000 examples each instead of 100.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from hypothesis import settings

from tests.services import Service, influxd

_db_numbers = itertools.count()
FULL_EXAMPLES = 2000


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--full", action="store_true", default=False,
                     help=f"also run the long forms: tests marked full, and {FULL_EXAMPLES:,} hypothesis examples "
                          "per property-based test")


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--full"):
        settings.register_profile("full", max_examples=FULL_EXAMPLES, deadline=None)
        settings.load_profile("full")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--full"):
        return
    skip = pytest.mark.skip(reason="long form: run with --full")
    for item in items:
        if item.get_closest_marker("full"):
            item.add_marker(skip)


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
