"""A site's history of simulated email campaigns, ingested through the access-log pipeline into a real store."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from campaigns.model import Campaign, parse_campaign
from collectors.weblog.pipeline import ingest_lines
from simulate.campaign_history import campaign_days
from simulate.scenarios import Simulation
from store.embedded import EmbeddedStore
from store.rollup import rollup_range
from store.state import StateDB

SALT = b"c" * 32
SEEDS = [311, 312, 313, 314]  # three past campaigns, then the one to forecast
FIRST_DAY = datetime(2025, 3, 3, tzinfo=UTC)


@dataclass
class History:
    store_path: Path
    state_path: Path
    sims: list[Simulation]
    campaigns: list[Campaign]

    @property
    def target(self) -> Campaign:
        return self.campaigns[-1]


def ingest(sims: list[Simulation], store_path: Path, state_path: Path) -> list[Campaign]:
    """Every simulated day into the store (and its rollups), every campaign into the state DB."""
    store, state = EmbeddedStore(store_path), StateDB(state_path)
    campaigns = []
    for i, sim in enumerate(sims):
        c = sim.campaigns[0]
        ingest_lines(sim.lines(), store, site=sim.site, source=f"day{i}", salt=SALT,
                     campaigns=([c["utm_campaign"]], c["landing"]))
        campaigns.append(parse_campaign(c))
        state.upsert_campaign(campaigns[-1])
    rollup_range(store, sims[0].start, sims[-1].end)
    store.close()
    state.close()
    return campaigns


@pytest.fixture(scope="session")
def history(tmp_path_factory: pytest.TempPathFactory) -> History:
    root = tmp_path_factory.mktemp("capacity")
    sims = campaign_days(SEEDS, first_day=FIRST_DAY, base_rps=1.0, scale=0.3, surge_hours=5.0)
    campaigns = ingest(sims, root / "ts.db", root / "state.db")
    return History(root / "ts.db", root / "state.db", sims, campaigns)
