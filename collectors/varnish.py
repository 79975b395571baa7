"""Varnish edge counters: reads ``varnishstat -j``, writes the ``cdn`` measurement.

Each poll runs ``varnishstat -n INSTANCE -j`` (Varnish 7.x nests the counters under
``"counters"``, 6.x keeps them at the top level; both are read) and turns the change of the
MAIN counters since the last poll into the current 10 s bucket: requests, cache hits and
misses, bytes sent to clients, backend fetches and failures (``provider=varnish``). Polls
within one bucket add up and the bucket is rewritten whole. The checkpoint (state DB) holds
the last counters and the open bucket, so a restarted worker continues without a gap or a
double count; a restarted varnishd (counters going down) is detected and counted from zero.
"""

from __future__ import annotations

import json
import subprocess
from datetime import datetime

from pydantic import BaseModel, Field

from collectors.polling import PolledCollector, SourceError, builder
from store.base import Point, TimeSeriesStore, bucket_start
from store.schema import NONE
from store.state import StateDB

# cdn field → the varnishstat counters summed into it.
FIELDS: dict[str, tuple[str, ...]] = {
    "requests": ("MAIN.client_req",),
    "cached": ("MAIN.cache_hit",),
    "misses": ("MAIN.cache_miss",),
    "bytes": ("MAIN.s_resp_hdrbytes", "MAIN.s_resp_bodybytes"),
    "backend_fetches": ("MAIN.backend_req",),
    "backend_failures": ("MAIN.backend_fail", "MAIN.fetch_failed"),
}
COUNTERS = tuple(sorted({c for names in FIELDS.values() for c in names} | {"MAIN.uptime"}))


class VarnishSettings(BaseModel):
    """``[collectors.varnish]``."""

    enabled: bool = Field(False, description="Poll varnishstat.")
    instance: str | None = Field(None, description="varnishd's -n directory (absolute path); None: the default.")
    varnishstat: str = Field("varnishstat", description="The varnishstat program (path or name on PATH).")
    source: str = Field("varnish", description="Name of this collector instance (tag source, checkpoint key).")
    every_seconds: float = Field(0, ge=0, description="Minimum seconds between polls (0: every scheduler tick).")
    timeout_seconds: float = Field(10, gt=0, description="How long varnishstat may take.")


def parse_varnishstat(text: str, *, where: str = "varnishstat -j") -> dict[str, int]:
    """Counter name → value from ``varnishstat -j`` output (7.x or 6.x layout)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SourceError(f"{where} printed something that is not JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(data, dict):
        raise SourceError(f"{where} printed JSON that is not an object")
    counters = data.get("counters", data)
    if not isinstance(counters, dict):
        raise SourceError(f"{where}: 'counters' is not an object")
    out = {}
    for name, entry in counters.items():
        if isinstance(entry, dict) and isinstance(entry.get("value"), int | float):
            out[name] = int(entry["value"])
    return out


def counter_deltas(previous: dict[str, int], current: dict[str, int]) -> tuple[dict[str, int], bool]:
    """The increase of each counter, and whether varnishd restarted (then: the values since its start)."""
    restarted = current.get("MAIN.uptime", 0) < previous.get("MAIN.uptime", 0) or any(
        current.get(k, 0) < v for k, v in previous.items())
    if restarted:
        return {k: v for k, v in current.items()}, True
    return {k: v - previous.get(k, 0) for k, v in current.items()}, False


class VarnishCollector(PolledCollector):
    """Turns one varnishd's counters into ``cdn`` buckets."""

    def __init__(self, settings: VarnishSettings, store: TimeSeriesStore, state: StateDB, *,
                 site: str = "default") -> None:
        super().__init__(settings, store, state, site=site, measurement="cdn")
        self.restarts_seen = 0

    def read_counters(self) -> dict[str, int]:
        cmd = [self.settings.varnishstat, "-j", "-t", "2"]
        if self.settings.instance:
            cmd += ["-n", self.settings.instance]
        for name in COUNTERS:
            cmd += ["-f", name]
        shown = " ".join(cmd[:6] if self.settings.instance else cmd[:4])
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=self.settings.timeout_seconds,
                                  check=False)
        except FileNotFoundError:
            raise SourceError(f"{self.settings.varnishstat} not found; install varnish or set "
                              "collectors.varnish.varnishstat to its path") from None
        except subprocess.TimeoutExpired:
            raise SourceError(f"{shown} took more than {self.settings.timeout_seconds:.0f} s") from None
        if proc.returncode != 0:
            raise SourceError(f"{shown} failed ({proc.stderr.strip()[:200] or proc.returncode}); is varnishd running "
                              "and collectors.varnish.instance its -n directory?")
        return parse_varnishstat(proc.stdout, where=shown)

    def _poll(self, now: datetime) -> int:
        current = {k: v for k, v in self.read_counters().items() if k in COUNTERS}
        checkpoint = self.state.get_checkpoint(self.checkpoint_key)
        if checkpoint is None:  # the first poll only sets the baseline
            self.state.put_checkpoint(self.checkpoint_key, {"last": current, "bucket": None, "acc": {}})
            return 0
        deltas, restarted = counter_deltas(checkpoint["last"], current)
        self.restarts_seen += restarted
        bucket = bucket_start(now.timestamp())
        acc = dict(checkpoint["acc"]) if checkpoint["bucket"] == bucket else {}
        for field, names in FIELDS.items():
            acc[field] = acc.get(field, 0) + sum(deltas.get(n, 0) for n in names)
        tags = {"site": self.site, "source": self.source, "provider": "varnish", "country": NONE, "status": NONE}
        written = self.store.write([Point("cdn", tags, acc, bucket)])
        self.state.put_checkpoint(self.checkpoint_key, {"last": current, "bucket": bucket, "acc": acc})
        return written


SETTINGS = VarnishSettings  # the section's keys, checked at start-up
build = builder(VarnishSettings, VarnishCollector)  # the registry hook
