"""The ``plan`` command's contract, run as other tools run it: a subprocess of cli.py."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from tests.capacity.conftest import History

ROOT = Path(__file__).resolve().parents[2]


def plan(history: History, *args: str, **settings: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SURGEWATCH_")}
    env.update(SURGEWATCH_STORE__PATH=str(history.store_path), SURGEWATCH_STATE__PATH=str(history.state_path),
               SURGEWATCH_CONFIG=str(history.store_path.with_name("none.toml")))
    env.update({f"SURGEWATCH_CAPACITY__{k.upper()}": v for k, v in settings.items()})
    return subprocess.run([sys.executable, "cli.py", "plan", *args], cwd=ROOT, capture_output=True, text=True,
                          env=env, timeout=120)


def test_json_is_one_object_with_forecast_schedule_and_cost(history: History) -> None:
    out = plan(history, history.target.id, "--format", "json", rps_per_instance="2", instances="1",
               instance_cost_per_hour="0.4")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["campaign"]["id"] == history.target.id and doc["learned_from"] == "learned from 3 past email campaigns"
    assert doc["extra_requests"]["p10"] < doc["extra_requests"]["p50"] < doc["extra_requests"]["p90"]
    p, cost = doc["plan"], doc["cost"]
    assert p["scale_up_at"] < doc["peak"]["time"] < p["scale_down_at"]
    assert p["peak_instances"] > p["current_instances"] == 1
    assert p["add_instances"] == p["peak_instances"] - 1
    assert p["steps"][-1] == {"at": p["scale_down_at"], "instances": 1}
    assert cost["extra_cost"] == round(cost["extra_instance_hours"] * 0.4, 2)
    track = doc["tracking"]  # the campaign is over: its measured traffic against the forecast
    assert track["minutes_seen"] > 60 and track["peak_rps"] > doc["baseline_rps_at_start"]
    assert 0.3 < track["share_of_expected"] < 3.0
    assert cost["cost_per_lead"] == round(cost["extra_cost"] / doc["extra_leads"]["p50"], 4) or \
        abs(cost["cost_per_lead"] - cost["extra_cost"] / doc["extra_leads"]["p50"]) < 1e-3


def test_a_campaign_is_found_by_name_and_the_table_tells_the_schedule_and_evidence(history: History) -> None:
    out = plan(history, history.target.name.upper(), rps_per_instance="2", instances="1")
    assert out.returncode == 0, out.stderr
    assert "Scale up from 1 instance(s)" in out.stdout and "back to 1 instance" in out.stdout
    assert "learned from 3 past email campaigns" in out.stdout
    assert "of the expected traffic so far" in out.stdout
    assert "set [capacity] instance_cost_per_hour" in out.stdout


def test_the_table_tells_the_cost_per_lead_in_tenths_of_a_cent_as_the_page_does(history: History) -> None:
    out = plan(history, history.target.id, rps_per_instance="2", instances="1", instance_cost_per_hour="0.4")
    assert out.returncode == 0, out.stderr
    row = next(line for line in out.stdout.splitlines() if "infrastructure cost per lead" in line)
    assert re.search(r"\d\.\d{3}\b", row), row


def test_an_unknown_campaign_exits_1_naming_the_closest(history: History) -> None:
    wrong = history.target.name[:-3]
    out = plan(history, wrong, rps_per_instance="2")
    assert out.returncode == 1 and out.stdout == ""
    assert f"no campaign with id or name {wrong!r}" in out.stderr and history.target.name in out.stderr
    assert "Traceback" not in out.stderr


def test_without_capacity_per_instance_it_exits_2_saying_what_to_set(history: History) -> None:
    out = plan(history, history.target.id, "--format", "json")
    assert out.returncode == 2 and out.stdout == ""
    assert "rps_per_instance" in out.stderr and "Traceback" not in out.stderr


def test_a_bad_capacity_setting_exits_2_naming_it(history: History) -> None:
    out = plan(history, history.target.id, headroom="-1")
    assert out.returncode == 2 and "capacity.headroom" in out.stderr and "Traceback" not in out.stderr


def test_all_plans_only_upcoming_planned_campaigns(history: History) -> None:
    out = plan(history, "--all", "--format", "json", rps_per_instance="2")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == {"plans": []}  # the simulated campaigns were all sent, in 2025
    out = plan(history, "--all", rps_per_instance="2")
    assert out.returncode == 0 and "no planned campaign starts after now" in out.stdout


def test_exports_print_the_floors_for_the_configured_targets(history: History) -> None:
    import yaml

    out = plan(history, history.target.id, "--format", "keda", rps_per_instance="2", instances="1",
               deployment="shop-web", namespace="prod")
    assert out.returncode == 0, out.stderr
    doc = yaml.safe_load(out.stdout)
    assert doc["kind"] == "ScaledObject" and doc["spec"]["scaleTargetRef"]["name"] == "shop-web"
    assert doc["metadata"]["namespace"] == "prod" and "# Remove after " in out.stdout
    out = plan(history, history.target.id, "--format", "aws-cli", rps_per_instance="2", instances="1",
               autoscaling_group="shop-asg")
    assert out.returncode == 0, out.stderr
    assert "aws autoscaling put-scheduled-update-group-action --auto-scaling-group-name shop-asg" in out.stdout


def test_an_export_without_its_target_exits_2_naming_the_setting(history: History) -> None:
    out = plan(history, history.target.id, "--format", "terraform", rps_per_instance="2", instances="1")
    assert out.returncode == 2 and out.stdout == "" and "[capacity] autoscaling_group" in out.stderr
    assert "Traceback" not in out.stderr
