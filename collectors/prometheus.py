"""Origin metrics: reads the Prometheus HTTP API, writes the ``origin`` measurement.

Each configured metric (rps, cpu, p95_latency, instances by default) is a PromQL
expression. A poll asks ``/api/v1/query_range`` for every 10 s bucket not yet written, up to
``delay_seconds`` ago, evaluated at each bucket's end (step 10 s), and writes one point per
bucket with ``metric`` tag (series of a non-aggregated result are summed). Evaluating at
fixed times makes every rewrite identical; the per-metric checkpoint (state DB) is the
next bucket to read, so after a restart the missing buckets are read back from Prometheus
(up to ``max_catchup_minutes``). A failing query is counted and does not hold up the others.
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import datetime

import httpx
from pydantic import BaseModel, Field, field_validator

from collectors.http_api import send
from collectors.polling import PolledCollector, SourceError, builder
from store.base import BUCKET_SECONDS, Point, TimeSeriesStore, bucket_start
from store.settings import http_url
from store.state import StateDB

DEFAULT_QUERIES = {
    "rps": "sum(rate(http_requests_total[1m]))",
    "cpu": "sum(rate(process_cpu_seconds_total[1m]))",
    "p95_latency": "histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))",
    "instances": "count(up == 1)",
}


class PrometheusSettings(BaseModel):
    """``[collectors.prometheus]``; ``queries`` maps a metric name to its PromQL."""

    enabled: bool = Field(False, description="Poll Prometheus for origin metrics.")
    url: str = Field("http://127.0.0.1:9090", description="Prometheus base URL.")
    queries: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_QUERIES),
                                    description="metric name → PromQL (rps, cpu, p95_latency, instances).")
    source: str = Field("prometheus", description="Name of this collector instance (tag source, checkpoint key).")
    every_seconds: float = Field(10, ge=0, description="Seconds between polls.")
    delay_seconds: int = Field(15, ge=0, le=600, description="Buckets newer than this are left for the next poll.")
    max_catchup_minutes: int = Field(60, ge=1, le=1440, description="After a stop, read at most this far back.")
    timeout_seconds: float = Field(10, gt=0, description="HTTP timeout.")

    @field_validator("url")
    @classmethod
    def _url(cls, v: str) -> str:
        return http_url(v, "http://127.0.0.1:9090")

    @field_validator("queries")
    @classmethod
    def _queries(cls, v: dict[str, str]) -> dict[str, str]:
        empty = [name for name, q in v.items() if not q.strip()]
        if empty:
            raise ValueError(f"empty PromQL for {', '.join(empty)}; give each metric an expression or remove it")
        return v


class PrometheusCollector(PolledCollector):
    """Polls the configured PromQL expressions into ``origin``."""

    def __init__(self, settings: PrometheusSettings, store: TimeSeriesStore, state: StateDB, *,
                 site: str = "default", client: httpx.Client | None = None) -> None:
        super().__init__(settings, store, state, site=site, measurement="origin")
        self.client = client or httpx.Client(timeout=settings.timeout_seconds)
        self.query_errors: dict[str, str] = {}

    def _poll(self, now: datetime) -> int:
        last = bucket_start(now.timestamp() - self.settings.delay_seconds) - BUCKET_SECONDS  # last whole bucket
        earliest = last - self.settings.max_catchup_minutes * 60
        checkpoint = self.state.get_checkpoint(self.checkpoint_key) or {"next": {}}
        nexts: dict[str, int] = checkpoint.get("next", {})
        written, failures = 0, []
        for metric, promql in self.settings.queries.items():
            first = max(int(nexts.get(metric, last)), earliest)
            if first > last:
                continue
            try:
                values = self.range(promql, first + BUCKET_SECONDS, last + BUCKET_SECONDS)
            except SourceError as exc:
                self.query_errors[metric] = str(exc)
                failures.append(f"{metric}: {exc}")
                continue
            self.query_errors.pop(metric, None)
            tags = {"site": self.site, "source": self.source, "metric": metric}
            points = [Point("origin", tags, {"value": v, "peak": v}, t - BUCKET_SECONDS) for t, v in values.items()]
            written += self.store.write(points)
            nexts[metric] = last + BUCKET_SECONDS
            self.state.put_checkpoint(self.checkpoint_key, {"next": nexts})
        if failures:
            self.points_written += written
            raise SourceError("Prometheus query failed for " + "; ".join(failures))
        return written

    def range(self, promql: str, start: int, end: int) -> dict[int, float]:
        """Evaluation time → value (summed over the result's series; NaN and missing values left out)."""
        response = send(self.client, "GET", f"{self.settings.url}/api/v1/query_range", what="Prometheus",
                        params={"query": promql, "start": start, "end": end, "step": BUCKET_SECONDS}, attempts=2)
        try:
            body = response.json()
        except ValueError:
            raise SourceError(f"Prometheus at {self.settings.url} answered HTTP {response.status_code} with "
                              "something that is not JSON; is collectors.prometheus.url a Prometheus server?") from None
        if body.get("status") != "success":
            raise SourceError(f"{promql!r} was refused ({body.get('errorType', response.status_code)}: "
                              f"{body.get('error', '')}); fix it in collectors.prometheus.queries")
        data = body.get("data") or {}
        out: dict[int, float] = defaultdict(float)
        if data.get("resultType") == "matrix":
            series = [s.get("values") or [] for s in data.get("result") or []]
        elif data.get("resultType") in ("vector", "scalar"):
            series = [[s["value"]] for s in data.get("result") or []]
        else:
            raise SourceError(f"{promql!r} gave a {data.get('resultType')!r} result; a number per time is needed")
        for values in series:
            for ts, raw in values:
                value = float(raw)
                if not math.isnan(value):
                    out[int(round(float(ts)))] += value
        return dict(out)


SETTINGS = PrometheusSettings  # the section's keys, checked at start-up
build = builder(PrometheusSettings, PrometheusCollector)  # the registry hook
