"""People or programs: split a surge's **excess** over the baseline by who sent it.

The baseline's mix (the half hour before the surge, scaled to the expected volume) is
subtracted from what the surge window holds, per actor and per dimension, so the
question is "who are the *extra* requests", not "who is on the site". Mail link
scanners and privacy proxies (actor ``scanner``) are kept apart: they are the
campaign-correlated automation of an email send, not an attack. Traffic the pipeline
called human but that behaves like a script (no assets, no conversions, login posts
failing) is moved to the automated side, with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from alerts.buckets import VISITOR_COUNTERS, Traffic
from alerts.slices import TOTAL, Detection, Surge

REFERENCE_BUCKETS = 180  # the half hour before a surge is its baseline mix
SEND_WINDOW = 300        # seconds after an email send whose automated clicks are the send's scanners
AUTOMATED_ACTORS = ("automated", "crawler")
HUMAN = "human"
SCANNER = "scanner"


@dataclass
class Excess:
    """The extra requests of one surge, split by actor and by each dimension."""

    buckets: int
    observed: float
    expected: float
    by_actor: dict[str, float]
    human: float
    automated: float
    scanner: float
    human_is_surge: bool
    automated_is_surge: bool
    rest_is_surge: bool                     # people and programs together, mail scanners left out
    dims: dict[str, pd.Series]             # dimension -> excess per value (positive part)
    human_dims: dict[str, pd.Series]        # the same for the human part only
    automated_dims: dict[str, pd.Series]
    behaviour: dict[str, dict[str, float]]  # actor -> field -> (window, reference-scaled) sums
    notes: list[str] = field(default_factory=list)

    @property
    def total(self) -> float:
        return max(self.observed - self.expected, 0.0)

    @property
    def bot_share(self) -> float:
        """Automated share of the excess, mail scanners left out."""
        denom = max(self.human, 0.0) + max(self.automated, 0.0)
        return max(self.automated, 0.0) / denom if denom > 0 else 0.0


def _window(frame: pd.DataFrame, t0: int, t1: int) -> pd.DataFrame:
    return frame[(frame["t"] >= t0) & (frame["t"] <= t1)]


def _excess_by(win: pd.DataFrame, ref: pd.DataFrame, dim: str, scale: float) -> pd.Series:
    seen = win.groupby(dim)["requests"].sum()
    base = ref.groupby(dim)["requests"].sum() * scale
    diff = seen.sub(base, fill_value=0.0)
    return diff.clip(lower=0.0).sort_values(ascending=False)


def _is_surge(extra: np.ndarray, spreads: np.ndarray, levels: np.ndarray, z_high: float, min_excess: float,
              confirm: int) -> bool:
    """Would this extra traffic alone, on top of the baseline, open a spike?"""
    ok = (extra >= z_high * spreads) & (extra >= min_excess) & (extra >= 0.3 * levels)
    run = best = 0
    for flag in ok:
        run = run + 1 if flag else 0
        best = max(best, run)
    return best >= confirm


def _behaviour(traffic: Traffic, t0: int, t1: int, r0: int, r1: int, scale: float) -> dict[str, dict[str, float]]:
    vis = traffic.visitors
    out: dict[str, dict[str, float]] = {}
    if vis.empty:
        return out
    win, ref = _window(vis, t0, t1), _window(vis, r0, r1)
    for actor in sorted(set(win["actor"]) | set(ref["actor"])):
        w, r = win[win["actor"] == actor], ref[ref["actor"] == actor]
        d = {}
        for f in VISITOR_COUNTERS:
            d[f] = float(w[f].sum())
            d[f"ref_{f}"] = float(r[f].sum()) * scale
        weights = w["clients"].to_numpy()
        d["rpc_p50"] = float(np.average(w["rpc_p50"], weights=weights)) if weights.sum() > 0 else 0.0
        rw = r["clients"].to_numpy()
        d["ref_rpc_p50"] = float(np.average(r["rpc_p50"], weights=rw)) if rw.sum() > 0 else 0.0
        d["ua_families"] = float(w["ua_families"].max()) if len(w) else 0.0
        out[actor] = d
    return out


def _human_looks_automated(b: dict[str, float], referred: float) -> str | None:
    """Why the human-labelled excess behaves like a program, or None.

    ``referred`` is the share of that excess arriving from email or social links: people
    following a link are never re-labelled on asset and conversion figures alone.
    """
    pages = b["pages"] - b["ref_pages"]
    req = b["requests"] - b["ref_requests"]
    if req <= 0:
        return None
    logins = b["login_posts"] - b["ref_login_posts"]
    fails = b["auth_failures"] - b["ref_auth_failures"]
    if logins > 0.5 * req and fails > 0.5 * logins:
        return f"{logins / req:.0%} of the extra 'browser' requests are failing login posts"
    if pages <= 0 or b["ref_pages"] <= 0:
        return None
    base_assets = b["ref_assets"] / b["ref_pages"]
    extra_assets = max(b["assets"] - b["ref_assets"], 0.0) / pages
    base_conv = b["ref_conversions"] / b["ref_pages"]
    extra_conv = max(b["conversions"] - b["ref_conversions"], 0.0) / pages
    dc = max(b["datacenter"] - b["ref_datacenter"], 0.0) / req
    assetless = base_assets >= 1.0 and extra_assets < 0.2 * base_assets
    no_conv = base_conv > 0 and extra_conv < 0.2 * base_conv
    if assetless and (no_conv or dc > 0.6) and referred < 0.3:
        return (f"the extra 'browser' traffic loads {extra_assets:.1f} assets per page (baseline "
                f"{base_assets:.1f}) and converts {extra_conv:.2%} of pages (baseline {base_conv:.2%})")
    return None


def excess_of(traffic: Traffic, surge: Surge, det: Detection) -> Excess:
    """Split the surge's extra requests by actor and by every dimension."""
    grid, cube = traffic.grid, traffic.cube
    i0, i1 = surge.i0, surge.i1
    r1i = i0 - 1
    r0i = max(0, i0 - REFERENCE_BUCKETS)
    t0, t1 = int(grid[i0]), int(grid[i1])
    r0, r1 = int(grid[r0i]), int(grid[max(r1i, 0)])
    expected = float(det.levels[i0:i1 + 1].sum())
    observed = float(det.total[i0:i1 + 1].sum())
    ref_total = float(det.total[r0i:r1i + 1].sum()) if r1i >= r0i else 0.0
    scale = expected / ref_total if ref_total > 0 else 0.0
    win = _window(cube, t0, t1)
    ref = _window(cube, r0, r1) if r1i >= r0i else cube.iloc[0:0]
    if surge.send_burst is not None:
        # Right after a send, automated clicks are the recipients' link scanners (cloud addresses,
        # odd agents): campaign automation, counted with the mail scanners.
        at_send = win["actor"].isin(AUTOMATED_ACTORS) & (win["t"] < surge.send_burst + SEND_WINDOW)
        if at_send.any():
            win = win.copy()
            win.loc[at_send, "actor"] = SCANNER
    by_actor_s = win.groupby("actor")["requests"].sum().sub(
        ref.groupby("actor")["requests"].sum() * scale, fill_value=0.0)
    by_actor = {str(k): float(v) for k, v in by_actor_s.items()}
    behaviour = _behaviour(traffic, t0, t1, r0, r1, scale)
    notes = []
    human = max(by_actor.get(HUMAN, 0.0), 0.0)
    automated = sum(max(by_actor.get(a, 0.0), 0.0) for a in AUTOMATED_ACTORS)
    scanner = max(by_actor.get(SCANNER, 0.0), 0.0)
    human_rows = win["actor"] == HUMAN
    referrers = _excess_by(win[win["actor"] == HUMAN], ref[ref["actor"] == HUMAN], "referrer", scale)
    referred = float(referrers[referrers.index.isin(["email", "social"])].sum()) / max(float(referrers.sum()), 1.0)
    why = _human_looks_automated(behaviour[HUMAN], referred) if HUMAN in behaviour else None
    if why and human > 0:
        notes.append(why)
        automated += human
        human = 0.0
        human_rows = human_rows & False
    auto_rows = win["actor"].isin(AUTOMATED_ACTORS) | ((win["actor"] == HUMAN) & bool(why))

    def per_bucket(rows: pd.Series, actors: tuple[str, ...]) -> np.ndarray:
        seen = traffic.series(win[rows])[i0:i1 + 1]
        share = float(ref[ref["actor"].isin(actors)]["requests"].sum()) / ref_total if ref_total else 0.0
        return seen - share * det.levels[i0:i1 + 1]

    spreads, levels = det.spreads[i0:i1 + 1], det.levels[i0:i1 + 1]
    human_b = per_bucket(human_rows, (HUMAN,))
    auto_b = per_bucket(auto_rows, AUTOMATED_ACTORS + ((HUMAN,) if why else ()))
    dims = {d: _excess_by(win, ref, d, scale) for d in ("country", "client", "referrer", "path_group", "status",
                                                          "method", "utm_campaign", "actor")}
    hw, hr = win[human_rows], ref[ref["actor"] == HUMAN]
    aw, ar = win[auto_rows], ref[ref["actor"].isin(AUTOMATED_ACTORS)]
    human_dims = {d: _excess_by(hw, hr, d, scale) for d in ("country", "referrer", "utm_campaign", "path_group")}
    auto_dims = {d: _excess_by(aw, ar, d, scale) for d in ("client", "path_group", "status", "method")}
    return Excess(
        buckets=i1 - i0 + 1, observed=observed, expected=expected, by_actor=by_actor,
        human=human, automated=automated, scanner=scanner,
        human_is_surge=_is_surge(human_b, spreads, levels, TOTAL.z_high, TOTAL.min_excess, TOTAL.confirm),
        automated_is_surge=_is_surge(auto_b, spreads, levels, TOTAL.z_high, TOTAL.min_excess, TOTAL.confirm),
        rest_is_surge=_is_surge(human_b + auto_b, spreads, levels, TOTAL.z_high, TOTAL.min_excess, TOTAL.confirm),
        dims=dims, human_dims=human_dims, automated_dims=auto_dims, behaviour=behaviour, notes=notes,
    )
