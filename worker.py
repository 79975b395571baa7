"""The worker: polls the collectors, runs detection, rollups, retention and campaign reminders on a schedule.

APScheduler runs each job in its own thread, one instance at a time; a failing job is
logged and counted and the next run goes ahead, so the worker never dies on input.
SIGTERM or SIGINT stops it gracefully: collectors flush their open buckets and
checkpoints, and the store flushes its buffers. /metrics serves prometheus-client.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

from apscheduler.schedulers.background import BackgroundScheduler

import metrics
from config import Settings
from store.base import TimeSeriesStore
from store.rollup import apply_retention, roll_recent
from store.settings import open_store
from store.state import StateDB

log = logging.getLogger("surgewatch.worker")


class Collector(Protocol):
    name: str

    def poll(self) -> int:
        """Read what is new, write closed buckets, checkpoint; return points written."""

    def flush(self) -> None:
        """Write everything still open and checkpoint (at shutdown)."""


class Worker:
    def __init__(
        self,
        settings: Settings,
        *,
        store: TimeSeriesStore | None = None,
        state: StateDB | None = None,
        collectors: list[Collector] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.settings = settings
        self.store = store or open_store(settings.store)
        self.state = state or StateDB(settings.state.path)
        if collectors is None:
            from collectors.registry import build_collectors

            collectors = build_collectors(settings, self.store, self.state)
        self.collectors = collectors
        self.clock = clock
        self.stop_event = threading.Event()
        self.scheduler = BackgroundScheduler(timezone=UTC, job_defaults={"coalesce": True, "max_instances": 1})
        self._metrics_server: Any = None
        self._exported: dict[str, dict[str, int]] = {}
        self.notifier: Any = None
        self._notifier_lock = threading.Lock()
        from collectors.status import StatusRecorder

        self.status = StatusRecorder(self.state, poll_every=settings.worker.poll_every)  # the Sources page's view

    # -- jobs -------------------------------------------------------------------------------
    def _job(self, name: str, fn: Callable[[], Any]) -> Callable[[], None]:
        def run() -> None:
            started = time.perf_counter()
            try:
                fn()
            except Exception as exc:  # a job failing must not stop the worker
                metrics.ERRORS.labels(name, type(exc).__name__).inc()
                log.error("job %s failed: %s", name, exc, exc_info=log.isEnabledFor(logging.DEBUG))
            finally:
                metrics.JOB_SECONDS.labels(name).observe(time.perf_counter() - started)

        return run

    def poll_collectors(self) -> int:
        """Poll every collector once; returns what they report (lines or points) in total."""
        total = 0
        for c in self.collectors:
            n, failure = 0, None
            try:
                n = c.poll()
                total += n
            except Exception as exc:
                metrics.ERRORS.labels(f"collector:{c.name}", type(exc).__name__).inc()
                log.error("collector %s: %s", c.name, exc)
                failure = f"poll failed: {type(exc).__name__}: {exc}"
            self._export_stats(c)
            self.status.observe(c, n, self.clock().timestamp(), failure)
        depth = getattr(self.store, "spool_depth", None)
        if callable(depth):
            metrics.SPOOL_DEPTH.set(depth())
        self.status.observe_store(self.store, self.clock().timestamp())
        return total

    def _export_stats(self, c: Collector) -> None:
        """Bring /metrics up to date with a collector's own running counts, where it keeps them."""
        seen = self._exported.setdefault(c.name, {})
        for kind, n in getattr(c, "errors", {}).items():  # polled collectors count their failures
            key = f"error:{kind}"
            if n > seen.get(key, 0):
                metrics.ERRORS.labels(f"collector:{c.name}", kind).inc(n - seen.get(key, 0))
            seen[key] = n
        stats = getattr(c, "stats", None)
        if stats is None:
            written = getattr(c, "points_written", 0)
            if written > seen.get("points", 0):
                metrics.POINTS.labels(c.name).inc(written - seen.get("points", 0))
            seen["points"] = written
            return
        counts = {"parsed": stats.parsed, "late": stats.late,
                  **{f"malformed:{reason}": n for reason, n in stats.malformed.items()}}
        for outcome, value in counts.items():
            delta = value - seen.get(outcome, 0)
            if delta > 0:
                metrics.LINES.labels(c.name, outcome).inc(delta)
            seen[outcome] = value
        delta = stats.points_written - seen.get("points", 0)
        if delta > 0:
            metrics.POINTS.labels(c.name).inc(delta)
        seen["points"] = stats.points_written
        newest = getattr(c, "newest", None)
        if newest:
            metrics.LAG.labels(c.name).set(max(0.0, self.clock().timestamp() - newest))

    def detect(self) -> None:
        from alerts.detection.slices import total_config
        from alerts.live import run_detection

        a = self.settings.alerts
        detector = total_config(a.sensitivity, a.min_rps)
        incidents = run_detection(self.store, self.state, self.clock(), detector=detector)
        from alerts.incidents.stale import check_stale

        incidents += check_stale(self.state, self.clock())  # collectors silent for longer than usual
        counts: dict[str, int] = {}
        for inc in incidents:
            verdict = getattr(inc, "verdict", None) or (inc.get("verdict") if isinstance(inc, dict) else "unknown")
            counts[verdict] = counts.get(verdict, 0) + 1
        for verdict in ("campaign", "organic", "bot", "mixed"):
            metrics.INCIDENTS.labels(verdict).set(counts.get(verdict, 0))
        self.notify(incidents)

    def notify(self, incidents: list[Any]) -> None:
        """Tell on-call what changed (in the background; a channel down never fails detection)."""
        try:
            self._notifier().submit(incidents, self.clock())
        except Exception as exc:
            metrics.ERRORS.labels("notify", type(exc).__name__).inc()
            log.error("notifications skipped this run: %s", exc)

    def remind(self) -> None:
        """Tell on-call of the campaigns about to go out, with their scaling plan, and of those under way that
        should scale down or beyond their plan (``capacity.live``); each once per change."""
        from urllib.parse import quote

        from alerts.notify.message import Note
        from capacity.live import CAMPAIGN_LIVE
        from capacity.live import due as live_due
        from capacity.reminders import CAMPAIGN_AHEAD, due

        notifier = self._notifier()
        if not notifier.channels:
            return
        now = self.clock()
        notes = [Note(f"campaign:{r.campaign.id}", r.title, tuple(r.lines),
                      {"alertname": CAMPAIGN_AHEAD, "site": r.campaign.site, "campaign": r.campaign.id,
                       "severity": "info"}, int(r.campaign.start.timestamp()) + 7200,
                      f"capacity?campaign={quote(r.campaign.id, safe='')}", r.key)
                 for r in due(self.store, self.state, self.settings.capacity, now, self.settings.dashboard.timezone)]
        notes += [Note(f"campaign-live:{a.key['campaign']}", f"[CAMPAIGN LIVE] {a.key['site']}: {a.message}",
                       (a.message,), {"alertname": CAMPAIGN_LIVE, "site": a.key["site"], "campaign": a.key["campaign"],
                                      "severity": "warning" if a.kind == "size_beyond" else "info"},
                       int(now.timestamp()) + 3600, f"capacity?campaign={quote(a.key['campaign'], safe='')}", a.key)
                  for a in live_due(self.store, self.state, self.settings.capacity, now)]
        notifier.process_notes(notes, now)

    def _notifier(self) -> Any:
        """The notifier of the configured channels, made once (detection and reminders share it)."""
        with self._notifier_lock:
            if self.notifier is None:
                from alerts.notify.dispatch import Notifier

                self.notifier = Notifier.from_settings(self.settings.notify, self.state)
                self.notifier.results_line = self.campaign_results
            return self.notifier

    def campaign_results(self, inc: Any) -> str | None:
        """One line of how the campaign of a resolved surge went so far (``capacity.results``), by id or name."""
        from capacity.results import report

        ref = str(inc.campaign)
        c = self.state.get_campaign(ref) or next(
            (o for o in self.state.list_campaigns(site=inc.site) if o.name.casefold() == ref.casefold()), None)
        if c is None:
            return None
        return report(self.store, self.state, c, self.settings.capacity, now=self.clock()).line()

    def rollup(self) -> None:
        roll_recent(self.store, self.clock())

    def retention(self) -> None:
        s = self.settings.store
        apply_retention(self.store, self.clock(), raw_days=s.raw_retention_days, days_1m=s.rollup_1m_days,
                        days_1h=s.rollup_1h_days)
        self.state.salt_for(self.clock().date())  # also deletes salts older than 48 h

    # -- life cycle -------------------------------------------------------------------------
    def start(self) -> None:
        w = self.settings.worker
        if w.metrics_port:
            from prometheus_client import start_http_server

            self._metrics_server = start_http_server(w.metrics_port, w.metrics_host, registry=metrics.REGISTRY)
            log.info("metrics on http://%s:%s/metrics", w.metrics_host, w.metrics_port)
        add = self.scheduler.add_job
        add(self._job("poll", self.poll_collectors), "interval", seconds=w.poll_every, id="poll",
            next_run_time=datetime.now(UTC))
        from alerts.live import first_detection

        # Detection runs just after each bucket boundary, once the bucket's lines are in.
        start = datetime.fromtimestamp(first_detection(time.time(), w.detect_every), UTC)
        add(self._job("detect", self.detect), "interval", seconds=w.detect_every, id="detect", start_date=start)
        add(self._job("rollup", self.rollup), "interval", seconds=w.rollup_every, id="rollup")
        add(self._job("remind", self.remind), "interval", seconds=60, id="remind", next_run_time=datetime.now(UTC))
        add(self._job("retention", self.retention), "interval", hours=1, id="retention",
            next_run_time=datetime.now(UTC))
        self.scheduler.start()
        log.info("worker started: %d collector(s), store %s", len(self.collectors), self.store.name)

    def stop(self) -> None:
        """Stop the jobs, flush collectors and the store, close everything."""
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        if self.notifier is not None:
            self.notifier.join(15)  # let notifications in flight finish
        for c in self.collectors:
            try:
                c.flush()
            except Exception as exc:
                log.error("collector %s could not flush: %s", c.name, exc)
        self.status.flush(self.clock().timestamp())
        flush = getattr(self.store, "flush", None)
        if callable(flush):
            try:
                flush()
            except Exception as exc:
                log.error("store could not flush (data stays in the spool): %s", exc)
        if self._metrics_server:
            server, thread = self._metrics_server
            server.shutdown()
            thread.join(5)
        log.info("worker stopped")

    def run_forever(self) -> None:
        def on_signal(signum: int, _frame: Any) -> None:
            log.info("received %s, stopping", signal.Signals(signum).name)
            self.stop_event.set()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        self.start()
        try:
            while not self.stop_event.wait(1):
                pass
        finally:
            self.stop()
