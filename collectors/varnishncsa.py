"""Varnish request log, live: runs ``varnishncsa`` and feeds its lines to the access-log pipeline.

The collector starts ``varnishncsa -n INSTANCE -F FORMAT`` as a child process. A thread
reads its stdout into a bounded queue (when the queue is full the reader waits, so
nothing is dropped here); each ``poll()`` drains the queue through
``collectors.weblog.pipeline`` (parse → client address → enrich → privacy → aggregate),
writes closed 10 s buckets (and open ones as they fill, with ``live_updates``) and
checkpoints the still-open buckets in the state DB, so a restarted worker continues them
instead of counting their lines twice.

varnishncsa only reports requests made while it is attached: what Varnish served while
the worker (or varnishncsa) was down is not in the stream and is not read back. The
``varnish`` counters collector (``varnishstat``) still counts those requests in ``cdn``.

A missing program or a varnishncsa that exits (no varnishd at the ``instance`` directory,
wrong permissions) is logged with the instance and what to do, counted in ``errors``, and
started again on later polls with a growing pause; the worker never stops for it.
Settings: ``[collectors.varnishncsa]``.
"""

from __future__ import annotations

import logging
import queue
import subprocess
import threading
import time
from collections import Counter, deque
from typing import IO, Literal

from pydantic import Field

from collectors.polling import settings_from_section
from collectors.weblog.options import WeblogOptions
from collectors.weblog.source import WeblogSource
from store.base import StoreError, TimeSeriesStore

log = logging.getLogger(__name__)

# format setting → (varnishncsa -F argument or None for its default, the pipeline's format)
REQUEST_PATH_FORMAT = '%h %l %u %t "%m %U%q %H" %s %b "%{Referer}i" "%{User-agent}i"'
FORWARDED_FORMAT = REQUEST_PATH_FORMAT + ' "%{X-Forwarded-For}i" "%{CF-Connecting-IP}i"'
FORWARDED_LOG_FORMAT = ('$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent '
                        '"$http_referer" "$http_user_agent" "$http_x_forwarded_for" "$http_cf_connecting_ip"')
FORMATS: dict[str, tuple[str | None, str]] = {
    "combined": (REQUEST_PATH_FORMAT, "combined"),
    "varnishncsa": (None, "varnishncsa"),
    "forwarded": (FORWARDED_FORMAT, FORWARDED_LOG_FORMAT),
}
_STDERR_LINES = 5


class VarnishNcsaSettings(WeblogOptions):
    """``[collectors.varnishncsa]``: one varnishd instance's request log."""

    enabled: bool = Field(False, description="Run varnishncsa and read its request log.")
    instance: str | None = Field(None, description="varnishd's -n directory (absolute path); None: the default.")
    varnishncsa: str = Field("varnishncsa", description="The varnishncsa program (path or name on PATH).")
    format: Literal["combined", "varnishncsa", "forwarded"] = Field(
        "combined", description="combined: nginx-style request lines (-F); varnishncsa: its default output "
        "(absolute URLs); forwarded: combined + X-Forwarded-For and CF-Connecting-IP for trusted_proxies.")
    source: str = Field("varnishncsa", description="Name of this collector instance (tag source, checkpoint key).")
    site: str | None = Field(None, description="Site tag; the global site when unset.")
    live_updates: bool = Field(True, description="Also write open buckets as they fill (lower latency).")
    queue_lines: int = Field(100_000, ge=100, description="Lines buffered between polls before the reader waits.")
    attach_timeout_seconds: int = Field(5, ge=1, description="How long varnishncsa waits for varnishd (its -t).")
    restart_min_seconds: float = Field(1, gt=0, description="First pause before starting varnishncsa again.")
    restart_max_seconds: float = Field(60, gt=0, description="Longest pause between restarts.")


class VarnishNcsaStream(WeblogSource):
    """Called by the worker: ``poll()`` every 1-2 s, ``flush()`` at shutdown."""

    kind = "varnishncsa"

    def __init__(self, settings: VarnishNcsaSettings, *, store: TimeSeriesStore, state, site: str = "default",
                 salt: bytes | None = None) -> None:  # noqa: ANN001
        self.argument, fmt = FORMATS[settings.format]
        super().__init__(settings, store=store, state=state, site=site, fmt=fmt, salt=salt)
        self.where = f"varnishncsa for instance {settings.instance or '(default)'}"
        self.errors: Counter[str] = Counter()
        self.last_error: str | None = None
        self.starts = 0
        self._proc: subprocess.Popen | None = None
        self._lines: queue.Queue[str] = queue.Queue(maxsize=settings.queue_lines)
        self._stderr: deque[str] = deque(maxlen=_STDERR_LINES)
        self._threads: list[threading.Thread] = []
        self._abandon = threading.Event()  # set when the reader may give up on a full queue
        self._carry: list[str] = []  # lines read off the queue while waiting for the readers to end
        self._next_start = 0.0
        self._backoff = settings.restart_min_seconds
        self._started_at = 0.0
        self._restore()

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def command(self) -> list[str]:
        cmd = [self.settings.varnishncsa, "-t", str(self.settings.attach_timeout_seconds)]
        if self.settings.instance:
            cmd += ["-n", self.settings.instance]
        if self.argument is not None:
            cmd += ["-F", self.argument]
        return cmd

    # -- child process ---------------------------------------------------------------------
    def _start(self, now: float) -> None:
        self._stderr.clear()
        try:
            proc = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE)
        except FileNotFoundError:
            self._failed("missing", now, f"{self.settings.varnishncsa} not found; install varnish or set "
                         f"collectors.varnishncsa.varnishncsa to its path ({self.where})")
            return
        except OSError as exc:
            self._failed("start", now, f"{self.where}: cannot start {self.settings.varnishncsa}: {exc}")
            return
        self._proc = proc
        self._started_at = now
        self.starts += 1
        self._abandon.clear()
        self._threads = [
            threading.Thread(target=self._read_stdout, args=(proc.stdout,), name=f"{self.name}-stdout", daemon=True),
            threading.Thread(target=self._read_stderr, args=(proc.stderr,), name=f"{self.name}-stderr", daemon=True),
        ]
        for t in self._threads:
            t.start()
        log.info("%s: started %s (pid %d)", self.name, self.where, proc.pid)

    def _read_stdout(self, pipe: IO[bytes]) -> None:
        for raw in pipe:
            line = raw.decode("utf-8", errors="replace")
            while True:  # a full queue waits for the next poll instead of dropping the line
                try:
                    self._lines.put(line, timeout=0.5)
                    break
                except queue.Full:
                    if self._abandon.is_set():
                        self.errors["abandoned"] += 1
                        break
        pipe.close()

    def _read_stderr(self, pipe: IO[bytes]) -> None:
        for raw in pipe:
            text = raw.decode("utf-8", errors="replace").strip()
            if text:
                self._stderr.append(text[:300])
        pipe.close()

    def _check_child(self, now: float) -> None:
        """Notice a child that exited: say why, count it and plan the restart."""
        proc = self._proc
        if proc is None or proc.poll() is None:
            if proc is not None and now - self._started_at > 2 * self.settings.restart_max_seconds:
                self._backoff = self.settings.restart_min_seconds  # it has been running fine
            return
        self._join_readers(5)
        self._proc = None
        said = "; ".join(self._stderr) or "nothing on stderr"
        self._failed("exited", now, f"{self.where} exited with code {proc.returncode} ({said}); is varnishd "
                     "running, and collectors.varnishncsa.instance its -n directory?")

    def _failed(self, kind: str, now: float, message: str) -> None:
        self.errors[kind] += 1
        self.last_error = f"{message}; trying again in {self._backoff:.0f} s"
        log.warning("%s: %s", self.name, self.last_error)
        self._next_start = now + self._backoff
        self._backoff = min(self._backoff * 2, self.settings.restart_max_seconds)

    def _join_readers(self, timeout: float) -> None:
        """Wait for the reader threads to reach the end of the pipes, emptying the queue meanwhile."""
        deadline = time.monotonic() + timeout
        while any(t.is_alive() for t in self._threads) and time.monotonic() < deadline:
            self._carry.extend(self._drain())
            for t in self._threads:
                t.join(0.05)
        self._abandon.set()
        for t in self._threads:
            t.join(1)
        self._threads = []

    def _stop_child(self) -> None:
        proc = self._proc
        if proc is not None:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(5)
            self._join_readers(5)
        self._proc = None

    # -- lines into buckets ----------------------------------------------------------------
    def _drain(self) -> list[str]:
        lines, self._carry = self._carry, []
        get = self._lines.get_nowait
        try:
            while True:
                lines.append(get())
        except queue.Empty:
            return lines

    def poll(self) -> int:
        """Read what varnishncsa printed, write closed (and open) buckets, checkpoint; never raises.

        Starts (or restarts, after its pause) varnishncsa first. Returns lines read.
        """
        now = time.time()
        self._check_child(now)
        if self._proc is None and now >= self._next_start:
            self._start(now)
        try:
            return self._ingest(self._drain(), now)
        except Exception as exc:  # a bug must not stop the worker; it is logged with its traceback
            log.exception("%s: unexpected error while reading the stream", self.name)
            self.errors["internal"] += 1
            self.last_error = f"{self.name}: unexpected {type(exc).__name__}: {exc}"
            return 0

    # -- checkpoints -----------------------------------------------------------------------
    def _restore(self) -> None:
        data = self.state.get_checkpoint(self.key) if self.state is not None else None
        if not data:
            return
        try:
            self.pipeline.load(data.get("pipeline", {}))
        except (KeyError, TypeError, ValueError) as exc:
            log.error("%s: checkpoint unreadable (%s); starting with empty buckets", self.name, exc)

    def _checkpoint(self) -> None:
        if self.state is None:
            return
        try:
            self.state.put_checkpoint(self.key, {"pipeline": self.pipeline.state()})
        except Exception as exc:  # noqa: BLE001 - the next poll checkpoints again
            self.errors["state"] += 1
            self.last_error = f"{self.name}: could not save the checkpoint in the state DB: {exc}"
            log.error("%s", self.last_error)

    def flush(self) -> None:
        """Shutdown: stop varnishncsa, read what it printed, write the open buckets as they stand, checkpoint.

        Open buckets stay open in the checkpoint, so requests of the same seconds read after
        a restart still land in them instead of being late.
        """
        self._stop_child()
        self._ingest(self._drain(), time.time())
        self.pipeline.write_open()
        if self.pipeline.pending:
            raise StoreError(f"{self.name}: {len(self.pipeline.pending)} bucket(s) not written at shutdown; "
                             "they stay in the checkpoint and are written on the next start")

    def problems(self) -> list[str]:
        return [self.last_error] if self.last_error and not self.running else []


SETTINGS = VarnishNcsaSettings  # the section's keys, checked at start-up


def build(section: dict, *, store: TimeSeriesStore, state, site: str) -> VarnishNcsaStream:  # noqa: ANN001
    """The registry hook: ``[collectors.varnishncsa]`` → a running stream reader."""
    return VarnishNcsaStream(settings_from_section(VarnishNcsaSettings, section), store=store, state=state, site=site)
