"""The site's own clients: traffic that looks like the regular customers' is people's, whatever its agent.

A shop's app calls JSON APIs with a library agent (``okhttp/4.x``, ``Alamofire``), loads no
assets and, on a busy day, calls fast: the collector may well call it automated. What tells
it is the site's own is history: its client class fills the baseline of the hours (or days)
before the surge, steadily, and its extra requests in the surge look like that baseline —
the same paths, the same countries (or the campaign's), no more failures, no more requests
from hosting networks. Such requests are counted as people's (with the reason in evidence),
so an app push campaign is a ``campaign`` and its users' home and mobile networks are never
offered for blocking. The ``app_user_agents`` setting of the access log only helps the
collector; this judgement does not depend on it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from alerts.detection.slices import AUTOMATED as AUTOMATED_ACTORS
from store.schema import HUMAN

MIN_HISTORY = 3600       # seconds of history before a surge needed to know the usual clients
USUAL_SHARE = 0.02       # of the history's requests a client class must carry ...
STEADY = 0.6             # ... in this share of its 10-minute stretches at least
PATHS_APART = 0.35       # total variation distance of paths between a class's extra and its history, at most
COUNTRIES_APART = 0.5    # the same for countries
MORE_FAILURES = 0.1      # extra share of 4xx/5xx answers a class's surge may show over its history
DATACENTER_SHARE = 0.3   # programs' extra from hosting networks above this: not the customers' devices
STRETCH = 600
# Classes the collector may call automated for their agent alone (a library's HTTP stack): the judgement
# may call them people. Browsers were called automated for how they behaved, crawlers and scanners say
# what they are: their call stands.
AGENT_TOLD = ("app", "script")


@dataclass
class UsualClients:
    classes: list[str]
    note: str | None


def _mix(frame: pd.DataFrame, dim: str) -> pd.Series:
    s = frame.groupby(dim)["requests"].sum()
    total = float(s.sum())
    return s / total if total > 0 else s


def _apart(a: pd.Series, b: pd.Series) -> float:
    """Total variation distance between two shares (0 same, 1 disjoint)."""
    return 0.5 * float(a.sub(b, fill_value=0.0).abs().sum())


def _failing(frame: pd.DataFrame) -> float:
    total = float(frame["requests"].sum())
    return float(frame.loc[frame["status"].isin(["4xx", "5xx"]), "requests"].sum()) / total if total > 0 else 0.0


def _steady(history: pd.DataFrame, t0: int, t1: int) -> float:
    """Share of the history's 10-minute stretches in which the class sent anything."""
    stretches = max(int((t1 - t0) // STRETCH), 1)
    return min(len(set((history["t"] - t0) // STRETCH)) / stretches, 1.0)


def usual_clients(cube: pd.DataFrame, win: pd.DataFrame, start: int, regions: list[str],
                  datacenter_share: float) -> UsualClients:
    """The client classes of the surge's automated part that are the site's usual clients.

    ``cube``: every bucket loaded (the history is what comes before ``start``); ``win``: the
    surge's rows; ``regions``: countries of the campaigns running (their people are welcome
    from there); ``datacenter_share``: of the programs' extra requests, from hosting networks.
    """
    history = cube[cube["t"] < start]
    if history.empty or start - int(history["t"].min()) < MIN_HISTORY or datacenter_share > DATACENTER_SHARE:
        return UsualClients([], None)
    h0 = int(history["t"].min())
    total = float(history["requests"].sum())
    auto = win[win["actor"].isin(AUTOMATED_ACTORS) & win["client"].isin(AGENT_TOLD)]
    found, why = [], []
    for client, rows in auto.groupby("client"):
        mine = history[history["client"] == client]
        share = float(mine["requests"].sum()) / total if total > 0 else 0.0
        if share < USUAL_SHARE or _steady(mine, h0, start) < STEADY:
            continue
        paths = _apart(_mix(rows, "path_group"), _mix(mine, "path_group"))
        countries = _mix(rows, "country")
        apart = _apart(countries, _mix(mine, "country"))
        in_regions = float(countries[countries.index.isin(regions)].sum()) if regions else 0.0
        if paths > PATHS_APART or (apart > COUNTRIES_APART and in_regions < 0.8):
            continue
        if _failing(rows) > _failing(mine) + MORE_FAILURES:
            continue
        found.append(str(client))
        top = _mix(mine, "path_group").sort_values(ascending=False)
        why.append(f"'{client}' clients ({share:.0%} of the {(start - h0) / 3600:.0f} h before, mostly "
                   f"{top.index[0]} {top.iloc[0]:.0%}; the surge's are alike: paths {1 - paths:.0%}, "
                   f"countries {1 - apart:.0%} the same)")
    if not found:
        return UsualClients([], None)
    return UsualClients(found, "Automated-looking requests of the site's usual clients counted as people's: "
                               + "; ".join(why))


def as_people(frame: pd.DataFrame, classes: list[str]) -> pd.DataFrame:
    """The rows with the usual classes' automated requests relabelled as people's."""
    if not classes or frame.empty:
        return frame
    moved = frame["actor"].isin(AUTOMATED_ACTORS) & frame["client"].isin(classes)
    if not moved.any():
        return frame
    frame = frame.copy()
    frame.loc[moved, "actor"] = HUMAN
    return frame

