"""The online spike detector: one value at a time, scores and spike start / peak / end.

Each value is scored against a baseline built only from earlier values (causal, as a
live detector must be). A spike starts after ``confirm`` values above the high mark (or
one far above it), passes a minimum-volume guard, tracks its peak, and ends only after
``end_after`` values back under the low mark (hysteresis). Drops (traffic falling far
under the baseline, or to zero) are detected by the same machine on the other side.
The same class serves 10 s traffic buckets (live and offline) and the generic CSV.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

from alerts.detection.baseline import Expectation, RollingBaseline, SeasonalProfile


@dataclass(frozen=True)
class DetectorConfig:
    window: int = 180         # values in the baseline (180 x 10 s = 30 min)
    warmup: int = 30          # values needed before anything is judged
    z_high: float = 5.0       # start mark, in robust standard deviations
    z_low: float = 2.0        # a spike goes on while above this
    confirm: int = 2          # values above the start mark to open a spike
    end_after: int = 6        # values under the low mark to close it
    min_excess: float = 20.0  # minimum-volume guard: excess over the level (value units)
    min_ratio: float = 1.3    # and value / level at least this
    min_drop_level: float = 20.0  # drops count only where the level is at least this
    counts: bool = True       # values are counts (Poisson floor on the spread)
    max_spike: int = 1080     # after this many values a surge is the new normal (3 h)
    clip: float = 3.0         # values enter the baseline clipped to level +- clip x spread
    sustain: int = 0          # a rise this many values in a row above z_sustain opens a spike too (0: off):
    z_sustain: float = 3.5    # a steady climb shows before any one value clears z_high
    cusum_k: float = 0.0      # CUSUM of z - k over a run of values (0: off): a noisy but lasting rise ...
    cusum_h: float = 8.0      # ... opens a spike once the sum reaches h and the run passes the volume guards
    z_led: float = 0.0        # with a leading signal (new visits surging, ``update(lead=True)``) a value this
                              # far up that passes the volume guards opens a spike (0: off) ...
    led_confirm: int = 1      # ... once this many values in a row are so
    sustain_sent: int = 0     # after an email send (``update(sent=True)``: its readers are due) the climb needs
                              # only this many values in a row above z_sustain (0: ``sustain`` as always)


@dataclass
class Spike:
    direction: str            # "rise" or "drop"
    start: float              # time of the first value of the spike
    end: float                # time of the last value beyond the low mark
    peak_time: float
    peak_value: float
    expected_at_peak: float
    detected_at: float        # time of the value that confirmed it
    open: bool = True
    times: list[float] = field(default_factory=list)
    values: list[float] = field(default_factory=list)
    expected: list[float] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Observation:
    time: float
    value: float
    expected: Expectation
    z: float
    score: float  # 0 when normal, in (0, 1] when anomalous


def anomaly_score(z: float, z_high: float) -> float:
    """Map |z| beyond the start mark to (0, 1]; 0 inside the normal band."""
    if abs(z) <= z_high:
        return 0.0
    return max(1.0 - math.exp(-(abs(z) - z_high) / z_high), 1e-6)


class OnlineDetector:
    """Feed values in time order with ``update``; finished spikes collect in ``spikes``."""

    def __init__(self, config: DetectorConfig | None = None, bucket_seconds: float = 10.0,
                 profile: SeasonalProfile | None = None) -> None:
        self.config = c = config or DetectorConfig()
        self.baseline = RollingBaseline(c.window, c.warmup, c.counts, bucket_seconds, profile)
        self.spikes: list[Spike] = []
        self.current: Spike | None = None
        self._pending: list[tuple[float, float, float]] = []  # (t, value, expected) above the mark
        self._pending_dir = ""
        self._rising: list[tuple[float, float, float]] = []  # values in a row above z_sustain (a climb)
        self._cusum = 0.0
        self._run: list[tuple[float, float, float]] = []  # the values the CUSUM has summed since it was 0
        self._quiet = 0
        self._led: list[tuple[float, float, float]] = []  # values in a row far up while the lead surges

    def _climbing(self, t: float, value: float, exp: Expectation, z: float, sent: bool = False) -> bool:
        """Track a run of values above the sustained mark (and the CUSUM); True once it is a rise."""
        c = self.config
        if c.cusum_k > 0 and self._lasting(t, value, exp, z):
            self._rising = list(self._run)
            return True
        need = c.sustain_sent if sent and c.sustain_sent else c.sustain
        if not need:
            return False
        if z >= c.z_sustain and self._guarded(value, exp):
            self._rising.append((t, value, exp.level))
        else:
            self._rising = []
        return len(self._rising) >= need

    def _lasting(self, t: float, value: float, exp: Expectation, z: float) -> bool:
        """CUSUM of the z scores (each capped at the start mark) less k: True when it reaches h over a run
        whose values, together, clear the minimum-volume guards."""
        c = self.config
        step = min(z, c.z_high) - c.cusum_k
        if self._cusum + step <= 0:
            self._cusum, self._run = 0.0, []
            return False
        self._cusum += step
        self._run.append((t, value, exp.level))
        if self._cusum < c.cusum_h:
            return False
        seen = sum(v for _, v, _ in self._run)
        expected = sum(e for _, _, e in self._run)
        n = len(self._run)
        return seen - expected >= c.min_excess * n and (not c.counts or seen >= c.min_ratio * expected)

    def _guarded(self, value: float, exp: Expectation) -> bool:
        """The minimum-volume guards of a rise: enough excess, and enough above the level."""
        c = self.config
        return value - exp.level >= c.min_excess and (not c.counts or value >= c.min_ratio * exp.level)

    def _significant(self, value: float, exp: Expectation) -> tuple[float, str]:
        """z and direction when the value clears the guards, else (z, "")."""
        c = self.config
        z = (value - exp.level) / exp.spread if exp.spread > 0 else 0.0
        if z >= c.z_high and self._guarded(value, exp):
            return z, "rise"
        if z <= -c.z_high and (not c.counts or (
                exp.level >= c.min_drop_level and exp.level - value >= max(c.min_excess, 0.5 * exp.level))):
            return z, "drop"
        return z, ""

    def update(self, t: float, value: float, lead: bool = False, sent: bool = False) -> Observation:
        """Score one value; ``lead`` says a leading signal of this series (its new visits) surges now,
        ``sent`` that an email send went out shortly before (its readers may be arriving)."""
        c = self.config
        exp = self.baseline.expect(t)
        if not exp.ready:
            self.baseline.add(t, value)
            return Observation(t, value, exp, 0.0, 0.0)
        z, direction = self._significant(value, exp)
        score = anomaly_score(z, c.z_high) if direction else 0.0
        climbing = self.current is None and self._climbing(t, value, exp, z, sent)
        if lead and c.z_led > 0 and z >= c.z_led and self._guarded(value, exp):
            self._led.append((t, value, exp.level))
        else:
            self._led = []
        led = not climbing and len(self._led) >= c.led_confirm
        if self.current is not None:
            self._continue_spike(t, value, exp, z)
        elif (climbing or led) and direction != "drop":
            self._pending, self._pending_dir = list(self._led if led else self._rising), "rise"
            self._open_spike(t, "rise")
            if led:
                score = max(score, anomaly_score(z, c.z_led))
        elif direction:
            if direction != self._pending_dir:
                self._pending = []
            self._pending_dir = direction
            self._pending.append((t, value, exp.level))
            if len(self._pending) >= c.confirm or abs(z) >= 2 * c.z_high:
                self._open_spike(t, direction)
        else:
            self._pending = []
            # Winsorized update: a slow ramp must not drag the baseline (and its spread) up with it.
            lo, hi = exp.level - c.clip * exp.spread, exp.level + c.clip * exp.spread
            self.baseline.add(t, min(max(value, lo), hi))
        return Observation(t, value, exp, z, score)

    def _open_spike(self, t: float, direction: str) -> None:
        self._rising, self._run, self._cusum, self._led = [], [], 0.0, []
        first = self._pending[0]
        pick = max if direction == "rise" else min
        peak = pick(self._pending, key=lambda p: p[1])
        self.current = Spike(direction, first[0], self._pending[-1][0], peak[0], peak[1], peak[2], t,
                             times=[p[0] for p in self._pending], values=[p[1] for p in self._pending],
                             expected=[p[2] for p in self._pending])
        self._pending = []
        self._quiet = 0

    def _continue_spike(self, t: float, value: float, exp: Expectation, z: float) -> None:
        c = self.config
        s = self.current
        assert s is not None
        beyond = z > c.z_low if s.direction == "rise" else z < -c.z_low
        s.times.append(t)
        s.values.append(value)
        s.expected.append(exp.level)
        if beyond:
            s.end = t
            self._quiet = 0
            better = value > s.peak_value if s.direction == "rise" else value < s.peak_value
            if better:
                s.peak_time, s.peak_value, s.expected_at_peak = t, value, exp.level
        else:
            self._quiet += 1
        if self._quiet >= c.end_after:
            self._close()
        elif len(s.times) >= c.max_spike:
            for ts, v in zip(s.times[-c.window:], s.values[-c.window:], strict=True):
                self.baseline.add(ts, v)
            self._close()

    def _close(self) -> None:
        s = self.current
        assert s is not None
        s.open = False
        keep = [i for i, ts in enumerate(s.times) if ts <= s.end]
        s.times = [s.times[i] for i in keep]
        s.values = [s.values[i] for i in keep]
        s.expected = [s.expected[i] for i in keep]
        self.spikes.append(s)
        self.current = None
        self._quiet = 0

    def all_spikes(self) -> list[Spike]:
        """Closed spikes plus the one still going, in time order."""
        return self.spikes + ([self.current] if self.current is not None else [])


def run_detector(times: Iterable[float], values: Iterable[float], config: DetectorConfig | None = None,
                 lead: Iterable[bool] | None = None, profile: SeasonalProfile | None = None,
                 bucket_seconds: float = 10.0, sent: Iterable[bool] | None = None,
                 ) -> tuple[list[Observation], list[Spike]]:
    """Run one detector over a whole series (with its leading signal, the buckets after an email send
    and the time-of-day profile, if any); every observation and all spikes."""
    det = OnlineDetector(config, bucket_seconds, profile)
    times, values = list(times), list(values)
    leads = [False] * len(times) if lead is None else list(lead)
    sends = [False] * len(times) if sent is None else list(sent)
    obs = [det.update(t, v, a, s) for t, v, a, s in zip(times, values, leads, sends, strict=True)]
    return obs, det.all_spikes()
