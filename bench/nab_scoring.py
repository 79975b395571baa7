"""The Numenta Anomaly Benchmark's windowed scoring, written from its published description.

Method (Lavin & Ahmad, "Evaluating Real-time Anomaly Detection Algorithms - the Numenta Anomaly
Benchmark", IEEE ICMLA 2015, arXiv:1510.03336, section IV; and the NAB repository's README,
github.com/numenta/NAB): every labelled anomaly is a window of rows. Only the first detection
inside a window counts, weighted by where it falls: with y the row's position relative to the
window's right end (-1 at its first row, 0 just past its last), it earns A_TP * sigma(y) / sigma(-1)
where sigma(y) = 2 / (1 + e^(5y)) - 1 (the scaled sigmoid), so the earliest detection earns A_TP
and one at the end almost nothing. A window with no detection costs A_FN. Each detection outside
every window costs |A_FP| * -sigma(y), with y the distance past the end of the previous window
relative to that window's width (rows - 1), y = 3 (full cost) before the first window and beyond
3 widths: a detection just after a window costs little, one far from any window the full A_FP.
The first 15 % of each series (at most 750 rows) is a probationary period: nothing in it is
scored. The standard profile is A_TP = 1, A_FP = -0.11, A_FN = -1. A detector's raw scores,
summed over the series, are normalised to 0-100 between the null detector (never detects: A_FN
per window) and the perfect one (detects each window on its first row: A_TP per window).
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

PROBATION_SHARE = 0.15
PROBATION_MAX_ROWS = 0.15 * 5000


@dataclass(frozen=True)
class Profile:
    tp: float = 1.0     # A_TP
    fp: float = -0.11   # A_FP
    fn: float = -1.0    # A_FN


STANDARD = Profile()


@dataclass
class SeriesScore:
    raw: float
    null: float      # the null detector's raw score on the same series
    perfect: float   # the perfect detector's
    tp: int          # windows detected
    fn: int          # windows missed
    fp: int          # detections outside every window


def scaled_sigmoid(y: float) -> float:
    """2 / (1 + e^(5y)) - 1, and -1 from y = 3 on."""
    if y >= 3.0:
        return -1.0
    return 2.0 / (1.0 + math.exp(5.0 * y)) - 1.0


def probation_rows(n: int) -> float:
    return min(math.floor(PROBATION_SHARE * n), PROBATION_MAX_ROWS)


def window_rows(times: Sequence[float], windows: Sequence[tuple[float, float]]) -> list[tuple[int, int]]:
    """Row index ranges (first, last) of the windows, given as (start, end) times, in time order."""
    out = []
    for start, end in sorted(windows):
        lo, hi = bisect_left(times, start), bisect_right(times, end) - 1
        if lo <= hi:
            out.append((lo, hi))
    return out


def score_detections(times: Sequence[float], detected: Sequence[bool], windows: Sequence[tuple[float, float]],
                     profile: Profile = STANDARD) -> SeriesScore:
    """Score one series' detections (one flag per row, rows in time order) against its labelled windows."""
    n = len(times)
    probation = probation_rows(n)
    spans = window_rows(times, windows)
    best = [profile.fn] * len(spans)
    max_tp = scaled_sigmoid(-1.0)
    fp_cost, fp = 0.0, 0
    k = 0  # the first window not yet passed
    for i in range(n):
        while k < len(spans) and spans[k][1] < i:
            k += 1
        if not detected[i] or i < probation:
            continue
        if k < len(spans) and spans[k][0] <= i:
            lo, hi = spans[k]
            y = -(hi - i + 1) / (hi - lo + 1)
            best[k] = max(best[k], scaled_sigmoid(y) * profile.tp / max_tp)
            continue
        y = 3.0 if k == 0 else abs(spans[k - 1][1] - i) / max(spans[k - 1][1] - spans[k - 1][0], 1)
        fp_cost += scaled_sigmoid(y) * -profile.fp
        fp += 1
    scored = [b for b, (_, hi) in zip(best, spans, strict=True) if hi >= probation]  # not inside probation
    tp = sum(1 for b in scored if b > profile.fn)
    return SeriesScore(sum(scored) + fp_cost, profile.fn * len(scored), profile.tp * len(scored),
                       tp, len(scored) - tp, fp)


def normalised(scores: Sequence[SeriesScore]) -> float:
    """0 (the null detector) to 100 (the perfect one) over several series."""
    raw = sum(s.raw for s in scores)
    null = sum(s.null for s in scores)
    perfect = sum(s.perfect for s in scores)
    return 100.0 * (raw - null) / (perfect - null) if perfect != null else 0.0
