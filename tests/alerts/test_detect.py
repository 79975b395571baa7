"""The online detector and the generic ``detect --csv`` command."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from alerts.detection.detect import DetectorConfig, run_detector
from alerts.detection.slices import TOTAL, total_config
from commands.detect import score_series

ROOT = Path(__file__).resolve().parents[2]


def poisson_series(n: int, rate: float, seed: int) -> tuple[list[float], list[float]]:
    rng = np.random.default_rng(seed)
    return [1_700_000_000.0 + 10 * i for i in range(n)], [float(v) for v in rng.poisson(rate, n)]


def test_steady_poisson_traffic_raises_no_spike() -> None:
    times, values = poisson_series(2000, 50, seed=3)
    _, spikes = run_detector(times, values)
    assert spikes == []


def test_quiet_night_does_not_alarm_on_a_handful_of_requests() -> None:
    times, values = poisson_series(600, 0.3, seed=4)
    values[400] = values[401] = 9.0  # 30x the level, but only 9 requests
    _, spikes = run_detector(times, values)
    assert spikes == []


def test_surge_has_start_peak_and_end_with_hysteresis() -> None:
    times, values = poisson_series(900, 40, seed=5)
    for i in range(500, 560):
        values[i] += 200 if i < 530 else 40 * (560 - i) / 30 + 60
    values[520] += 400
    obs, spikes = run_detector(times, values)
    assert len(spikes) == 1
    s = spikes[0]
    assert s.direction == "rise"
    assert s.start == times[500]
    assert s.detected_at <= times[501]
    assert s.peak_time == times[520]
    assert times[555] <= s.end <= times[562]
    assert not s.open
    assert all(o.score == 0 for o in obs[:500])


def test_spike_still_going_at_the_end_is_open() -> None:
    times, values = poisson_series(400, 40, seed=6)
    for i in range(380, 400):
        values[i] += 300
    _, spikes = run_detector(times, values)
    assert len(spikes) == 1 and spikes[0].open and spikes[0].end == times[-1]


def test_traffic_falling_to_zero_is_a_drop() -> None:
    times, values = poisson_series(500, 60, seed=7)
    for i in range(400, 430):
        values[i] = 0.0
    _, spikes = run_detector(times, values)
    assert [s.direction for s in spikes] == ["drop"]
    assert spikes[0].start == times[400]


def test_scores_are_causal() -> None:
    times, values = poisson_series(700, 30, seed=8)
    values[650] = 400.0
    full = score_series(times, values)
    prefix = score_series(times[:651], values[:651])
    assert full[:651] == prefix
    assert full[650] > 0


def test_detect_cli_lists_rises_and_drops_with_timestamps_as_written(tmp_path: Path) -> None:
    rng = np.random.default_rng(11)
    rows = ["timestamp,value"]
    t = 0
    for i in range(400):
        t += int(rng.integers(30, 90))  # irregular intervals
        v = 100 + rng.normal(0, 3)
        if i == 300:
            v = 180
        if i == 350:
            v = 10
        stamp = f"2024-03-01T{t // 3600 % 24:02d}:{t // 60 % 60:02d}:{t % 60:02d}Z" if i % 2 else \
            f"2024-03-01 {t // 3600 % 24:02d}:{t // 60 % 60:02d}:{t % 60:02d}"
        rows.append(f"{stamp},{v:.2f}")
    path = tmp_path / "series.csv"
    path.write_text("\n".join(rows) + "\n")
    out = subprocess.run([sys.executable, "cli.py", "detect", "--csv", str(path), "--format", "json"],
                         cwd=ROOT, capture_output=True, text=True, check=True)
    anomalies = json.loads(out.stdout)["anomalies"]
    stamps = [a["timestamp"] for a in anomalies]
    assert rows[301].split(",")[0] in stamps
    assert rows[351].split(",")[0] in stamps
    assert all(0 < a["score"] <= 1 for a in anomalies)
    assert len(anomalies) <= 6


def test_detect_cli_unreadable_file_fails_with_message_and_no_stdout(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("when,amount\n1,2\n")
    out = subprocess.run([sys.executable, "cli.py", "detect", "--csv", str(path), "--format", "json"],
                         cwd=ROOT, capture_output=True, text=True)
    assert out.returncode != 0 and out.stdout == ""
    assert "timestamp,value" in out.stderr


def test_counts_config_needs_minimum_volume() -> None:
    cfg = DetectorConfig(min_excess=100)
    times, values = poisson_series(500, 20, seed=9)
    for i in range(450, 460):
        values[i] += 60
    _, spikes = run_detector(times, values, cfg)
    assert spikes == []


def test_a_steady_climb_opens_a_spike_before_any_bucket_clears_the_start_mark() -> None:
    times, values = poisson_series(400, 100, seed=8)
    for i in range(300, 400):  # a viral post: +4.3 spreads (of a Poisson 100) and climbing slowly
        values[i] = 100 + 43 + (i - 300) * 0.3
    climb = DetectorConfig(sustain=3)
    _, with_climb = run_detector(times, values, climb)
    _, without = run_detector(times, values, DetectorConfig())
    assert with_climb and with_climb[0].detected_at == times[302]  # the third bucket in a row
    assert not without or without[0].detected_at > times[310]


def test_cusum_opens_a_lasting_rise_that_wavers_around_the_climb_mark() -> None:
    times, values = poisson_series(400, 100, seed=9)
    for i in range(300, 400):  # +2.5 to +4.5 spreads, never three in a row above 3.5
        values[i] = 100 + (45 if i % 3 == 0 else 25)
    _, climb = run_detector(times, values, DetectorConfig(sustain=3))
    _, cusum = run_detector(times, values, DetectorConfig(sustain=3, cusum_k=2.0, cusum_h=8.0))
    assert not climb
    assert cusum and times[300] <= cusum[0].start and cusum[0].detected_at <= times[310]


def test_new_visits_surging_open_a_spike_on_the_first_clear_step() -> None:
    times, values = poisson_series(400, 100, seed=11)
    for i in range(300, 400):  # a doubling on a bursty site: only ~3.3 spreads in any one bucket
        values[i] = 133.0
    lead = [i >= 298 for i in range(400)]  # the visits' own surge shows first
    led = DetectorConfig(sustain=3, z_led=3.0)
    _, with_lead = run_detector(times, values, led, lead)
    _, without = run_detector(times, values, led)
    assert with_lead and with_lead[0].detected_at == times[300]
    assert not without or without[0].detected_at > times[301]


def test_after_an_email_send_two_buckets_in_a_row_open_the_climb() -> None:
    times, values = poisson_series(400, 100, seed=13)
    for i in (300, 301):  # a send's readers: two buckets +4 spreads, then the noise of a bursty site
        values[i] = 140.0
    sent = [i >= 250 for i in range(400)]
    config = DetectorConfig(sustain=3, sustain_sent=2)
    _, after_send = run_detector(times, values, config, sent=sent)
    _, otherwise = run_detector(times, values, config)
    assert after_send and after_send[0].detected_at == times[301]
    assert otherwise == []


def test_a_leading_signal_alone_raises_nothing_below_the_led_mark() -> None:
    times, values = poisson_series(600, 100, seed=12)
    for i in range(400, 600):
        values[i] = 118.0  # +1.8 spreads: the visits surge, the total barely moves
    _, spikes = run_detector(times, values, DetectorConfig(sustain=3, z_led=3.0), [i >= 400 for i in range(600)])
    assert spikes == []


def test_sensitivity_scales_every_opening_mark_of_the_total() -> None:
    strict = total_config(sensitivity=2 * TOTAL.z_high, min_rps=3.0)
    assert (strict.z_high, strict.z_sustain, strict.z_led) == (2 * TOTAL.z_high, 2 * TOTAL.z_sustain, 2 * TOTAL.z_led)
    assert strict.min_excess == 30.0
