"""``detect``'s alert semantics on hand-made series: one alert per stretch at its onset, drops as well as
rises, a level shift becomes the new normal, a daily or weekly rhythm is learned rather than alarmed."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from alerts.detection.series_alerts import DAY, SeriesAlerts, score_series

ROOT = Path(__file__).resolve().parents[2]
NAB = ROOT / "bench" / "data" / "nab"
T0 = 1_700_000_000.0 - 1_700_000_000.0 % DAY  # a midnight, UTC
STEP = 300.0


def noisy(n: int, level: float, sd: float, seed: int) -> tuple[list[float], list[float]]:
    rng = np.random.default_rng(seed)
    return [T0 + STEP * i for i in range(n)], [float(v) for v in rng.normal(level, sd, n)]


def run(times: list[float], values: list[float]) -> tuple[list[float], SeriesAlerts]:
    det = SeriesAlerts()
    return [det.update(t, v) for t, v in zip(times, values, strict=True)], det


def alerts(scores: list[float]) -> list[int]:
    return [i for i, s in enumerate(scores) if s > 0]


def test_a_stretch_alerts_once_at_its_onset_and_a_later_one_alerts_again() -> None:
    times, values = noisy(700, 100.0, 3.0, seed=1)
    for i in range(400, 420):
        values[i] += 40.0
    for i in range(550, 560):
        values[i] += 40.0
    scores, det = run(times, values)
    assert alerts(scores) == [400, 550]
    assert all(s == 0 for s in scores[401:420])
    first, second = det.all_stretches()
    assert (first.direction, first.start, second.start) == ("rise", times[400], times[550])
    assert times[419] <= first.end < times[430]


def test_a_drop_is_an_alert_too() -> None:
    times, values = noisy(600, 100.0, 3.0, seed=2)
    for i in range(450, 465):
        values[i] = 20.0
    scores, det = run(times, values)
    assert alerts(scores) == [450]
    assert [s.direction for s in det.all_stretches()] == ["drop"]


def test_a_modest_lasting_shift_opens_on_a_run_of_values_not_a_single_one() -> None:
    times, values = noisy(600, 100.0, 3.0, seed=3)
    for i in range(450, 470):
        values[i] += 15.0  # 5 spreads: below the one-value mark, clear as a run
    scores, _ = run(times, values)
    assert len(alerts(scores)) == 1 and 450 <= alerts(scores)[0] <= 453


def test_a_level_shift_becomes_the_new_normal() -> None:
    times, values = noisy(1000, 100.0, 3.0, seed=4)
    for i in range(400, 1000):
        values[i] += 50.0
    for i in range(800, 812):
        values[i] -= 50.0  # back at the old level: now a drop from the new normal
    scores, det = run(times, values)
    assert alerts(scores) == [400, 800]
    shift, dip = det.all_stretches()
    assert shift.adopted and shift.direction == "rise"
    assert dip.direction == "drop"


def daily_rhythm(days: int, seed: int) -> tuple[list[float], list[float]]:
    """Requests per 5 minutes: nights at a fifth of the mean, a lunch and an evening peak (Poisson)."""
    rng = np.random.default_rng(seed)
    times = [T0 + STEP * i for i in range(int(days * DAY / STEP))]
    rates = []
    for t in times:
        h = (t % DAY) / 3600.0
        shape = 0.2 + 0.8 * math.exp(-((h - 12.5) / 2.5) ** 2) + 1.2 * math.exp(-((h - 20.0) / 2.0) ** 2)
        rates.append(60.0 * (0.3 + shape))
    return times, [float(v) for v in rng.poisson(rates)]


def test_a_daily_rhythm_is_learned_and_not_alarmed() -> None:
    times, values = daily_rhythm(7, seed=5)
    scores, det = run(times, values)
    after_two_days = int(2 * DAY / STEP)
    assert alerts(scores[after_two_days:]) == []
    assert det.model_name() == "daily"


def test_a_night_bump_is_judged_against_nights() -> None:
    times, values = daily_rhythm(7, seed=6)
    night = int(5 * DAY / STEP) + 36  # day 6, 03:00: the busiest evening's level at night, for an hour
    for i in range(night, night + 12):
        values[i] = 130.0
    scores, _ = run(times, values)
    assert alerts(scores[int(2 * DAY / STEP):]) == [night - int(2 * DAY / STEP)]


def test_a_weekly_rhythm_is_learned_after_two_weeks() -> None:
    rng = np.random.default_rng(7)
    times = [T0 + 3600.0 * i for i in range(24 * 28)]  # hourly, four weeks
    values = [float(rng.poisson(200 if (t // DAY) % 7 < 5 else 50)) for t in times]  # quiet weekends
    scores, det = run(times, values)
    assert alerts(scores[24 * 15:]) == []
    assert det.model_name() == "weekly"


def test_scores_are_causal() -> None:
    times, values = daily_rhythm(3, seed=8)
    values[700] = 400.0
    full = score_series(times, values)
    assert full[:701] == score_series(times[:701], values[:701])
    assert full[700] > 0


def test_a_spike_right_after_a_drop_is_a_second_alert() -> None:
    times, values = noisy(600, 100.0, 3.0, seed=9)
    for i in range(400, 405):
        values[i] = 20.0
    values[405] = 300.0  # the other way, before the drop has ended
    scores, det = run(times, values)
    assert alerts(scores) == [400, 405]
    assert [s.direction for s in det.all_stretches()][:2] == ["drop", "rise"]


def test_detect_skips_values_that_are_not_finite_numbers(tmp_path: Path) -> None:
    times, values = noisy(200, 100.0, 3.0, seed=10)
    rows = [f"{pd.Timestamp(t, unit='s').isoformat()}Z,{v:.3f}" for t, v in zip(times, values, strict=True)]
    rows[150] = rows[150].split(",")[0] + ",inf"
    rows[160] = rows[160].split(",")[0] + ",-inf"
    path = tmp_path / "series.csv"
    path.write_text("timestamp,value\n" + "\n".join(rows) + "\n")
    out = subprocess.run([sys.executable, "cli.py", "detect", "--csv", str(path), "--format", "json"],
                         cwd=ROOT, capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == {"anomalies": []}
    assert "2 row(s) skipped" in out.stderr and "inf" in out.stderr


def nab_series(name: str) -> tuple[list[float], list[float], list[tuple[float, float]]]:
    """A NAB series shipped for the bench (bench/data/nab, origin in its README) and its labelled windows."""
    df = pd.read_csv(NAB / Path(name).name)
    times = [pd.Timestamp(s, tz="UTC").timestamp() for s in df["timestamp"]]
    windows = [(pd.Timestamp(a, tz="UTC").timestamp(), pd.Timestamp(b, tz="UTC").timestamp())
               for a, b in json.loads((NAB / "windows.json").read_text())[name]]
    return times, [float(v) for v in df["value"]], windows


def test_real_road_speeds_alert_once_in_each_labelled_collapse() -> None:
    # NAB realTraffic/speed_7578: three labelled windows in which the speed collapses for an hour or so.
    times, values, windows = nab_series("realTraffic/speed_7578.csv")
    scores, det = run(times, values)
    hits = [t for t, s in zip(times, scores, strict=True) if s > 0]
    for start, end in windows:
        inside = [t for t in hits if start <= t <= end]
        assert len(inside) == 1
    assert len(hits) <= 3 * len(windows)
    stretches = {s.start: s.direction for s in det.all_stretches()}
    assert all(stretches[t] == "drop" for t in hits if any(a <= t <= b for a, b in windows))


def test_real_request_counts_alert_in_both_labelled_surges() -> None:
    # NAB realAWSCloudwatch/elb_request_count_8c0756: a bursty load balancer's requests per 5 minutes.
    times, values, windows = nab_series("realAWSCloudwatch/elb_request_count_8c0756.csv")
    scores, _ = run(times, values)
    hits = [t for t, s in zip(times, scores, strict=True) if s > 0]
    assert all(any(a <= t <= b for t in hits) for a, b in windows)
    assert len(hits) <= 2 * len(windows)
