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

from alerts.detection.buckets import VISITOR_COUNTERS, Traffic
from alerts.detection.slices import AUTOMATED as AUTOMATED_ACTORS
from alerts.detection.slices import HUMAN, SCANNER, Detection, Surge
from alerts.judgement.browser_bots import browser_bots
from alerts.judgement.usual_clients import as_people, usual_clients
from store.base import BUCKET_SECONDS
from store.schema import INTERNAL

REFERENCE_BUCKETS = 180  # the half hour before a surge is its baseline mix
SURGE_WINDOW = 30        # buckets (5 min) over which a part must add ...
SURGE_RATIO = 0.85       # ... this much of the baseline's own volume to be a surge on its own
BARE_SHARE = 0.4         # assetless 'browser' pages must be this share of the extra pages to count
LEAK = 0.05              # of the programs' extra requests, what may pass for people's (a bot's first requests,
                         # before its rate gives it away): no surge of people's own
SEND_WINDOW = 300        # seconds after an email send whose automated clicks are the send's scanners
SCANNER_METHODS = ("GET", "HEAD")



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
    human_ratio: float       # extra / baseline over the busiest 5 minutes, people only
    automated_ratio: float
    rest_ratio: float        # people and programs together, mail scanners left out
    automated_rate: float    # programs' extra per bucket so far / the baseline's: 1.0 doubles the traffic
    dims: dict[str, pd.Series]             # dimension -> excess per value (positive part)
    human_dims: dict[str, pd.Series]        # the same for the human part only
    automated_dims: dict[str, pd.Series]
    behaviour: dict[str, dict[str, float]]  # actor -> field -> (window, reference-scaled) sums
    notes: list[str] = field(default_factory=list)
    hosting_share: float = 0.0  # of the programs' extra requests, from hosting/datacenter networks
    browsers: float = 0.0       # of the programs' extra, the part sent by bots driving browsers (behaviour told)
    usual: list[str] = field(default_factory=list)  # client classes counted as people: the site's usual clients

    @property
    def total(self) -> float:
        return max(self.observed - self.expected, 0.0)

    @property
    def human_is_surge(self) -> bool:
        return self.human_ratio >= SURGE_RATIO

    @property
    def automated_is_surge(self) -> bool:
        return self.automated_ratio >= SURGE_RATIO

    @property
    def rest_is_surge(self) -> bool:
        return self.rest_ratio >= SURGE_RATIO

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


def surge_ratio(extra: np.ndarray, levels: np.ndarray) -> float:
    """Largest extra / baseline over 5-minute windows (1.0: that part alone doubles the traffic).

    A surge shorter than a window is compared with a whole window of baseline.
    """
    if not len(extra):
        return 0.0
    w = min(SURGE_WINDOW, len(extra))
    ce = np.concatenate(([0.0], np.cumsum(extra)))
    sums = ce[w:] - ce[:-w]
    base = max(float(np.mean(levels)), 1e-9) * SURGE_WINDOW
    return float(sums.max()) / base


def _rate(extra: np.ndarray, levels: np.ndarray) -> float:
    """Mean extra per bucket over the mean baseline (1.0: that part alone doubles the traffic)."""
    if not len(extra):
        return 0.0
    return float(np.clip(extra, 0.0, None).mean()) / max(float(levels.mean()), 1e-9)


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


def _failing_logins(b: dict[str, float]) -> str | None:
    """Why the human-labelled excess is a login attack, or None."""
    req = b["requests"] - b["ref_requests"]
    logins = b["login_posts"] - b["ref_login_posts"]
    fails = b["auth_failures"] - b["ref_auth_failures"]
    if req > 0 and logins > 0.5 * req and fails > 0.5 * logins:
        return f"{logins / req:.0%} of the extra 'browser' requests are failing login posts"
    return None


def _bare_pages(vis: pd.DataFrame, grid: np.ndarray, i0: int, i1: int, b: dict[str, float]) -> tuple[np.ndarray, str]:
    """Per bucket, 'browser' page views that load no assets and do not convert, when they are many.

    People load about as many assets per page as in the baseline; the pages the surge's
    assets do not account for come from programs with browser user agents.
    """
    n = i1 - i0 + 1
    zero = np.zeros(n)
    pages = b["pages"] - b["ref_pages"]
    if pages <= 0 or b["ref_pages"] <= 0:
        return zero, ""
    ratio = b["ref_assets"] / b["ref_pages"]
    if ratio < 1.0:
        return zero, ""
    rows = vis[(vis["actor"] == HUMAN) & (vis["t"] >= grid[i0]) & (vis["t"] <= grid[i1])]
    idx = ((rows["t"].to_numpy() - grid[i0]) // BUCKET_SECONDS).astype(int)
    bare = zero.copy()
    np.add.at(bare, idx, rows["pages"].to_numpy() - rows["assets"].to_numpy() / ratio)
    total = float(bare.sum())
    base_conv = b["ref_conversions"] / b["ref_pages"]
    extra_conv = max(b["conversions"] - b["ref_conversions"], 0.0) / pages
    converts_less = base_conv <= 0 or extra_conv < 0.6 * base_conv
    if total < BARE_SHARE * pages or not converts_less:
        return zero, ""
    why = (f"{total:,.0f} extra 'browser' page views load no assets (people load {ratio:.1f} per page) and "
           f"the extra pages convert {extra_conv:.2%} (baseline {base_conv:.2%}): counted as automated")
    return bare, why


def _at_send(bare: np.ndarray, times: np.ndarray, surge: Surge) -> np.ndarray:
    """The part of the assetless pages right after an email send: link scanners with browser agents
    that no list knows click every link of the message within minutes of its delivery."""
    if surge.send_burst is None:
        return np.zeros_like(bare)
    return np.where(times < surge.send_burst + SEND_WINDOW, np.clip(bare, 0.0, None), 0.0)


def _browsers_driven(cube: pd.DataFrame, start: int, people_win: pd.DataFrame, ref: pd.DataFrame, scale: float,
                     regions: tuple[str, ...]) -> str | None:
    """Why the people's extra of the surge is bots driving browsers (``browser_bots``), or None."""
    people = cube[(cube["t"] < start) & (cube["actor"] == HUMAN)]
    return browser_bots(people_win, ref[ref["actor"] == HUMAN], scale, people, list(regions))


def _datacenter_share(behaviour: dict[str, dict[str, float]], actors: tuple[str, ...] = ("automated",)) -> float:
    """Of the extra requests of ``actors`` (the programs'), the share from hosting/datacenter networks."""
    extra = dc = 0.0
    for actor in actors:
        b = behaviour.get(actor, {})
        extra += max(b.get("requests", 0.0) - b.get("ref_requests", 0.0), 0.0)
        dc += max(b.get("datacenter", 0.0) - b.get("ref_datacenter", 0.0), 0.0)
    return min(dc / extra, 1.0) if extra > 0 else 0.0


def _scanners_at_send(win: pd.DataFrame, surge: Surge) -> pd.DataFrame:
    """Right after a send, automated clicks are the recipients' link scanners (cloud addresses, odd
    agents): campaign automation, counted with the mail scanners. Scanners only GET what the email
    links to; login posts and refused requests stay what they are."""
    if surge.send_burst is None:
        return win
    at_send = win["actor"].isin(AUTOMATED_ACTORS) & (win["t"] < surge.send_burst + SEND_WINDOW) & \
        win["method"].isin(SCANNER_METHODS) & (win["path_group"] != "login") & (win["status"] != "4xx")
    if not at_send.any():
        return win
    win = win.copy()
    win.loc[at_send, "actor"] = SCANNER
    return win


Dims = dict[str, dict[str, float]]


def _dimensions(win: pd.DataFrame, ref: pd.DataFrame, human_rows: pd.Series, auto_rows: pd.Series,
                scale: float) -> tuple[Dims, Dims, Dims]:
    """The excess by every dimension, and by the dimensions that tell people's and programs' parts apart."""
    dims = {d: _excess_by(win, ref, d, scale) for d in ("country", "client", "referrer", "path_group", "status",
                                                          "method", "utm_campaign", "actor")}
    hw, hr = win[human_rows], ref[ref["actor"] == HUMAN]
    aw, ar = win[auto_rows], ref[ref["actor"].isin(AUTOMATED_ACTORS)]
    human_dims = {d: _excess_by(hw, hr, d, scale) for d in ("country", "path_group")}
    # Where people come from shows on arrivals only: assets and clicks inside the site carry an
    # internal referrer and no utm_campaign.
    aw_h, ar_h = hw[hw["referrer"] != INTERNAL], hr[hr["referrer"] != INTERNAL]
    human_dims.update({d: _excess_by(aw_h, ar_h, d, scale) for d in ("referrer", "utm_campaign")})
    auto_dims = {d: _excess_by(aw, ar, d, scale) for d in ("client", "path_group", "status", "method")}
    return dims, human_dims, auto_dims


def _scanner_note(why: str, at_send: np.ndarray) -> str:
    """The bare-pages note, saying how many of them came right after the send (the recipients' link scanners)."""
    if not at_send.any():
        return why
    return why.replace("counted as automated", f"counted as automated ({at_send.sum():,.0f} of them right after the "
                                                "send: the recipients' link scanners)")


def excess_of(traffic: Traffic, surge: Surge, det: Detection, recent: int | None = None,
              regions: tuple[str, ...] = ()) -> Excess:
    """Split the surge's extra requests by actor and by every dimension.

    ``recent``: only its last this many buckets, still against the baseline before the surge
    (what the surge is made of now: a wave of programs inside a long campaign surge);
    ``regions``: countries of the campaigns running, where the site's usual clients may surge from.
    People's part is judged against their own baseline too (when only programs surge, people's traffic
    keeps its daily rise, which is no surge of theirs); when people's extra is found to be programs',
    it is all counted as programs' and their baseline is subtracted once, on the programs' side.
    """
    grid, cube = traffic.grid, traffic.cube
    i1 = surge.i1
    r0i, r1i = max(0, surge.i0 - REFERENCE_BUCKETS), surge.i0 - 1
    i0 = max(surge.i0, i1 - recent + 1) if recent else surge.i0
    t0, t1 = int(grid[i0]), int(grid[i1])
    r0, r1 = int(grid[r0i]), int(grid[max(r1i, 0)])
    expected = float(det.levels[i0:i1 + 1].sum())
    observed = float(det.total[i0:i1 + 1].sum())
    ref_total = float(det.total[r0i:r1i + 1].sum()) if r1i >= r0i else 0.0
    scale = expected / ref_total if ref_total > 0 else 0.0
    win = _window(cube, t0, t1)
    ref = _window(cube, r0, r1) if r1i >= r0i else cube.iloc[0:0]
    win = _scanners_at_send(win, surge)
    behaviour = _behaviour(traffic, t0, t1, r0, r1, scale)
    usual = usual_clients(cube, win, int(grid[surge.i0]), list(regions), _datacenter_share(behaviour))
    win, ref = as_people(win, usual.classes), as_people(ref, usual.classes)
    by_actor_s = win.groupby("actor")["requests"].sum().sub(
        ref.groupby("actor")["requests"].sum() * scale, fill_value=0.0)
    by_actor = {str(k): float(v) for k, v in by_actor_s.items()}
    notes = [usual.note] if usual.note else []
    human = max(by_actor.get(HUMAN, 0.0), 0.0)
    automated = sum(max(by_actor.get(a, 0.0), 0.0) for a in AUTOMATED_ACTORS)
    scanner = max(by_actor.get(SCANNER, 0.0), 0.0)
    human_rows = win["actor"] == HUMAN
    why = _failing_logins(behaviour[HUMAN]) if HUMAN in behaviour else None
    browsers = 0.0  # people's extra found to be bots driving browsers
    if not why and human > 0:
        why = _browsers_driven(cube, int(grid[surge.i0]), win[human_rows], ref, scale, regions)
        browsers = human if why else 0.0
    if why and human > 0:
        notes.append(why)
        automated += human
        human = 0.0
        human_rows = human_rows & False
    auto_rows = win["actor"].isin(AUTOMATED_ACTORS) | ((win["actor"] == HUMAN) & bool(why))

    def per_bucket(rows: pd.Series, actors: tuple[str, ...], own: np.ndarray | None = None) -> np.ndarray:
        seen = traffic.series(win[rows])[i0:i1 + 1]
        share = float(ref[ref["actor"].isin(actors)]["requests"].sum()) / ref_total if ref_total else 0.0
        expected = share * det.levels[i0:i1 + 1]
        return seen - (expected if own is None else np.maximum(expected, own))

    levels = det.levels[i0:i1 + 1]
    own = det.human_levels[i0:i1 + 1] if det.human_levels is not None else None  # people's own baseline
    human_b = per_bucket(human_rows, (HUMAN,), own) if not why else np.zeros(i1 - i0 + 1)
    auto_b = per_bucket(auto_rows, AUTOMATED_ACTORS + ((HUMAN,) if why else ()))
    if not why and HUMAN in behaviour and human > 0:
        bare, bare_why = _bare_pages(traffic.visitors, grid, i0, i1, behaviour[HUMAN])
        if bare_why:
            at_send = _at_send(bare, grid[i0:i1 + 1], surge)
            notes.append(_scanner_note(bare_why, at_send))
            moved = min(float(bare.sum()), human)
            scanned = min(float(at_send.sum()), moved)
            human -= moved
            automated += moved - scanned
            scanner += scanned
            human_b, auto_b = human_b - bare, auto_b + bare - at_send
    dims, human_dims, auto_dims = _dimensions(win, ref, human_rows, auto_rows, scale)
    return Excess(
        buckets=i1 - i0 + 1, observed=observed, expected=expected, by_actor=by_actor,
        human=human, automated=automated, scanner=scanner,
        human_ratio=surge_ratio(human_b - LEAK * np.clip(auto_b, 0.0, None), levels),
        automated_ratio=surge_ratio(auto_b, levels),
        rest_ratio=surge_ratio(human_b + auto_b, levels),
        automated_rate=_rate(auto_b, levels),
        dims=dims, human_dims=human_dims, automated_dims=auto_dims, behaviour=behaviour, notes=notes,
        hosting_share=_datacenter_share(behaviour, ("automated", HUMAN) if why else ("automated",)),
        browsers=browsers, usual=usual.classes,
    )
