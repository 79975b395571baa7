"""The demo: a simulated shop, the worker and the dashboard on the embedded store, in one command.

It writes a few hours of history to an access log, then keeps appending live traffic with
an announced email campaign and, later, a credential-stuffing attack. The worker tails
the log into ``data/demo/`` exactly as it would tail nginx's, imports each campaign the
moment marketing "announces" it, and runs detection; the dashboard shows it all.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any

from campaigns.files import load_campaigns
from campaigns.model import Campaign, CampaignError
from config import Settings, load_settings
from store.rollup import rollup_range
from store.state import StateDB

log = logging.getLogger("surgewatch.demo")
ROOT = Path(__file__).resolve().parent

SITE = "shop.example.com"
# Announced for tomorrow morning, for capacity planning: what to scale before it goes out.
UPCOMING = {"name": "Winter Clearance EU", "channel": "email", "audience": 180_000, "regions": ["DE", "FR", "NL", "GB"],
            "landing": ["/winter-clearance"], "utm_campaign": "winter_clearance", "spend": 4200, "currency": "EUR",
            "owner": "crm-team", "site": SITE}
# (seconds after start, scenario, overrides): what happens live in the demo. An announced email
# campaign lands clearly (its people alone several times the baseline), then a credential-stuffing
# botnet arrives during it, big enough to be an attack on its own (4x the baseline rate).
SCHEDULE: list[tuple[float, str, dict[str, Any]]] = [
    (60.0, "campaign_surge", {"surge_factor": 8.0, "rise_minutes": 3.0, "decay_minutes": 60.0}),
    (300.0, "credential_stuffing", {"bot_factor": 4.0, "bot_minutes": 20.0}),
]


def demo_env(data: Path, metrics_port: int) -> dict[str, str]:
    """The demo's settings as environment variables (for the worker, the dashboard and ``plan``)."""
    return {
        "SURGEWATCH_SITE": SITE,
        "SURGEWATCH_STORE__BACKEND": "embedded",
        "SURGEWATCH_STORE__PATH": str(data / "surgewatch.db"),
        "SURGEWATCH_STATE__PATH": str(data / "state.db"),
        "SURGEWATCH_WORKER__METRICS_PORT": str(metrics_port),
        "SURGEWATCH_DASHBOARD__REFRESH_SECONDS": "5",
        # On loopback only, with no sign-in: whoever tries the demo may do everything (README, Security).
        "SURGEWATCH_DASHBOARD__HOST": "127.0.0.1",
        "SURGEWATCH_DASHBOARD__SIGN_IN": "none",
        "SURGEWATCH_DASHBOARD__ANONYMOUS_ROLE": "admin",
        # The shop's fleet, for the Capacity page: what one instance serves, how many run, what one costs.
        "SURGEWATCH_CAPACITY__RPS_PER_INSTANCE": "6",
        "SURGEWATCH_CAPACITY__INSTANCES": "3",
        "SURGEWATCH_CAPACITY__INSTANCE_COST_PER_HOUR": "0.19",
    }


def demo_settings(data: Path, metrics_port: int) -> tuple[Settings, dict[str, str]]:
    """Settings of the demo, and the same as environment variables for the dashboard process."""
    env = demo_env(data, metrics_port)
    os.environ.update(env)
    # Default collector settings: open buckets write their client networks within seconds, and every
    # network that sent automated requests is kept, so the botnet's block suggestion needs no tuning.
    settings = load_settings(collectors={"accesslog": {"files": [str(data / "access.log")], "format": "combined",
                                                       "source": "demo-nginx"}})
    return settings, env


class CampaignAnnouncer:
    """Imports the campaigns the simulator announces into the state DB (what the form would do)."""

    def __init__(self, path: Path, state: StateDB) -> None:
        self.path, self.state, self._seen = path, state, 0.0

    def poll(self) -> None:
        try:
            mtime = self.path.stat().st_mtime
        except FileNotFoundError:
            return
        if mtime == self._seen:
            return
        self._seen = mtime
        try:
            for c in load_campaigns(self.path):
                if self.state.get_campaign(c.id) is None:
                    log.info("campaign announced: %s (%s, %s)", c.name, c.channel.value, ", ".join(c.regions))
                self.state.upsert_campaign(c, user="marketing")
        except CampaignError as exc:
            log.warning("%s", exc)


def announce_upcoming(state: StateDB, now: float | None = None) -> Campaign:
    """Marketing's next campaign, announced for 09:00 UTC tomorrow: the Capacity page plans for it."""
    day = datetime.fromtimestamp(time.time() if now is None else now, UTC).date() + timedelta(days=1)
    campaign = Campaign(**UPCOMING, start=datetime.combine(day, dtime(9, 0), UTC))
    state.upsert_campaign(campaign, user="marketing")
    return campaign


def run(*, seed: int = 7, history_hours: float = 6.0, rps: float = 8.0, port: int = 8501, speed: float = 1.0,
        duration: float | None = None, data: Path = Path("data/demo"), open_dashboard: bool = True) -> int:
    from simulate import live
    from worker import Worker

    data = data.resolve()
    if data.exists():
        shutil.rmtree(data)
    data.mkdir(parents=True)
    log_path, campaigns_path = data / "access.log", data / "campaigns.json"
    settings, env = demo_settings(data, metrics_port=_free_port())

    print(f"Surgewatch demo: writing {history_hours:g} h of history to {log_path} ...", file=sys.stderr)
    live.backfill(log_path, hours=history_hours, seed=seed, rps=rps, site=SITE)

    worker = Worker(settings)
    print("Surgewatch demo: the worker is reading the history into the embedded store ...", file=sys.stderr)
    tail = worker.collectors[0]
    while True:
        before = tail.stats.lines
        worker.poll_collectors()
        if tail.stats.lines == before:
            break
    rollup_range(worker.store, time.time() - (history_hours + 1) * 3600, time.time())

    announce_upcoming(worker.state)
    announcer = CampaignAnnouncer(campaigns_path, worker.state)
    stop = threading.Event()
    sim = threading.Thread(target=live.run_live, name="simulator", daemon=True, kwargs={
        "path": log_path, "seed": seed, "rps": rps, "schedule": SCHEDULE, "stop": stop, "speed": speed,
        "campaigns_out": campaigns_path, "site": SITE})
    dashboard = None
    if open_dashboard:
        dashboard = subprocess.Popen(
            [sys.executable, str(ROOT / "cli.py"), "dashboard", "--port", str(port)],
            env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )
    worker.start()
    sim.start()
    when = ", ".join(f"{e[1].replace('_', ' ')} in {_duration(e[0] / speed)}" for e in SCHEDULE)
    print(f"\n  Surgewatch demo is running: open http://localhost:{port}\n  live: {when}; Ctrl-C stops.\n",
          file=sys.stderr, flush=True)

    finished = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: finished.set())
    started = time.monotonic()
    try:
        while not finished.wait(2):
            announcer.poll()
            if dashboard is not None and dashboard.poll() is not None:
                print(f"dashboard exited: {dashboard.stderr.read()[-2000:] if dashboard.stderr else ''}",
                      file=sys.stderr)
                return 1
            if duration is not None and time.monotonic() - started >= duration:
                break
    finally:
        stop.set()
        sim.join(5)
        worker.stop()
        if dashboard is not None:
            dashboard.terminate()
            try:
                dashboard.wait(10)
            except subprocess.TimeoutExpired:
                dashboard.kill()
    summary = _summary(worker.state)
    print(json.dumps(summary, indent=2), file=sys.stderr)
    return 0


def _summary(state: StateDB) -> dict[str, Any]:
    return {
        "campaigns": [c.name for c in state.list_campaigns()],
        "incidents": [{"verdict": i.get("verdict"), "campaign": i.get("campaign"), "start": i.get("start")}
                      for i in reversed(state.list_incidents())],
    }


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min"


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
