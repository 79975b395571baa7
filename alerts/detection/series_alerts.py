"""Alerts on any ``timestamp,value`` series: one per anomalous stretch, scored at its onset.

This is what ``detect --csv`` runs. Each value is judged, causally, against what the series' own
past predicts for it: a robust level (the median of recent normal values) plus, when the data show
one, a daily or weekly profile (the median deviation from the level at the same time of day, or of
the week, over the last few cycles). Which of the three predicts is decided from the data: the one
whose forecasts of the recent values erred least, a profile only when it cuts the typical error by a
clear margin (``season_gain``), so a series without a rhythm keeps the plain level.

A value far off the prediction (``z_open`` robust spreads of that model's recent errors), or
``confirm`` values in a row beyond ``z_confirm`` on the same side, opens a stretch, a rise or a
drop. That row carries the alert's score; the later rows of the stretch score 0 until
``end_after`` values in a row are back within ``z_end`` (the stretch is over and a new one may
open), or a value ``z_open`` off on the other side opens the next one (a drop right after a
spike). Values of a stretch stay out of the level; a stretch that lasts ``adopt`` values is a
level shift and becomes the new normal: the level restarts from its values and no new alert
follows.

The live spike detector (``alerts.detection.detect``) is separate: it judges 10 s traffic buckets with
volume guards and a time-of-day profile from the store's rollups.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

DAY = 86400.0
WEEK = 7 * DAY


@dataclass(frozen=True)
class SeriesConfig:
    window: int = 288          # values in the level (a day of 5-minute values)
    warmup: int = 30           # values needed before anything is judged
    z_open: float = 6.0        # one value this many robust spreads off opens a stretch ...
    z_confirm: float = 3.5     # ... and so do ``confirm`` values in a row this far off on one side
    confirm: int = 3
    z_end: float = 2.5         # a stretch goes on while its values are this far off ...
    end_after: int = 6         # ... and ends after this many values in a row back within it
    adopt: int = 36            # a stretch this long is the new normal (a level shift)
    season_gain: float = 0.75  # a profile predicts when its typical error is at most this share of the simpler one's
    cycles: int = 4            # cycles a profile remembers
    errors: int = 288          # recent forecast errors kept per model (choice of model, spread)


@dataclass
class Stretch:
    start: float      # time of the row that opened it (the alert)
    end: float        # time of its last row
    direction: str    # "rise" or "drop"
    score: float      # the alert's score, in (0, 1]
    adopted: bool = False  # it lasted and became the new normal


def onset_score(z: float, config: SeriesConfig) -> float:
    """Map |z| at the opening row to (0, 1]: further off, higher."""
    return max(1.0 - math.exp(-max(abs(z) - config.z_confirm, 0.0) / config.z_confirm), 1e-6)


def _spread(errors: deque[float]) -> tuple[float, float]:
    """Centre and robust spread of forecast errors (the 90th percentile keeps a bursty series honest)."""
    e = np.fromiter(errors, dtype=float)
    centre = float(np.median(e))
    dev = np.abs(e - centre)
    sigma = max(float(np.quantile(dev, 0.5)) / 0.6745, float(np.quantile(dev, 0.9)) / 1.6449)
    return centre, sigma


class _Model:
    """A forecast: the median of recent values at the same time of the period (none for the plain level)
    plus a level, the median of recent normal values' distance from it."""

    def __init__(self, period: float | None, slot_seconds: float, config: SeriesConfig) -> None:
        self.period = period
        self.slot_seconds = slot_seconds
        self.keep = config.cycles * (period or 0.0)
        self.levels: deque[float] = deque(maxlen=config.window)
        self.profile: dict[int, deque[tuple[float, float]]] = {}
        self.abs_errors: deque[float] = deque(maxlen=config.errors)  # every row it forecast
        self.errors: deque[float] = deque(maxlen=config.errors)      # normal rows only
        self._level: float | None = None

    def season(self, t: float) -> float | None:
        """The median of the values at this time of the period over the last cycles (0 without a period),
        None while that slot has too little history."""
        if self.period is None:
            return 0.0
        slot = self.profile.get(int((t % self.period) // self.slot_seconds))
        if slot is None:
            return None
        while slot and slot[0][0] < t - self.keep:
            slot.popleft()
        return float(np.median([v for _, v in slot])) if len(slot) >= 2 else None

    def level(self) -> float | None:
        if self._level is None and self.levels:
            self._level = float(np.median(self.levels))
        return self._level

    def learn_profile(self, t: float, value: float) -> None:
        """Every value joins its slot of the period (medians over several cycles shrug off anomalies)."""
        if self.period is not None:
            self.profile.setdefault(int((t % self.period) // self.slot_seconds), deque()).append((t, value))

    def accept(self, value: float, season: float | None) -> None:
        """A normal value's distance from the profile joins the level."""
        if season is not None:
            self.levels.append(value - season)
            self._level = None

    def restart(self, values: list[float], seasons: list[float | None]) -> None:
        """A level shift is the new normal: the level starts again from the stretch's values."""
        kept = [v - s for v, s in zip(values, seasons, strict=True) if s is not None]
        if kept:
            self.levels.clear()
            self.levels.extend(kept)
            self._level = None

    def typical_error(self) -> float | None:
        """Mean absolute error of its recent forecasts: a profile's gain at the few steps of a rhythm counts."""
        if len(self.abs_errors) < (self.abs_errors.maxlen or 0) // 2:
            return None
        return float(np.mean(self.abs_errors))

    def missed(self, values: list[float], forecasts: list[float | None], z_end: float) -> bool:
        """Did this model's forecasts miss a stretch's values (so it, too, must take them as the new normal)?"""
        errors = [v - f for v, f in zip(values, forecasts, strict=True) if f is not None]
        if not errors or len(self.errors) < 2:
            return True
        centre, sigma = _spread(self.errors)
        return abs(float(np.median(errors)) - centre) > z_end * sigma


class SeriesAlerts:
    """Feed values in time order with ``update``; each returns the row's score (0 unless it opens a stretch)."""

    def __init__(self, config: SeriesConfig | None = None) -> None:
        self.config = c = config or SeriesConfig()
        self.models = [_Model(None, 1.0, c), _Model(DAY, 1800.0, c), _Model(WEEK, 7200.0, c)]
        self.stretches: list[Stretch] = []
        self.current: Stretch | None = None
        self._rows: list[tuple[float, list[float | None], list[float | None]]] = []  # value, seasons, forecasts
        self._quiet = 0
        self._pending: list[int] = []  # signs of the values in a row beyond z_confirm
        self._first: float | None = None
        self._last_t = 0.0
        self._seen = 0

    def model_name(self) -> str:
        """Which model predicts now: 'level', 'daily' or 'weekly'."""
        return ("level", "daily", "weekly")[self._choose(self._last_t)] if self._first is not None else "level"

    def _choose(self, t: float) -> int:
        """The plain level, unless a profile (old enough: two cycles) has clearly forecast better."""
        best, best_err = 0, self.models[0].typical_error()
        for i, m in enumerate(self.models[1:], start=1):
            err = m.typical_error()
            if m.period is None or t - (self._first or t) < 2 * m.period or err is None or best_err is None:
                continue
            if err <= self.config.season_gain * best_err:
                best, best_err = i, err
        return best

    def update(self, t: float, value: float) -> float:
        c = self.config
        if self._first is None:
            self._first = t
        self._last_t = t
        seasons = [m.season(t) for m in self.models]
        forecasts = []
        for m, s in zip(self.models, seasons, strict=True):
            level = m.level()
            f = None if level is None or s is None else level + s
            forecasts.append(f)
            if f is not None:
                m.abs_errors.append(abs(value - f))
        k = self._choose(t)
        model, forecast = self.models[k], forecasts[k]
        z = None
        if forecast is not None and self._seen >= c.warmup and len(model.errors) >= c.warmup:
            centre, sigma = _spread(model.errors)
            sigma = max(sigma, 1e-6 * max(abs(forecast), 1.0))
            z = (value - forecast - centre) / sigma
        for m in self.models:
            m.learn_profile(t, value)
        if z is None:
            self._accept(value, seasons, forecasts)
            return 0.0
        if self.current is not None:
            return self._go_on(t, value, z, seasons, forecasts)
        return self._judge(t, value, z, seasons, forecasts)

    def _judge(self, t: float, value: float, z: float, seasons: list[float | None],
               forecasts: list[float | None]) -> float:
        """Outside a stretch: open one, hold the value back as part of a run, or take it as normal."""
        c = self.config
        sign = 1 if z > 0 else -1
        if abs(z) >= c.z_confirm:
            self._pending = [s for s in self._pending if s == sign] + [sign]
            if abs(z) >= c.z_open or len(self._pending) >= c.confirm:
                return self._open(t, value, z, seasons, forecasts)
            return 0.0
        self._pending = []
        self._accept(value, seasons, forecasts)
        return 0.0

    def _open(self, t: float, value: float, z: float, seasons: list[float | None],
              forecasts: list[float | None]) -> float:
        score = onset_score(z, self.config)
        self.current = Stretch(t, t, "rise" if z > 0 else "drop", score)
        self._rows = [(value, seasons, forecasts)]
        self._quiet = 0
        self._pending = []
        return score

    def _go_on(self, t: float, value: float, z: float, seasons: list[float | None],
               forecasts: list[float | None]) -> float:
        """Inside a stretch: it ends after enough values back near the forecast, or becomes the new normal."""
        c = self.config
        s = self.current
        assert s is not None
        if (z <= -c.z_open) if s.direction == "rise" else (z >= c.z_open):  # far off on the other side: a new one
            self._close()
            return self._open(t, value, z, seasons, forecasts)
        beyond = z > c.z_end if s.direction == "rise" else z < -c.z_end
        self._rows.append((value, seasons, forecasts))
        if beyond:
            s.end = t
            self._quiet = 0
        else:
            self._quiet += 1
            self._accept(value, seasons, forecasts)
        if self._quiet >= c.end_after:
            self._close()
        elif len(self._rows) >= c.adopt:
            values = [v for v, _, _ in self._rows]
            for i, m in enumerate(self.models):  # a profile that foresaw the stretch (a weekend) keeps its level
                if m.missed(values, [f[i] for _, _, f in self._rows], c.z_end):
                    m.restart(values, [ss[i] for _, ss, _ in self._rows])
            s.end, s.adopted = t, True
            self._close()
        return 0.0

    def _close(self) -> None:
        assert self.current is not None
        self.stretches.append(self.current)
        self.current, self._rows, self._quiet = None, [], 0

    def _accept(self, value: float, seasons: list[float | None], forecasts: list[float | None]) -> None:
        self._seen += 1
        for m, s, f in zip(self.models, seasons, forecasts, strict=True):
            m.accept(value, s)
            if f is not None:
                m.errors.append(value - f)

    def all_stretches(self) -> list[Stretch]:
        """Closed stretches plus the one still going, in time order."""
        return self.stretches + ([self.current] if self.current is not None else [])


def score_series(times: Iterable[float], values: Iterable[float], config: SeriesConfig | None = None) -> list[float]:
    """One causal score per row: the alert's score on the row that opens a stretch, 0 elsewhere."""
    det = SeriesAlerts(config)
    return [det.update(t, v) for t, v in zip(times, values, strict=True)]
