"""A plan's floors in the form an autoscaler takes: KEDA, HPA CronJobs, AWS CLI, Terraform or JSON.

Each export raises the target's minimum ahead of the surge and lowers it after (``capacity.floors``);
the autoscaler keeps following the load above it. Target names come from ``[capacity]``
(``namespace``, ``deployment``, ``hpa``, ``autoscaling_group``). Cron schedules in Kubernetes name a
minute, hour, day and month and so fire again every year: the KEDA and CronJob exports say when to
remove them. AWS scheduled actions with a start time and no recurrence run once and cannot fire
again; their export still says when the last one has run. Times are UTC in every export.
"""

from __future__ import annotations

import json
import re

import pandas as pd
import yaml

from capacity.floors import Schedule, combine
from capacity.forecast import iso_utc
from capacity.settings import CapacitySettings

FORMATS = ("keda", "hpa", "aws-cli", "terraform", "json")
CRON_TZ = "Etc/UTC"


class ExportError(ValueError):
    """The export cannot be written; the message names the ``[capacity]`` key to set."""


def _need(value: str | None, key: str, fmt: str) -> str:
    if not value:
        raise ExportError(f"--format {fmt} needs the target's name: set [capacity] {key} in surgewatch.toml "
                          f"(or SURGEWATCH_CAPACITY__{key.upper()})")
    return value


def _cron(t: pd.Timestamp) -> str:
    """Minute, hour, day of month, month, any weekday (UTC): this date's minute, every year."""
    t = pd.Timestamp(t).tz_convert("UTC")
    return f"{t.minute} {t.hour} {t.day} {t.month} *"


def _slug(text: str, limit: int = 40) -> str:
    s = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return (s[:limit].strip("-") or "campaign")


def removal_note(s: Schedule) -> str:
    """When the export has done its work and should be removed."""
    if s.end is None:
        return "no floor to schedule: the plan needs no scaling"
    return (f"remove after {iso_utc(s.end)} (the last floor is lifted then); cron schedules fire again every year "
            "on these dates")


def _remove_after(s: Schedule) -> str:
    return iso_utc(s.end) if s.end is not None else ""


def _header(s: Schedule, what: str) -> list[str]:
    return [f"Surgewatch capacity floors for {', '.join(s.campaigns)} (site {', '.join(s.sites)}): {what}.",
            f"Floors: {'; '.join(f'{iso_utc(t)} -> {n}' for t, n in s.steps) or 'none'} (base {s.base}).",
            _sentence(removal_note(s))]


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + "."


def _windows(s: Schedule) -> list[tuple[pd.Timestamp, pd.Timestamp, int]]:
    """(from, until, instances) of each raised floor."""
    return [(t, nxt, n) for (t, n), (nxt, _) in zip(s.steps, s.steps[1:], strict=False) if n > s.base]


def keda(s: Schedule, settings: CapacitySettings, max_replicas: int) -> str:
    """A ScaledObject with one ``cron`` trigger per raised floor, next to a CPU trigger that keeps scaling."""
    name = _need(settings.deployment, "deployment", "keda")
    triggers = [{"type": "cpu", "metricType": "Utilization", "metadata": {"value": "70"}}]
    triggers += [{"type": "cron", "name": f"floor-{i + 1}",
                  "metadata": {"timezone": CRON_TZ, "start": _cron(a), "end": _cron(b), "desiredReplicas": str(n)}}
                 for i, (a, b, n) in enumerate(_windows(s))]
    doc = {"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject",
           "metadata": {"name": f"{name}-campaign-floors"[:63], "namespace": settings.namespace,
                        "annotations": {"surgewatch/remove-after": _remove_after(s),
                                        "surgewatch/campaigns": ", ".join(s.campaigns)}},
           "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
                    "minReplicaCount": s.base, "maxReplicaCount": max(max_replicas, s.peak), "triggers": triggers}}
    notes = [*_header(s, "KEDA ScaledObject"),
             "KEDA takes the highest of its triggers: the cron triggers are floors, the cpu trigger keeps scaling "
             "above them. If a ScaledObject already scales this deployment, add the cron triggers to it instead."]
    return "".join(f"# {n}\n" for n in notes) + yaml.safe_dump(doc, sort_keys=False)


def _rbac(ns: str, hpa: str) -> list[dict]:
    sa = "surgewatch-floors"
    return [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": sa, "namespace": ns}},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": sa, "namespace": ns},
         "rules": [{"apiGroups": ["autoscaling"], "resources": ["horizontalpodautoscalers"], "resourceNames": [hpa],
                    "verbs": ["get", "patch"]}]},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": sa, "namespace": ns},
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": sa},
         "subjects": [{"kind": "ServiceAccount", "name": sa, "namespace": ns}]},
    ]


def hpa_cronjobs(s: Schedule, settings: CapacitySettings) -> str:
    """CronJobs patching the HPA's ``minReplicas`` at each floor, with the account allowed to patch only it."""
    hpa = settings.hpa or _need(settings.deployment, "hpa", "hpa")
    ns = settings.namespace
    docs = _rbac(ns, hpa)
    for i, (t, n) in enumerate(s.steps):
        patch = json.dumps({"spec": {"minReplicas": n}}, separators=(",", ":"))
        docs.append({
            "apiVersion": "batch/v1", "kind": "CronJob",
            "metadata": {"name": f"{hpa}-floor-{i + 1}"[:52], "namespace": ns,
                         "annotations": {"surgewatch/remove-after": _remove_after(s)}},
            "spec": {"schedule": _cron(t), "timeZone": CRON_TZ, "concurrencyPolicy": "Forbid",
                     "startingDeadlineSeconds": 600, "successfulJobsHistoryLimit": 1, "failedJobsHistoryLimit": 3,
                     "jobTemplate": {"spec": {"backoffLimit": 3, "template": {"spec": {
                         "serviceAccountName": "surgewatch-floors", "restartPolicy": "OnFailure",
                         "containers": [{"name": "kubectl", "image": settings.kubectl_image,
                                         "command": ["kubectl", "patch", "hpa", hpa, "-n", ns, "--type", "merge",
                                                     "-p", patch]}]}}}}}})
    notes = [*_header(s, f"CronJobs patching HorizontalPodAutoscaler {hpa}'s minReplicas"),
             f"The HPA's maxReplicas must be at least {s.peak}, or the API refuses the patch."]
    return "".join(f"# {n}\n" for n in notes) + yaml.safe_dump_all(docs, sort_keys=False)


def _actions(s: Schedule, settings: CapacitySettings, fmt: str) -> tuple[str, list[tuple[str, pd.Timestamp, int]]]:
    group = _need(settings.autoscaling_group, "autoscaling_group", fmt)
    base = f"surgewatch-{_slug(s.campaigns[0] if len(s.campaigns) == 1 else 'campaigns')}-{s.start:%Y%m%d%H%M}" \
        if s.steps else "surgewatch"
    return group, [(f"{base}-{i + 1}", t, n) for i, (t, n) in enumerate(s.steps)]


def aws_cli(s: Schedule, settings: CapacitySettings) -> str:
    """``aws autoscaling put-scheduled-update-group-action`` commands: one-time actions setting the minimum."""
    group, actions = _actions(s, settings, "aws-cli")
    lines = ["#!/bin/sh", *(f"# {n}" for n in _header(s, f"AWS Auto Scaling scheduled actions on {group}")),
             f"# One-time actions (no recurrence): they cannot fire again. The group's max size must be at least "
             f"{s.peak}.", "set -e"]
    for name, t, n in actions:
        lines.append(f"aws autoscaling put-scheduled-update-group-action --auto-scaling-group-name {_sh(group)} "
                     f"--scheduled-action-name {_sh(name)} --start-time {iso_utc(t)} --min-size {n}")
    return "\n".join(lines) + "\n"


def _sh(text: str) -> str:
    return text if re.fullmatch(r"[A-Za-z0-9_./:@+-]+", text) else "'" + text.replace("'", "'\"'\"'") + "'"


def terraform(s: Schedule, settings: CapacitySettings) -> str:
    """``aws_autoscaling_schedule`` resources: min_size set, max_size and desired_capacity left alone (-1)."""
    group, actions = _actions(s, settings, "terraform")
    out = [f"# {n}" for n in _header(s, f"Terraform aws_autoscaling_schedule on {group}")]
    out.append(f"# One-time actions (no recurrence). The group's max size must be at least {s.peak}.")
    for name, t, n in actions:
        out += ["", f'resource "aws_autoscaling_schedule" "{name.replace("-", "_")}" {{',
                f"  scheduled_action_name  = {json.dumps(name)}", f"  autoscaling_group_name = {json.dumps(group)}",
                f'  start_time             = "{iso_utc(t)}"', f"  min_size               = {n}",
                "  max_size               = -1", "  desired_capacity       = -1", "}"]
    return "\n".join(out) + "\n"


def as_json(s: Schedule, settings: CapacitySettings) -> str:
    return json.dumps({
        "campaigns": s.campaigns, "sites": s.sites, "base_instances": s.base, "peak_instances": s.peak,
        "floors": [{"at": iso_utc(t), "min_instances": n} for t, n in s.steps],
        "remove_after": _remove_after(s) or None,
        "target": {"namespace": settings.namespace, "deployment": settings.deployment,
                   "hpa": settings.hpa or settings.deployment, "autoscaling_group": settings.autoscaling_group},
    }, indent=2)


def render(fmt: str, s: Schedule, settings: CapacitySettings, max_replicas: int) -> str:
    """The schedule in ``fmt`` (one of ``FORMATS``); ExportError when a target name is missing."""
    if fmt == "keda":
        return keda(s, settings, max_replicas)
    if fmt == "hpa":
        return hpa_cronjobs(s, settings)
    if fmt == "aws-cli":
        return aws_cli(s, settings)
    if fmt == "terraform":
        return terraform(s, settings)
    if fmt == "json":
        return as_json(s, settings)
    raise ExportError(f"unknown export format {fmt!r}: use one of {', '.join(FORMATS)}")


FILE_NAMES = {"keda": "scaledobject.yaml", "hpa": "hpa-floors.yaml", "aws-cli": "scheduled-actions.sh",
              "terraform": "autoscaling_schedule.tf", "json": "floors.json"}


def schedule_for(plans: list) -> Schedule:  # list[capacity.plan.Plan]
    """One plan's floors, or the combined floors of several (overlapping campaigns on one target)."""
    if len(plans) == 1:
        return plans[0].as_schedule()
    return combine([(p.forecast.times, p.schedule, p.current, p.forecast.campaign.name, p.forecast.campaign.site)
                    for p in plans], plans[0].forecast.step if plans else 60)
