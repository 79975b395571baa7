"""Fixtures shared by the alerts tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from store.state import StateDB


@pytest.fixture
def state(tmp_path: Path) -> Iterator[StateDB]:
    """A fresh state DB (tests that need it found through settings define their own)."""
    db = StateDB(tmp_path / "state.db")
    yield db
    db.close()
