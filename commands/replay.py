"""The `replay` command: what on-call would have seen live, replayed from past logs on a simulated clock.

The logs go into an in-memory store as the live tail writes them, the campaigns into an
in-memory state DB, and ``alerts.replay`` runs the worker's detection job every 10 s of the
logs' time with the configured detection and notification settings. Prints exactly one JSON
object (``--format json``) or a time-ordered table.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from alerts.replay import Seen, iso_z, replay
from commands.analyze import InputError, ingest_logs, paths_label
from store.base import to_epoch

WARM_UP = 10 * 60   # seconds of traffic before the first step: the detector's baseline needs them
TAIL = 20 * 60      # seconds after the last line: long enough to see surges end and be resolved


def run(logs: list[Path], campaigns_path: Path | None, fmt: str, settings: Any, step: int = 10) -> int:
    if fmt not in ("json", "table"):
        print(f"--format must be json or table, not {fmt!r}", file=sys.stderr)
        return 2
    if not 10 <= step <= 3600 or step % 10:
        print(f"--step must be a multiple of 10 seconds from 10 to 3600, not {step}", file=sys.stderr)
        return 2
    try:
        seen = replay_logs(list(logs), campaigns_path, settings, step)
    except InputError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    if fmt == "json":
        print(json.dumps({"incidents": [s.to_dict() for s in seen]}))
    else:
        print(table(seen))
    return 0


def replay_logs(logs: list[Path], campaigns_path: Path | None, settings: Any, step: int) -> list[Seen]:
    from alerts.detection.slices import total_config
    from alerts.judgement.correlate import CampaignInfo
    from alerts.notify.dispatch import Notifier
    from campaigns.files import load_campaigns
    from campaigns.model import CampaignError
    from store.embedded import EmbeddedStore
    from store.rollup import rollup_range
    from store.state import StateDB

    state = StateDB(":memory:")
    try:
        announced = load_campaigns(campaigns_path) if campaigns_path else []
    except CampaignError as exc:
        raise InputError(f"{exc}. Fix the campaigns file (JSON, CSV or ICS with name, channel, start).") from None
    for c in announced:
        state.upsert_campaign(c.model_copy(update={"site": settings.site}), user="replay")
    store = EmbeddedStore(":memory:")
    try:
        ingest_logs(logs, store, settings.site, [CampaignInfo.of(c) for c in announced], progress=True)
        first, last = _range(store, settings.site)
        if first is None:
            raise InputError(f"no request could be read from {paths_label(logs)}; check the log format")
        rollup_range(store, first - 3600, last + 3600)
        notifier = Notifier.from_settings(settings.notify, state)
        detector = total_config(settings.alerts.sensitivity, settings.alerts.min_rps)
        with _bar() as advance:
            return replay(store, state, first + WARM_UP, last + TAIL, step=step, detector=detector,
                          notifier=notifier, progress=advance)
    finally:
        store.close()


def _range(store: Any, site: str) -> tuple[int | None, int]:
    df = store.query("http", 0, 2**31 - 1, fields=["requests"], where={"site": site}, every=10)
    if df.empty:
        return None, 0
    return to_epoch(df["time"].min()), to_epoch(df["time"].max())


def _bar():  # noqa: ANN202 - a context manager yielding the progress callback
    from contextlib import contextmanager

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    @contextmanager
    def bar():  # noqa: ANN202
        with Progress(TextColumn("[bold]replaying 10 s steps"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=Console(stderr=True), transient=False) as p:
            task = p.add_task("replay", total=None)
            yield lambda done, total: p.update(task, completed=done, total=total)

    return bar()


def table(seen: list[Seen]) -> str:
    """What on-call saw, in time order: openings, verdict changes, notifications, closings."""
    events: list[tuple[int, int, str]] = []
    for s in seen:
        events.append((s.opened_at, 0, f"{s.id}  opened"))
        for v in s.verdicts:
            camp = f"  campaign: {v['campaign']}" if v["campaign"] else ""
            events.append((v["at"], 1, f"{s.id}  shows {v['verdict'].upper()} ({v['confidence']:.0%}){camp}"))
        for n in s.notified:
            events.append((n["at"], 2, f"{s.id}  on-call notified: {n['kind']}"))
        if s.closed_at is not None:
            events.append((s.closed_at, 3, f"{s.id}  closed"))
    if not events:
        return "No incident would have been shown."
    return "\n".join(f"{iso_z(at)}  {text}" for at, _, text in sorted(events))
