"""Capacity forecast accuracy on fresh simulated campaigns, next to two peers on the same input.

Each simulated site has an unbroken history: two quiet days, then ``--past`` email campaigns every other day at
varied hours (their own audiences, sizes and curves, seeds the tests never use), then the campaign to forecast. All
days go through the access-log pipeline into an embedded store, the campaigns into a state DB;
the forecast is made as known at the campaign's start. It is compared with what the simulator
really produced over the forecast window: the peak requests/s (the busiest 5 minutes of total traffic) and the
extra requests the campaign added (its people and mail scanners). Same input, same run:

- **learned**: Surgewatch's forecast (learned from the past campaigns, p50; p10-p90 coverage);
- **channel default**: the same baseline plus the email channel default, no learning;
- **last campaign**: the naive peer: peak = baseline × the last campaign's peak multiplier,
  extra = the last campaign's extra requests.

    .venv/bin/python bench/capacity.py [--sites 6] [--past 3] [--base-seed 9100]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from capacity import history  # noqa: E402
from capacity.forecast import forecast  # noqa: E402
from capacity.learning import combine  # noqa: E402
from collectors.weblog.pipeline import ingest_lines  # noqa: E402
from simulate.campaign_history import campaign_days, injected, totals  # noqa: E402
from store.campaigns import Channel, parse_campaign  # noqa: E402
from store.embedded import EmbeddedStore  # noqa: E402
from store.rollup import rollup_range  # noqa: E402
from store.state import StateDB  # noqa: E402

SALT = b"b" * 32


def one_site(index: int, seeds: list[int], workdir: Path, rng: random.Random) -> dict:
    """Simulate, ingest and forecast one site; the forecast's and the peers' errors against the truth."""
    first_day = datetime(2025, 4, 7, tzinfo=UTC) + timedelta(days=20 * index)
    hours = [round(rng.uniform(7, 16), 2) for _ in seeds]
    sims = campaign_days(seeds, first_day=first_day, send_hour=hours, base_rps=rng.uniform(0.8, 3), scale=0.3,
                         whole_days=True, every=2, lead_days=2)
    store = EmbeddedStore(workdir / f"site{index}.db")
    state = StateDB(workdir / f"site{index}-state.db")
    campaigns = []
    for i, sim in enumerate(sims):
        known = ([c["utm_campaign"] for c in sim.campaigns], [p for c in sim.campaigns for p in c["landing"]])
        ingest_lines(sim.lines(), store, site=sim.site, source=f"day{i}", salt=SALT, campaigns=known)
        for c in sim.campaigns:
            campaigns.append(parse_campaign(c))
            state.upsert_campaign(campaigns[-1])
    rollup_range(store, sims[0].start, sims[-1].end)
    target, sim = campaigns[-1], sims[-1]
    f = forecast(store, state, target)
    t0 = int(target.start.timestamp())
    grid = [int(t.timestamp()) for t in f.times]
    end = min(grid[-1] + f.step, int(sim.end.timestamp()))
    inside = [i for i, t in enumerate(grid) if t0 <= t < end]
    per_minute = totals(sim)
    rolling = [sum(per_minute.get(grid[i] + 60 * k, 0) for k in range(5)) / 300 for i in inside]
    actual_peak = max(rolling)  # the busiest 5 minutes: what instances must carry, not one noisy minute
    actual_extra = sum(n for t, n in injected(sim).items() if t0 <= t < end)
    cut = np.array(inside)
    lo, mid, hi = (float(u[cut].sum() * f.step) for u in (f.uplift_p10, f.uplift_p50, f.uplift_p90))
    prior = combine(Channel.EMAIL, [])
    minutes = (np.array(grid) - t0 + f.step / 2) / 60
    default_uplift = prior.rps(minutes, f.audience, prior.per_recipient_p50)
    last = history.measure(store, campaigns[-2], campaigns)
    base_at = f.baseline[cut]
    store.close()
    state.close()
    return {
        "site": index, "learned_from": f.response.source, "audience": f.audience,
        "actual_peak": actual_peak, "actual_extra": actual_extra,
        "learned_peak": float(f.expected[cut].max()), "learned_extra": mid, "covered": lo <= actual_extra <= hi,
        "peak_under_p90": actual_peak <= float(f.high[cut].max()), "baseline": f.baseline_source,
        "curve": f"rise {f.response.rise:.0f} min, decay {f.response.decay:.0f} min (true "
                 f"{sim.params['rise_minutes']:.0f}, {sim.params['decay_minutes']:.0f})",
        "default_peak": float((f.baseline + default_uplift)[cut].max()),
        "default_extra": float(default_uplift[cut].sum() * f.step),
        "naive_peak": float(base_at.max() * last.multiplier_peak) if last else float("nan"),
        "naive_extra": float(last.per_recipient * last.audience) if last else float("nan"),
    }


def _err(pred: float, actual: float) -> float:
    return abs(pred - actual) / actual if actual else float("nan")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sites", type=int, default=6, help="simulated sites, one forecast each")
    ap.add_argument("--past", type=int, default=3, help="past campaigns per site to learn from")
    ap.add_argument("--base-seed", type=int, default=9100, help="first seed (the tests use 311-314)")
    args = ap.parse_args()
    rng = random.Random(args.base_seed)
    began = time.monotonic()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for s in range(args.sites):
            seeds = [args.base_seed + 10 * s + k for k in range(args.past + 1)]
            rows.append(one_site(s, seeds, Path(tmp), rng))
            r = rows[-1]
            print(f"site {s}: audience {r['audience']:,}, {r['learned_from']}; peak actual {r['actual_peak']:.1f} "
                  f"req/s, learned {r['learned_peak']:.1f}, default {r['default_peak']:.1f}, last campaign "
                  f"{r['naive_peak']:.1f}; extra actual {r['actual_extra']:,}, learned {r['learned_extra']:,.0f}"
                  f"{' (in p10-p90)' if r['covered'] else ' (outside p10-p90)'}, default {r['default_extra']:,.0f}, "
                  f"last campaign {r['naive_extra']:,.0f}; baseline {r['baseline']}; curve {r['curve']}", flush=True)
    print()
    print(f"{len(rows)} fresh simulated email campaigns (base seed {args.base_seed}, {args.past} past campaigns each), "
          f"{time.monotonic() - began:.0f} s")
    print(f"{'forecast':<16} {'peak rps: median |error|':>26} {'extra requests: median |error|':>32}")
    for key, name in (("learned", "learned"), ("default", "channel default"), ("naive", "last campaign")):
        peak = statistics.median(_err(r[f"{key}_peak"], r["actual_peak"]) for r in rows)
        extra = statistics.median(_err(r[f"{key}_extra"], r["actual_extra"]) for r in rows)
        print(f"{name:<16} {peak:>25.0%} {extra:>31.0%}")
    covered = sum(r["covered"] for r in rows)
    print(f"actual extra requests inside the learned p10-p90 band: {covered}/{len(rows)}; actual peak under the "
          f"p90 the plan sizes for: {sum(r['peak_under_p90'] for r in rows)}/{len(rows)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
