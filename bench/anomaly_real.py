"""``detect`` on public real-world labelled series, scored as the Numenta Anomaly Benchmark scores.

Series and labelled windows are NAB's (``bench/data/nab/``, origin and licence in its README).
Each series runs through the shipped ``detect`` model (``alerts.detection.series_alerts``: one alert per
anomalous stretch, at its onset) and, in the same run, through a windowed-Gaussian baseline as
NAB's ``windowedGaussian`` detector (each value's score is how far it lies in the tail of a normal
distribution fitted to the 1,000 values before it; every row whose score clears a threshold is a
detection). Scoring is NAB's standard profile (``bench/nab_scoring.py``), 0 for the null detector
(never alerts), 100 for the perfect one.

The series are split in two: the detector's settings and the baseline's threshold were chosen on
the TUNE series only; the HELD-OUT series were not looked at while choosing. ``--grid`` prints the
settings tried on the tune series.

    .venv/bin/python bench/anomaly_real.py [--grid]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from alerts.detection.series_alerts import SeriesConfig, score_series  # noqa: E402
from bench.nab_scoring import SeriesScore, normalised, score_detections  # noqa: E402

DATA = Path(__file__).resolve().parent / "data" / "nab"
TUNE = ("realTraffic/speed_7578.csv", "realAdExchange/exchange-2_cpc_results.csv",
        "realAWSCloudwatch/elb_request_count_8c0756.csv")
HELD_OUT = ("realTraffic/TravelTime_451.csv", "realTraffic/occupancy_6005.csv",
            "realAdExchange/exchange-3_cpc_results.csv")
GAUSS_WINDOW = 1000
GAUSS_Z = (2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0, 6.0, 7.0)  # thresholds tried, as |z| (score = Phi(|z|))


def epoch(stamps: pd.Series) -> np.ndarray:
    return (pd.to_datetime(stamps, utc=True).astype("int64") // 10**9).to_numpy(dtype=float)


def load(name: str, labels: dict[str, list[list[str]]]) -> tuple[np.ndarray, np.ndarray, list[tuple[float, float]]]:
    df = pd.read_csv(DATA / Path(name).name)
    windows = [(float(epoch(pd.Series([a]))[0]), float(epoch(pd.Series([b]))[0])) for a, b in labels[name]]
    return epoch(df["timestamp"]), df["value"].to_numpy(dtype=float), windows


def gaussian_scores(values: np.ndarray) -> np.ndarray:
    """NAB's windowed Gaussian: 1 - the tail probability of each value under N(mean, std) of the
    previous ``GAUSS_WINDOW`` values (population std, 1e-6 when flat); 0 for the first row."""
    s = pd.Series(values)
    past = s.rolling(GAUSS_WINDOW, min_periods=1)
    mean, std = past.mean().shift(1), past.std(ddof=0).shift(1).replace(0.0, 1e-6)
    z = ((s - mean) / std).abs().fillna(0.0).to_numpy()
    scores = np.array([0.5 * math.erfc(-x / math.sqrt(2.0)) for x in z])
    scores[0] = 0.0
    return scores


def score_set(series: dict[str, tuple], flags_of) -> list[SeriesScore]:
    return [score_detections(list(t), list(flags_of(name, t, v)), w) for name, (t, v, w) in series.items()]


def detector_flags(config: SeriesConfig):
    return lambda _name, t, v: [s > 0 for s in score_series(t, v, config)]


def gaussian_flags(cache: dict[str, np.ndarray], threshold: float):
    return lambda name, _t, v: cache.setdefault(name, gaussian_scores(v)) >= threshold


def grid(tune: dict[str, tuple]) -> None:
    print("settings tried on the tune series (normalised NAB score, standard profile):")
    base = SeriesConfig()
    for z_open in (5.0, 6.0, 8.0):
        for z_confirm, confirm in ((3.0, 4), (3.5, 3), (4.0, 3)):
            for adopt in (24, 36, 72):
                cfg = replace(base, z_open=z_open, z_confirm=z_confirm, confirm=confirm, adopt=adopt)
                score = normalised(score_set(tune, detector_flags(cfg)))
                print(f"  z_open {z_open:4.1f}  {confirm} in a row > {z_confirm:.1f}  adopt {adopt:3d}: {score:6.1f}")


def report(title: str, series: dict[str, tuple], threshold: float, cache: dict[str, np.ndarray]) -> None:
    det = score_set(series, detector_flags(SeriesConfig()))
    gauss = score_set(series, gaussian_flags(cache, threshold))
    print(f"\n{title}: {len(series)} series, {sum(s.perfect for s in det):.0f} labelled windows")
    print(f"  {'series':48s} {'detect (tp/fn/fp)':>22s} {'windowed Gaussian':>24s} {'null':>6s}")
    for name, d, g in zip(series, det, gauss, strict=True):
        print(f"  {name:48s} {normalised([d]):6.1f} ({d.tp}/{d.fn}/{d.fp:3d})      "
              f"{normalised([g]):6.1f} ({g.tp}/{g.fn}/{g.fp:4d})   {0.0:5.1f}")
    print(f"  {'TOTAL (normalised over the set)':48s} {normalised(det):6.1f}"
          f"{'':16s}{normalised(gauss):6.1f}{'':14s}{0.0:5.1f}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--grid", action="store_true", help="print the detector settings tried on the tune series")
    args = ap.parse_args()
    labels = json.loads((DATA / "windows.json").read_text())
    tune = {name: load(name, labels) for name in TUNE}
    held = {name: load(name, labels) for name in HELD_OUT}
    if args.grid:
        grid(tune)
    cache: dict[str, np.ndarray] = {}
    thresholds = {z: 0.5 * math.erfc(-z / math.sqrt(2.0)) for z in GAUSS_Z}
    best_z = max(GAUSS_Z, key=lambda z: normalised(score_set(tune, gaussian_flags(cache, thresholds[z]))))
    best = thresholds[best_z]
    print(f"windowed Gaussian threshold chosen on the tune series: score >= {best:.12f} (|z| >= {best_z})")
    report("TUNE", tune, best, cache)
    report("HELD-OUT", held, best, cache)
    report("ALL", {**tune, **held}, best, cache)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
