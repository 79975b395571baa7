"""The worker's Prometheus metrics (prometheus-client), served on /metrics.

Collectors and jobs count into these; names follow Prometheus conventions.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

LINES = Counter("surgewatch_lines_total", "Log lines read, by collector and outcome (parsed, late, malformed reason).",
                ["collector", "outcome"], registry=REGISTRY)
POINTS = Counter("surgewatch_points_written_total", "Points written to the time-series store, by collector.",
                 ["collector"], registry=REGISTRY)
ERRORS = Counter("surgewatch_errors_total", "Errors by component and kind; the worker keeps running.",
                 ["component", "kind"], registry=REGISTRY)
SPOOL_DEPTH = Gauge("surgewatch_spool_depth_points", "Points waiting in the disk spool for the store to come back.",
                    registry=REGISTRY)
LAG = Gauge("surgewatch_collector_lag_seconds", "Seconds between now and the newest data a collector has written.",
            ["collector"], registry=REGISTRY)
JOB_SECONDS = Histogram("surgewatch_job_duration_seconds", "Duration of the worker's scheduled jobs.", ["job"],
                        buckets=(0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30), registry=REGISTRY)
INCIDENTS = Gauge("surgewatch_open_incidents", "Open incidents by verdict.", ["verdict"], registry=REGISTRY)
NOTIFICATIONS = Counter("surgewatch_notifications_total",
                        "Incident notifications by channel kind and outcome (sent, failed, silenced, refreshed).",
                        ["channel", "outcome"], registry=REGISTRY)
