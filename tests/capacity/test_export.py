"""Every export of a plan's floors, validated offline against the targets' own published definitions.

- KEDA: the ScaledObject CRD's OpenAPI schema as kedacore/keda ships it (tests/capacity/data/, origin in its README);
- AWS: botocore's Auto Scaling service model (the one the AWS CLI is generated from) and its parameter validator;
- Terraform: parsed by python-hcl2, the arguments of aws_autoscaling_schedule as the provider documents them;
- Kubernetes CronJobs: batch/v1 structure (schedule, timeZone, jobTemplate, restartPolicy) and RBAC.
"""

from __future__ import annotations

import json
import shlex
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import botocore.session
import hcl2
import jsonschema
import numpy as np
import pandas as pd
import pytest
import yaml
from botocore import xform_name
from botocore.validate import ParamValidator

from campaigns.model import parse_campaign
from capacity import export
from capacity.floors import MIN_GAP_MINUTES, Schedule, combine, floors
from capacity.forecast import forecast
from capacity.plan import Capacity, Plan, make_plan
from capacity.settings import CapacitySettings
from store.base import Point
from store.embedded import EmbeddedStore
from store.state import StateDB

DATA = Path(__file__).parent / "data"
START = datetime(2025, 4, 1, 10, 0, tzinfo=UTC)
SETTINGS = CapacitySettings(rps_per_instance=25, instances=2, headroom=0.2, namespace="shop", deployment="web",
                            autoscaling_group="web-asg")


def _plan(tmp_path: Path, name: str = "Spring Sale", start: datetime = START, audience: int = 400_000) -> Plan:
    store, state = EmbeddedStore(tmp_path / "ts.db"), StateDB(tmp_path / "state.db")
    t0 = int(START.timestamp())
    store.write(Point("http", {"site": "shop", "source": "t", "actor": "human"}, {"requests": 200, "bytes": 1}, t)
                for t in range(t0 - 3 * 3600, t0 - 3600, 10))
    c = parse_campaign({"name": name, "channel": "email", "start": start.isoformat(), "audience": audience,
                        "site": "shop"})
    return make_plan(forecast(store, state, c), Capacity(25, 2, []), SETTINGS)


@pytest.fixture
def plan(tmp_path: Path) -> Plan:
    return _plan(tmp_path)


def test_the_plan_is_a_few_floors_at_least_15_minutes_apart_never_below_the_minute_schedule(plan: Plan) -> None:
    times = [t for t, _ in plan.steps]
    assert 2 <= len(plan.steps) <= 9
    assert all(b - a >= pd.Timedelta(minutes=MIN_GAP_MINUTES) for a, b in zip(times, times[1:], strict=False))
    assert plan.steps[-1][1] == plan.current


def test_floors_cover_every_minute_they_replace() -> None:
    sched = np.array([2] * 10 + list(range(3, 40)) + list(range(40, 2, -1)) + [2] * 10)
    out = floors(sched, 2, 60)
    assert (out >= sched).all() and out.max() == 40
    change = np.flatnonzero(np.diff(out)) + 1
    assert len(change) <= 9 and np.diff(change).min() >= MIN_GAP_MINUTES


def _crd_schema() -> dict:
    crd = yaml.safe_load((DATA / "keda.sh_scaledobjects.yaml").read_text())
    version, = [v for v in crd["spec"]["versions"] if v["name"] == "v1alpha1"]
    return _strict(version["schema"]["openAPIV3Schema"])


def _strict(node: dict) -> dict:
    """The CRD's schema, refusing unknown fields (the API server would silently prune a misspelt one)."""
    if isinstance(node, dict):
        node = {k: _strict(v) for k, v in node.items()}
        if "properties" in node and "additionalProperties" not in node:
            node["additionalProperties"] = False
    elif isinstance(node, list):
        node = [_strict(v) for v in node]
    return node


def test_keda_scaled_object_validates_against_the_crd_and_its_cron_triggers_are_the_floors(plan: Plan) -> None:
    text = export.render("keda", plan.as_schedule(), SETTINGS, plan.cap)
    doc = yaml.safe_load(text)
    jsonschema.validate(doc, _crd_schema())
    assert doc["apiVersion"] == "keda.sh/v1alpha1" and doc["metadata"]["namespace"] == "shop"
    assert doc["spec"]["scaleTargetRef"]["name"] == "web" and doc["spec"]["minReplicaCount"] == 2
    crons = [t for t in doc["spec"]["triggers"] if t["type"] == "cron"]
    raised = [(t, n) for t, n in plan.steps if n > plan.current]
    assert len(crons) == len(raised)
    for trig, (t, n) in zip(crons, raised, strict=True):
        m = trig["metadata"]
        assert set(m) == {"timezone", "start", "end", "desiredReplicas"}  # the cron scaler's keys (KEDA docs)
        ZoneInfo(m["timezone"])
        minute, hour, day, month, weekday = m["start"].split()
        assert (int(minute), int(hour), int(day), int(month), weekday) == (t.minute, t.hour, t.day, t.month, "*")
        assert int(m["desiredReplicas"]) == n
    assert f"Remove after {plan.steps[-1][0]:%Y-%m-%dT%H:%M:%SZ}" in text
    assert doc["spec"]["maxReplicaCount"] >= plan.peak_instances


def test_a_misspelt_field_would_fail_the_crd_check() -> None:
    bad = {"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject", "metadata": {},
           "spec": {"scaleTargetRef": {"name": "web"}, "minReplicas": 2, "triggers": []}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, _crd_schema())


def test_hpa_cronjobs_patch_min_replicas_at_each_floor_with_an_account_allowed_only_that(plan: Plan) -> None:
    docs = list(yaml.safe_load_all(export.render("hpa", plan.as_schedule(), SETTINGS, plan.cap)))
    role, = [d for d in docs if d["kind"] == "Role"]
    assert role["rules"] == [{"apiGroups": ["autoscaling"], "resources": ["horizontalpodautoscalers"],
                              "resourceNames": ["web"], "verbs": ["get", "patch"]}]
    jobs = [d for d in docs if d["kind"] == "CronJob"]
    assert len(jobs) == len(plan.steps)
    for job, (t, n) in zip(jobs, plan.steps, strict=True):
        assert job["apiVersion"] == "batch/v1" and len(job["metadata"]["name"]) <= 52  # CronJob name limit
        spec = job["spec"]
        assert spec["schedule"] == f"{t.minute} {t.hour} {t.day} {t.month} *"
        ZoneInfo(spec["timeZone"])
        pod = spec["jobTemplate"]["spec"]["template"]["spec"]
        assert pod["restartPolicy"] in ("OnFailure", "Never") and pod["serviceAccountName"] == "surgewatch-floors"
        container, = pod["containers"]
        assert container["name"] and container["image"]
        cmd = container["command"]
        assert cmd[:4] == ["kubectl", "patch", "hpa", "web"] and cmd[cmd.index("-n") + 1] == "shop"
        assert json.loads(cmd[cmd.index("-p") + 1]) == {"spec": {"minReplicas": n}}
        assert job["metadata"]["annotations"]["surgewatch/remove-after"] == f"{plan.steps[-1][0]:%Y-%m-%dT%H:%M:%SZ}"


def _aws_params(command: list[str], shape) -> dict:  # noqa: ANN001 - botocore StructureShape
    options = {xform_name(name).replace("_", "-"): name for name in shape.members}
    params, i = {}, 0
    while i < len(command):
        assert command[i].startswith("--"), command[i]
        member = options[command[i][2:]]
        value = command[i + 1]
        kind = shape.members[member].type_name
        params[member] = int(value) if kind == "integer" else value
        i += 2
    return params


def test_aws_cli_commands_validate_against_botocores_auto_scaling_model(plan: Plan) -> None:
    text = export.render("aws-cli", plan.as_schedule(), SETTINGS, plan.cap)
    op = botocore.session.get_session().get_service_model("autoscaling").operation_model(
        "PutScheduledUpdateGroupAction")
    commands = [shlex.split(line) for line in text.splitlines() if line.startswith("aws ")]
    assert len(commands) == len(plan.steps)
    names = set()
    for cmd, (t, n) in zip(commands, plan.steps, strict=True):
        assert cmd[:3] == ["aws", "autoscaling", xform_name(op.name).replace("_", "-")]
        params = _aws_params(cmd[3:], op.input_shape)
        report = ParamValidator().validate(params, op.input_shape)
        assert not report.has_errors(), report.generate_report()
        assert set(op.input_shape.required_members) <= set(params) and "Recurrence" not in params
        assert params["MinSize"] == n and pd.Timestamp(params["StartTime"]) == t
        assert params["AutoScalingGroupName"] == "web-asg"
        names.add(params["ScheduledActionName"])
    assert len(names) == len(commands)


def test_terraform_parses_with_hcl2_into_one_time_aws_autoscaling_schedules(plan: Plan) -> None:
    parsed = hcl2.loads(export.render("terraform", plan.as_schedule(), SETTINGS, plan.cap))
    blocks = [body for res in parsed["resource"] for kind, named in res.items() if kind == '"aws_autoscaling_schedule"'
              or kind == "aws_autoscaling_schedule" for body in named.values()]
    assert len(blocks) == len(plan.steps)
    for body, (t, n) in zip(blocks, plan.steps, strict=True):
        value = {k: (v.strip('"') if isinstance(v, str) else v) for k, v in body.items()}
        assert value["autoscaling_group_name"] == "web-asg" and value["scheduled_action_name"]
        assert datetime.strptime(value["start_time"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC) == t
        assert int(value["min_size"]) == n and int(value["max_size"]) == -1 and int(value["desired_capacity"]) == -1
        assert "recurrence" not in value


def test_json_lists_the_floors_and_when_to_remove_them(plan: Plan) -> None:
    doc = json.loads(export.render("json", plan.as_schedule(), SETTINGS, plan.cap))
    assert [(f["at"], f["min_instances"]) for f in doc["floors"]] == [
        (f"{t:%Y-%m-%dT%H:%M:%SZ}", n) for t, n in plan.steps]
    assert doc["remove_after"] == doc["floors"][-1]["at"] and doc["target"]["deployment"] == "web"


@pytest.mark.parametrize(("fmt", "key"), [("keda", "deployment"), ("hpa", "hpa"), ("aws-cli", "autoscaling_group"),
                                          ("terraform", "autoscaling_group")])
def test_an_export_without_its_target_name_says_which_setting_to_set(plan: Plan, fmt: str, key: str) -> None:
    with pytest.raises(export.ExportError, match=rf"\[capacity\] {key}"):
        export.render(fmt, plan.as_schedule(), CapacitySettings(), plan.cap)


def test_overlapping_campaigns_give_one_schedule_at_the_higher_floor(tmp_path: Path) -> None:
    a = _plan(tmp_path / "a", "Spring Sale")
    b = _plan(tmp_path / "b", "Flash Friday", START + timedelta(minutes=50), 250_000)
    both = combine([(p.forecast.times, p.schedule, p.current, p.forecast.campaign.name, "shop") for p in (a, b)])
    grid = pd.date_range(min(a.forecast.times[0], b.forecast.times[0]), max(a.forecast.times[-1],
                                                                              b.forecast.times[-1]), freq="60s")
    level = _level(both, grid)
    for p in (a, b):
        own = pd.Series(p.schedule, index=p.forecast.times).reindex(grid).fillna(p.current).to_numpy()
        assert (level >= own).all()
    times = [t for t, _ in both.steps]
    assert all(y - x >= pd.Timedelta(minutes=MIN_GAP_MINUTES) for x, y in zip(times, times[1:], strict=False))
    text = export.render("aws-cli", both, SETTINGS, a.cap)
    assert "Spring Sale, Flash Friday" in text and len([x for x in text.splitlines() if x.startswith("aws ")]) == len(
        both.steps)


def _level(s: Schedule, grid: pd.DatetimeIndex) -> np.ndarray:
    out = np.full(len(grid), s.base)
    for t, n in s.steps:
        out[grid >= t] = n
    return out
