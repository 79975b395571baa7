"""The demo tells its story: an announced email campaign lands, then a credential-stuffing botnet during it.

Runs the real ``cli.py demo`` (simulator, worker, embedded store) in a temporary directory and
reads the state DB it leaves behind.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import demo
from store.state import StateDB

ROOT = Path(__file__).resolve().parent.parent
SPEED = 4.0
DURATION = 170


def test_demo_shows_the_campaign_then_the_attack_and_never_calls_the_campaign_bot(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, str(ROOT / "cli.py"), "demo", "--no-dashboard", "--duration", str(DURATION),
         "--speed", str(SPEED), "--history-hours", "1.5", "--seed", "7"],
        cwd=tmp_path, capture_output=True, text=True, timeout=DURATION + 150,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    state = StateDB(tmp_path / "data" / "demo" / "state.db")
    try:
        campaigns = {c.name: c for c in state.list_campaigns()}
        upcoming = campaigns.pop(demo.UPCOMING["name"])
        (campaign,) = campaigns.values()
        (first, _), (attack, _) = sorted((e[0], e[1]) for e in demo.SCHEDULE)[:2]
        attack_at = campaign.start.timestamp() + (attack - first) / SPEED
        history = [(at.timestamp(), d) for inc in state.list_incidents()
                   for at, d in state.incident_history(inc["id"])]
    finally:
        state.close()
    assert upcoming.audience and upcoming.start > datetime.now(UTC), "the next campaign is announced for planning"
    assert history, "the worker raised no incident"
    named = [d for _, d in history if d["verdict"] in ("campaign", "mixed") and d["campaign"] == campaign.name]
    assert named and any(len(d["evidence"]) >= 3 for d in named), "an incident names the announced campaign"
    before = [d["verdict"] for at, d in history if at < attack_at]
    assert before and "bot" not in before, f"verdicts before the attack: {before}"
    blocked = [d for at, d in history if at >= attack_at and d["verdict"] in ("bot", "mixed")
               and d.get("block") and d["block"]["cidrs"]]
    assert blocked, (f"no bot/mixed verdict with a block suggestion after "
                     f"{datetime.fromtimestamp(attack_at, UTC):%H:%M:%S}: {[d['verdict'] for _, d in history]}")


def test_the_demos_next_campaign_gets_a_scaling_plan(tmp_path: Path) -> None:
    """The Capacity page's story: next morning's announced email needs the shop's 3 instances scaled up first."""
    import json
    import os

    data = tmp_path / "data" / "demo"
    data.mkdir(parents=True)
    env = demo.demo_env(data, metrics_port=0)
    state = StateDB(data / "state.db")
    try:
        upcoming = demo.announce_upcoming(state)
    finally:
        state.close()
    run = subprocess.run([sys.executable, str(ROOT / "cli.py"), "plan", upcoming.name, "--format", "json"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120, env={**os.environ, **env})
    assert run.returncode == 0, run.stderr[-3000:]
    plan = json.loads(run.stdout)["plan"]
    assert plan["current_instances"] == 3 and plan["peak_instances"] > 3
    start = upcoming.start.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert plan["scale_up_at"] < start < plan["scale_down_at"]
