"""The NAB windowed scorer on a tiny series whose score is worked out by hand below."""

from __future__ import annotations

import math

import pytest

from bench.nab_scoring import normalised, scaled_sigmoid, score_detections

# 20 rows one minute apart; probation = floor(0.15 * 20) = 3 rows; one window over rows 10..14 (width 5).
TIMES = [60.0 * i for i in range(20)]
WINDOW = [(TIMES[10], TIMES[14])]


def flags(*rows: int) -> list[bool]:
    return [i in rows for i in range(20)]


def test_scaled_sigmoid_matches_the_published_points() -> None:
    assert scaled_sigmoid(-1.0) == pytest.approx(0.98661, abs=1e-5)
    assert scaled_sigmoid(-0.5) == pytest.approx(0.84828, abs=1e-5)
    assert scaled_sigmoid(0.0) == 0.0
    assert scaled_sigmoid(1.0) == pytest.approx(-0.98661, abs=1e-5)
    assert scaled_sigmoid(3.0) == -1.0


def test_hand_worked_series() -> None:
    # row 1: in probation, ignored.
    # row 5: before any window, y = 3: costs 0.11 * 1 = 0.11.
    # row 12: inside, y = -(14 - 12 + 1) / 5 = -0.6: sigma = 2 / (1 + e^-3) - 1 = 0.905148;
    #         divided by sigma(-1) = 0.986614 -> 0.917430.
    # row 13: a second detection in the same window, ignored.
    # row 17: after the window, y = |14 - 17| / (5 - 1) = 0.75: sigma = 2 / (1 + e^3.75) - 1 = -0.954045,
    #         costs 0.11 * 0.954045 = 0.104945.
    # raw = 0.917430 - 0.11 - 0.104945 = 0.702485; null = -1, perfect = +1 -> 100 * 1.702485 / 2 = 85.124.
    s = score_detections(TIMES, flags(1, 5, 12, 13, 17), WINDOW)
    assert s.raw == pytest.approx(0.702485, abs=1e-5)
    assert (s.tp, s.fn, s.fp, s.null, s.perfect) == (1, 0, 2, -1.0, 1.0)
    assert normalised([s]) == pytest.approx(85.124, abs=1e-3)


def test_first_row_of_window_is_perfect_and_nothing_is_null() -> None:
    perfect = score_detections(TIMES, flags(10), WINDOW)
    assert perfect.raw == pytest.approx(1.0) and normalised([perfect]) == pytest.approx(100.0)
    null = score_detections(TIMES, flags(), WINDOW)
    assert null.raw == -1.0 and normalised([null]) == 0.0


def test_a_late_detection_earns_less_than_an_early_one() -> None:
    early = score_detections(TIMES, flags(11), WINDOW).raw
    late = score_detections(TIMES, flags(14), WINDOW).raw
    assert early > late > 0.0
    # the last row: y = -1 / 5, sigma(-0.2) / sigma(-1)
    assert late == pytest.approx((2 / (1 + math.exp(-1.0)) - 1) / (2 / (1 + math.exp(-5.0)) - 1), abs=1e-9)


def test_every_false_alarm_far_from_a_window_costs_the_full_weight() -> None:
    s = score_detections(TIMES, flags(4, 5, 6, 7), WINDOW)
    assert s.fp == 4 and s.raw == pytest.approx(-1.0 - 4 * 0.11)
