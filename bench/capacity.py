"""Capacity backtest: Surgewatch's plan against what operators use instead, on traffic it did not generate.

Each site is drawn by ``bench/campaign_traffic.py`` (per-recipient click times from a heavy-tailed
mixture, throttled sends, per-site response rates, flops; it imports nothing of ``capacity/`` and has
no curve of its own to share): 16 days with an email every 3 days, the last one the campaign to plan.
The minutes go into an embedded store, the campaigns into a state DB; the forecast and plan are made
as known at the campaign's start. Over the 2 hours before it and the 24 hours after, each strategy
serves the real minutes with instances of ``rps_per_instance`` each, all with the same 25 % headroom:

- **plan (floors + HPA)**: the plan's floors under a reactive autoscaler, as the exports apply it;
- **plan floors alone**: the floors with nothing above them;
- **static for hindsight peak**: one fleet sized for the window's real busiest minute (known afterwards);
- **reactive HPA**: instances for the load seen ``METRIC_DELAY`` minutes ago, serving after the warm-up,
  scaled down after a 5-minute stabilisation window (the HPA default);
- **predictive (history only)**: an hourly forecast from the last 14 days (the mean load of the same hour),
  as AWS predictive scaling makes one, launched ahead of each hour.

Printed per strategy: minutes under capacity, extra instance-hours over today's fleet and their cost;
and the forecast's median peak error: its p50's busiest 5 minutes against the real busiest 5 minutes
(the same statistic on both sides, so an email's one-minute send burst is not set against a 5-minute mean).

    .venv/bin/python bench/capacity.py [--draws 4] [--sites 8] [--base-seed 16000]
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import campaign_traffic  # noqa: E402
from campaigns.model import parse_campaign  # noqa: E402
from capacity.plan import build_plan  # noqa: E402
from capacity.settings import CapacitySettings  # noqa: E402
from store.base import Point  # noqa: E402
from store.embedded import EmbeddedStore  # noqa: E402
from store.rollup import rollup_range  # noqa: E402
from store.state import StateDB  # noqa: E402

DAYS, EVERY, FIRST = 16, 3, 3
HEADROOM, WARMUP, COOLDOWN, PRICE = 0.25, 10, 30, 0.10
METRIC_DELAY, STABILISE = 2, 5
BEFORE, AFTER = 120, 24 * 60
STRATEGIES = ("plan (floors + HPA)", "plan floors alone", "static for hindsight peak", "reactive HPA",
              "predictive (history only)")


def _store(traffic: campaign_traffic.SiteTraffic, t0: int, workdir: Path, name: str) -> tuple[EmbeddedStore, StateDB,
                                                                                                list]:
    store, state = EmbeddedStore(workdir / f"{name}.db"), StateDB(workdir / f"{name}-state.db")
    store.write(Point("http", {"site": name, "source": "bench", "actor": "human"},
                      {"requests": int(n), "bytes": int(n) * 2000}, t0 + 60 * i)
                for i, n in enumerate(traffic.requests))
    rollup_range(store, t0, t0 + len(traffic.requests) * 60)
    campaigns = []
    for k, c in enumerate(traffic.campaigns):
        start = datetime.fromtimestamp(t0 + 60 * c["start_minute"], UTC)
        campaigns.append(parse_campaign({"id": f"{name}-{k}", "name": f"{name} email {k}", "channel": "email",
                                         "start": start.isoformat(), "audience": c["audience"], "site": name,
                                         "status": "sent"}))
        state.upsert_campaign(campaigns[-1])
    return store, state, campaigns


def _reactive(rps: np.ndarray, per: float, base: int) -> np.ndarray:
    """Instances serving each minute under an HPA: metric delay, 5-minute scale-down window, warm-up."""
    seen = np.concatenate([np.full(METRIC_DELAY, rps[0]), rps[:-METRIC_DELAY]])
    rec = np.maximum(base, np.ceil(seen * (1 + HEADROOM) / per - 1e-9))
    desired = np.array([rec[max(0, i - STABILISE + 1): i + 1].max() for i in range(len(rec))])
    ready = np.concatenate([np.full(WARMUP, desired[0]), desired[:-WARMUP]])
    return np.maximum(base, np.minimum(desired, ready))  # new instances serve a warm-up after they are asked for


def _predictive(history_rps: np.ndarray, window_start_minute: int, n: int, per: float, base: int) -> np.ndarray:
    """Hourly instances from the mean load of the same hour over the 14 days before the window."""
    days = history_rps[max(0, len(history_rps) - 14 * 1440):]
    days = days[len(days) % 1440:].reshape(-1, 1440)
    hourly = days.reshape(len(days), 24, 60).mean(axis=(0, 2))
    hours = ((window_start_minute + np.arange(n)) // 60) % 24
    return np.maximum(base, np.ceil(hourly[hours] * (1 + HEADROOM) / per - 1e-9))


def one_site(seed: int, workdir: Path) -> dict:
    rng = np.random.default_rng(seed)
    traffic = campaign_traffic.site(rng, DAYS, list(range(FIRST, DAYS, EVERY)))
    t0 = int(datetime(2025, 3, 3, tzinfo=UTC).timestamp()) + 86400 * (seed % 50)
    name = f"site{seed}"
    store, state, campaigns = _store(traffic, t0, workdir, name)
    target, meta = campaigns[-1], traffic.campaigns[-1]
    rps_all = traffic.requests / 60
    s0 = meta["start_minute"]
    quiet = np.ones(s0, dtype=bool)
    for c in traffic.campaigns[:-1]:
        quiet[c["start_minute"]: c["start_minute"] + 1440] = False
    normal = np.quantile(rps_all[max(0, s0 - 7 * 1440): s0][quiet[max(0, s0 - 7 * 1440): s0]], 0.99)
    per = float(traffic.base_rps * rng.uniform(0.6, 1.2))
    today = max(1, math.ceil(normal * (1 + HEADROOM) / per))
    settings = CapacitySettings(rps_per_instance=per, instances=today, headroom=HEADROOM, warmup_minutes=WARMUP,
                                cooldown_minutes=COOLDOWN, instance_cost_per_hour=PRICE, max_instances=10_000)
    plan = build_plan(store, state, target, settings, now=target.start)
    store.close()
    state.close()
    lo, hi = s0 - BEFORE, min(s0 + AFTER, len(rps_all))
    rps = rps_all[lo:hi]
    grid = t0 + 60 * np.arange(lo, hi)
    plan_t = np.array([int(t.timestamp()) for t in plan.forecast.times])
    floor = np.full(len(grid), today)
    inside = (grid >= plan_t[0]) & (grid <= plan_t[-1])
    floor[inside] = plan.schedule[np.searchsorted(plan_t, grid[inside])]
    reactive = _reactive(rps, per, today)
    fleets = {
        STRATEGIES[0]: np.maximum(floor, reactive), STRATEGIES[1]: floor,
        STRATEGIES[2]: np.full(len(rps), max(today, math.ceil(rps.max() * (1 + HEADROOM) / per))),
        STRATEGIES[3]: reactive, STRATEGIES[4]: _predictive(rps_all[:lo], lo, len(rps), per, today),
    }
    high = np.interp(grid, plan_t, plan.forecast.high)
    busiest = float(np.convolve(rps, np.ones(5) / 5, mode="valid").max())
    out = {"seed": seed, "audience": target.audience, "learned": plan.forecast.response.source,
           "left_out": len(plan.forecast.response.left_out), "flops": sum(c["flop"] for c in traffic.campaigns),
           "actual_peak": busiest, "forecast_peak": plan.forecast.busiest(5, after=target.start),
           "under_p90": busiest <= float(high.max()), "today": today, "plan_peak": plan.peak_instances}
    for name_, inst in fleets.items():
        out[name_] = {"under": int((rps > inst * per).sum()), "hours": float((inst - today).sum() / 60)}
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, default=4, help="independent draws")
    ap.add_argument("--sites", type=int, default=8, help="sites (one target campaign each) per draw")
    ap.add_argument("--base-seed", type=int, default=16000, help="first seed")
    args = ap.parse_args()
    began = time.monotonic()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for d in range(args.draws):
            for s in range(args.sites):
                r = one_site(args.base_seed + 100 * d + s, Path(tmp))
                rows.append(r)
                print(f"seed {r['seed']}: audience {r['audience']:,}, {r['learned']} ({r['left_out']} left out, "
                      f"{r['flops']} flops drawn); peak actual {r['actual_peak']:.1f} req/s, forecast "
                      f"{r['forecast_peak']:.1f}{'' if r['under_p90'] else ' (actual above p90)'}; fleet {r['today']}"
                      f" -> plan {r['plan_peak']}; under-capacity minutes: "
                      + ", ".join(f"{k} {r[k]['under']}" for k in STRATEGIES), flush=True)
    print()
    print(f"{len(rows)} campaigns ({args.draws} draws x {args.sites} sites, base seed {args.base_seed}), "
          f"{time.monotonic() - began:.0f} s; window: 2 h before to 24 h after each send; "
          f"{PRICE:.2f} EUR per instance-hour")
    print(f"{'strategy':<28} {'minutes under capacity':>23} {'campaigns short':>16} {'extra instance-hours':>21} "
          f"{'cost (EUR)':>11}")
    for k in STRATEGIES:
        under = sum(r[k]["under"] for r in rows)
        short = sum(r[k]["under"] > 0 for r in rows)
        hours = sum(r[k]["hours"] for r in rows)
        print(f"{k:<28} {under:>23} {short:>13}/{len(rows):<2} {hours:>21.1f} {hours * PRICE:>11.2f}")
    errors = [abs(r["forecast_peak"] - r["actual_peak"]) / r["actual_peak"] for r in rows]
    print(f"forecast peak (p50, busiest 5 min) median error {statistics.median(errors):.1%}; "
          f"actual peak under the p90: {sum(r['under_p90'] for r in rows)}/{len(rows)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
