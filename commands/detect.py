"""``cli.py detect --csv FILE``: alerts on any ``timestamp,value`` series.

Every row is scored causally (only earlier rows are used), rises and drops alike, with
alert semantics (``alerts.detection.series_alerts``): one alert per anomalous stretch, on the row that
opens it; the rows with a score above 0 are listed with their timestamp exactly as written.
Rows that cannot be read are skipped, counted and reported on stderr.
"""

from __future__ import annotations

import csv
import json
import math
import sys
from pathlib import Path

import pandas as pd

from alerts.detection.series_alerts import score_series


def parse_time(text: str) -> float | None:
    """Epoch seconds of an ISO 8601 or ``YYYY-MM-DD HH:MM:SS`` timestamp (naive = UTC)."""
    try:
        ts = pd.Timestamp(text.strip())
    except (ValueError, TypeError):
        return None
    if ts is pd.NaT:
        return None
    if ts.tzinfo is None:
        ts = ts.tz_localize("UTC")
    return ts.timestamp()


def read_series(path: Path) -> tuple[list[str], list[float], list[float], list[str]]:
    """Raw timestamps, epoch times and values of a CSV, plus one message per bad row."""
    raw, times, values, problems = [], [], [], []
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = [h.strip().lower() for h in next(reader, [])]
        if "timestamp" not in header or "value" not in header:
            raise ValueError(f"{path}: the header must name the columns 'timestamp,value' (found {header})")
        it, iv = header.index("timestamp"), header.index("value")
        for lineno, row in enumerate(reader, start=2):
            if not row or all(not cell.strip() for cell in row):
                continue
            try:
                stamp, text = row[it], row[iv]
                t = parse_time(stamp)
                v = float(text)
            except (IndexError, ValueError):
                t = None
            if t is None or not math.isfinite(v):
                problems.append(f"{path}:{lineno}: skipped, not a timestamp and a number: {row!r}")
                continue
            raw.append(stamp)
            times.append(t)
            values.append(v)
    return raw, times, values, problems


def run(csv_path: Path, fmt: str = "table") -> int:
    if fmt not in ("json", "table"):
        print(f"--format must be json or table, not {fmt!r}", file=sys.stderr)
        return 2
    try:
        raw, times, values, problems = read_series(csv_path)
    except (OSError, UnicodeDecodeError, ValueError, csv.Error) as exc:
        print(f"cannot read {csv_path}: {exc}. Give a CSV file with a 'timestamp,value' header.",
              file=sys.stderr)
        return 1
    for msg in problems[:20]:
        print(msg, file=sys.stderr)
    if problems:
        print(f"{len(problems)} row(s) skipped in {csv_path}", file=sys.stderr)
    scores = score_series(times, values)
    anomalies = [{"timestamp": r, "score": round(s, 6)} for r, s in zip(raw, scores, strict=True) if s > 0]
    if fmt == "json":
        print(json.dumps({"anomalies": anomalies}))
    else:
        print(f"{len(anomalies)} anomalous row(s) of {len(raw)}")
        for a in anomalies:
            print(f"{a['timestamp']}\t{a['score']:.3f}")
    return 0
