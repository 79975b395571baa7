"""A campaign's results on a log whose visits and leads are known, with costs whose inputs are set here.

The log is the hand-written one of ``tests/collectors/test_weblog_attribution.py`` (its visitors'
stories say what each counts for); the origin instances and CDN bytes are written here as
Prometheus and the CDN collectors write them, so every expected cost is computed from these inputs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from capacity.results import report
from capacity.settings import CapacitySettings
from collectors.weblog.pipeline import ingest_lines
from store.base import Point
from store.embedded import EmbeddedStore
from store.state import StateDB
from tests.collectors.test_weblog_attribution import END, SPRING, START, story

CAMPAIGN = SPRING.model_copy(update={"site": "s", "spend": 100.0, "currency": "EUR"})
SETTINGS = CapacitySettings(instance_cost_per_hour=0.5, cdn_cost_per_gb=0.1, rps_per_instance=50)
LATER = datetime.fromtimestamp(END + 7 * 3600, UTC)
ROOT = Path(__file__).resolve().parents[2]


def origin(ts: int, instances: float) -> Point:
    return Point("origin", {"site": "s", "source": "prom", "metric": "instances"}, {"value": instances, "peak": 0}, ts)


@pytest.fixture
def world(tmp_path: Path) -> tuple[EmbeddedStore, StateDB]:
    store = EmbeddedStore(tmp_path / "store.db")
    ingest_lines(story(), store, site="s", source="t", salt=b"a" * 32, announced=[CAMPAIGN])
    # 2 instances for the 3 hours before, 4 during the campaign's first hour, 2 for the rest of it
    store.write([origin(t, 2) for t in range(START - 3 * 3600, START, 60)]
                + [origin(t, 4) for t in range(START, START + 3600, 60)]
                + [origin(t, 2) for t in range(START + 3600, END, 60)])
    # the CDN carried 3 GB during the campaign and nothing in the 3 hours before
    store.write([Point("cdn", {"site": "s", "source": "edge", "provider": "varnish", "country": "none",
                               "status": "2xx"}, {"bytes": 1e9, "requests": 1}, START + k * 600) for k in range(3)])
    state = StateDB(tmp_path / "state.db")
    state.upsert_campaign(CAMPAIGN)
    return store, state


def test_cost_per_lead_adds_up_from_the_inputs(world: tuple[EmbeddedStore, StateDB]) -> None:
    store, state = world
    r = report(store, state, CAMPAIGN, SETTINGS, now=LATER)
    c = r.as_dict()["cost"]
    hours = (4 - 2) * 60 / 60           # 2 extra instances for 60 minutes
    instance_cost = hours * 0.5
    cdn_cost = 3.0 * 0.1                # 3 GB at 0.1
    leads = 2                           # A and I (see the stories)
    assert r.counts["conversions"] == leads
    assert c["extra_instance_hours"] == pytest.approx(hours)
    assert c["instance_cost"] == pytest.approx(instance_cost)
    assert c["extra_gb"] == pytest.approx(3.0)
    assert c["cdn_cost"] == pytest.approx(cdn_cost)
    assert c["infrastructure"] == pytest.approx(instance_cost + cdn_cost)
    assert c["total"] == pytest.approx(100 + instance_cost + cdn_cost)
    per = c["per_lead"]
    assert per["spend"]["actual"] == pytest.approx(100 / leads)
    assert per["infrastructure"]["actual"] == pytest.approx((instance_cost + cdn_cost) / leads)
    assert per["total"]["actual"] == pytest.approx(per["spend"]["actual"] + per["infrastructure"]["actual"])
    assert per["spend"]["forecast"] is None  # no audience: no forecast, and it says so
    assert any("no forecast" in n for n in r.notes)


def test_without_instance_metrics_and_prices_the_costs_are_unknown_and_said_so(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "store.db")
    ingest_lines(story(), store, site="s", source="t", salt=b"a" * 32, announced=[CAMPAIGN])
    state = StateDB(tmp_path / "state.db")
    r = report(store, state, CAMPAIGN, CapacitySettings(), now=LATER)
    c = r.as_dict()["cost"]
    assert c["instance_cost"] is None and c["cdn_cost"] is None and c["extra_instance_hours"] is None
    assert c["bytes_from"].startswith("the access logs")  # no CDN counters: the logs' bytes
    assert c["total"] == 100 and c["per_lead"]["total"]["actual"] == 50
    assert any("instance_cost_per_hour" in n for n in c["notes"]) and any("cdn_cost_per_gb" in n for n in c["notes"])


def test_attributed_numbers_and_landing_errors(world: tuple[EmbeddedStore, StateDB]) -> None:
    store, state = world
    d = report(store, state, CAMPAIGN, SETTINGS, now=LATER).as_dict()
    assert d["attributed"] == {"visits": 4, "conversions": 2}
    assert d["during_not_attributed"] == 2
    assert d["landing"] == {"requests": 6, "4xx": 1, "5xx": 0}
    series = report(store, state, CAMPAIGN, SETTINGS, now=LATER).series
    assert int(series["visits"].sum()) == 4 and int(series["leads"].sum()) == 2


def test_the_increase_over_usual_days_says_when_it_cannot_be_told(world: tuple[EmbeddedStore, StateDB]) -> None:
    store, state = world
    r = report(store, state, CAMPAIGN, SETTINGS, now=LATER)
    assert r.incremental.usual is None and "cannot be told" in r.incremental.plain
    # four earlier days at the same hours: 1, 2, 1, 2 conversions of 10 visits each
    store.write([Point("campaign_visits", {"site": "s", "source": "t", "campaign": "none"},
                       {"visits": 10, "conversions": n}, START - k * 86_400 + 60) for k, n in
                 ((1, 1), (2, 2), (3, 1), (4, 2))])
    r = report(store, state, CAMPAIGN, SETTINGS, now=LATER)
    # during the window the site converted C, E and A (I converted after the end)
    assert r.incremental.actual == 3 and r.incremental.days == 4 and r.incremental.usual == pytest.approx(1.5)
    assert "too much to tell" in r.incremental.plain


def test_a_clear_increase_is_said_with_its_range(world: tuple[EmbeddedStore, StateDB]) -> None:
    store, state = world
    store.write([Point("campaign_visits", {"site": "s", "source": "t", "campaign": "none"},
                       {"visits": 10, "conversions": 0}, START - k * 86_400 + 60) for k in range(1, 8)])
    store.write([Point("campaign_visits", {"site": "s", "source": "t2", "campaign": "none"},
                       {"visits": 40, "conversions": 40}, START + 1200)])
    r = report(store, state, CAMPAIGN, SETTINGS, now=LATER)
    assert r.incremental.actual == 43 and r.incremental.usual == 0
    assert r.incremental.low > 0 and "more, likely between" in r.incremental.plain


def test_results_are_json_and_csv(world: tuple[EmbeddedStore, StateDB]) -> None:
    store, state = world
    r = report(store, state, CAMPAIGN, SETTINGS, now=LATER)
    assert json.loads(json.dumps(r.as_dict()))["campaign"]["id"] == "spring-sale"
    lines = r.csv().splitlines()
    assert lines[0] == "time,visits,leads,during_not_attributed,site_conversions,usual_conversions"
    assert sum(int(line.split(",")[1]) for line in lines[1:]) == 4
    assert "4 visits from the campaign's link, 2 leads" in r.line()


def test_a_campaign_with_nothing_stored_or_not_started_yet_is_said_so(tmp_path: Path) -> None:
    store, state = EmbeddedStore(tmp_path / "store.db"), StateDB(tmp_path / "state.db")
    empty = report(store, state, CAMPAIGN, SETTINGS, now=LATER).as_dict()
    assert empty["attributed"] == {"visits": 0, "conversions": 0}
    assert empty["cost"]["per_lead"]["total"]["actual"] is None and "no lead attributed" in " ".join(
        empty["cost"]["notes"])
    assert empty["forecast_vs_actual"]["minutes_above_capacity"] == 0
    ahead = report(store, state, CAMPAIGN, SETTINGS, now=datetime.fromtimestamp(START - 3600, UTC)).as_dict()
    assert ahead["incremental"]["plain"] == "the campaign has not started yet"
    assert ahead["forecast_vs_actual"] == {"note": "the campaign has not started yet"}


def _cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SURGEWATCH_")}
    env.update(SURGEWATCH_STORE__PATH=str(tmp_path / "store.db"), SURGEWATCH_STATE__PATH=str(tmp_path / "state.db"),
               SURGEWATCH_CAPACITY__INSTANCE_COST_PER_HOUR="0.5", SURGEWATCH_CAPACITY__CDN_COST_PER_GB="0.1")
    return subprocess.run([sys.executable, "cli.py", "report", *args], cwd=ROOT, capture_output=True, text=True,
                          env=env, timeout=120)


def test_the_command_in_each_format_and_its_mistakes(world: tuple[EmbeddedStore, StateDB], tmp_path: Path) -> None:
    table = _cli(tmp_path, "spring-sale")
    assert table.returncode == 0, table.stderr
    assert "Leads (conversions of those visits)" in table.stdout and "Spring sale" in table.stdout
    data = json.loads(_cli(tmp_path, "Spring sale", "--format", "json").stdout)  # by name too
    # the same inputs as the cost test: 2 extra instance-hours at 0.5, 3 GB at 0.1, over 2 leads
    assert data["cost"]["cdn_cost"] == pytest.approx(0.3) and data["cost"]["extra_instance_hours"] == pytest.approx(2)
    assert data["cost"]["per_lead"]["total"]["actual"] == pytest.approx((100 + 1 + 0.3) / 2)
    csv = _cli(tmp_path, "spring-sale", "--format", "csv")
    assert csv.stdout.startswith("time,visits,leads,")
    unknown = _cli(tmp_path, "sprng-sale")
    assert unknown.returncode == 1 and "did you mean 'spring-sale'" in unknown.stderr and not unknown.stdout
    bad = _cli(tmp_path, "spring-sale", "--format", "xml")
    assert bad.returncode == 2 and "use table, json, csv" in bad.stderr and "Traceback" not in bad.stderr


def test_with_an_audience_the_forecast_stands_beside_each_actual(world: tuple[EmbeddedStore, StateDB]) -> None:
    store, state = world
    planned = CAMPAIGN.model_copy(update={"audience": 20_000})
    state.upsert_campaign(planned)
    # the week before: 50 people's visits, 5 of them converted (the plan's leads per visit)
    store.write([Point("visitors", {"site": "s", "source": "t", "actor": "human"},
                       {"requests": 100, "clients": 50, "conversions": 5}, START - 86_400)])
    d = report(store, state, planned, SETTINGS, now=LATER).as_dict()
    vs = d["forecast_vs_actual"]
    for key in ("peak_rps", "extra_requests", "visits", "leads"):
        band = vs[key]
        assert band["p10"] <= band["p50"] <= band["p90"]
        assert band["within"] == ("below" if band["actual"] < band["p10"] else "above" if band["actual"] > band["p90"]
                                  else "inside")
    assert vs["visits"]["actual"] == 4 and vs["leads"]["actual"] == 2
    per = d["cost"]["per_lead"]
    assert per["spend"]["forecast"] is not None and per["infrastructure"]["forecast"] is not None
    assert per["total"]["forecast"] == pytest.approx(per["spend"]["forecast"] + per["infrastructure"]["forecast"],
                                                     abs=1e-3)
    # 2 instances × 50 req/s each and more: the log's few requests never came near the fleet's capacity
    assert vs["minutes_above_capacity"] == 0 and "origin 'instances'" in vs["capacity_from"]


def test_mailchimp_counts_stand_beside_the_sites_own(world: tuple[EmbeddedStore, StateDB]) -> None:
    store, state = world
    store.write([Point("sends", {"site": "s", "source": "mailchimp", "campaign": "spring-sale", "channel": "email"},
                       {"sent": 5000, "opens": 1200 + k, "clicks": 90}, START + 60 * k) for k in range(2)])
    d = report(store, state, CAMPAIGN, SETTINGS, now=LATER).as_dict()
    assert d["mailchimp"] == {"sent": 10_000, "opens": 2401, "clicks": 180}
    assert d["attributed"] == {"visits": 4, "conversions": 2}  # the site's own numbers, not the sender's
