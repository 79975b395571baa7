"""Bots that look like browsers: scalpers driving real browsers through residential proxies.

They send ordinary desktop agents, load each page's assets and come from home networks, so
neither the client class nor the network tells them. What they do does: they rush the cart
and the checkout (paths a person reaches after browsing), get 409 / 429 answers and retry,
arrive with no referrer, from a country mix unlike the site's, and hardly ever order. Each
sign is measured on the surge's extra people's requests against the baseline before it; when
orders collapse and at least three other signs fire, the extra is the programs'. The evidence
says which signs fired, in plain words.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from store.schema import INTERNAL

CART = ("checkout",)          # path groups of the cart and checkout
ORDERS = ("conversion",)
MIN_EXTRA = 200.0             # extra requests below which no sign is read
RUSH_SHARE, RUSH_TIMES = 0.2, 3.0
FAIL_SHARE, FAIL_TIMES = 0.25, 3.0
DIRECT_SHARE, DIRECT_MORE = 0.8, 0.25
COUNTRIES_APART = 0.5
COLLAPSE = 0.25               # extra orders per extra cart request, against the baseline's
SIGNS_NEEDED = 3              # besides the orders' collapse

Rows = pd.DataFrame


def _sum(frame: Rows, mask: pd.Series | None = None) -> float:
    return float(frame.loc[mask, "requests"].sum()) if mask is not None else float(frame["requests"].sum())


def _extra(win: Rows, ref: Rows, scale: float, pick: Callable[[Rows], pd.Series] | None = None) -> float:
    if pick is None:
        return _sum(win) - scale * _sum(ref)
    return _sum(win, pick(win)) - scale * _sum(ref, pick(ref))


def _mix(frame: Rows, dim: str) -> pd.Series:
    s = frame.groupby(dim)["requests"].sum()
    return s / float(s.sum()) if float(s.sum()) > 0 else s


def _cart(f: Rows) -> pd.Series:
    return f["path_group"].isin(CART)


def _cart_posts_failing(f: Rows) -> pd.Series:
    return f["path_group"].isin(CART) & (f["method"] == "POST") & (f["status"] == "4xx")


def _cart_posts(f: Rows) -> pd.Series:
    return f["path_group"].isin(CART) & (f["method"] == "POST")


def _arrivals(f: Rows) -> pd.Series:
    return (f["referrer"] != INTERNAL) & f["path_group"].isin(("page", "landing"))  # pages people arrive on


def _direct(f: Rows) -> pd.Series:
    return _arrivals(f) & (f["referrer"] == "direct")


def _orders(f: Rows) -> pd.Series:
    return f["path_group"].isin(ORDERS)


def _ratio(a: float, b: float) -> float:
    return a / b if b > 0 else 0.0


def browser_bots(win: Rows, ref: Rows, scale: float, history: Rows, regions: list[str]) -> str | None:
    """Why the people's extra requests in ``win`` are programs', or None.

    ``win``/``ref``: people's rows of the surge and of its baseline (scaled by ``scale``);
    ``history``: people's rows before the surge (the site's country mix); ``regions``: countries
    of the campaigns running.
    """
    extra = _extra(win, ref, scale)
    if extra < MIN_EXTRA:
        return None
    signs = []
    cart = _extra(win, ref, scale, _cart)
    base_cart = _ratio(_sum(ref, _cart(ref)), _sum(ref))
    if cart / extra >= RUSH_SHARE and cart / extra >= RUSH_TIMES * base_cart:
        signs.append(f"{cart / extra:.0%} of the extra requests go to the cart and checkout (baseline "
                     f"{base_cart:.0%}): they rush there instead of browsing")
    posts, failing = _extra(win, ref, scale, _cart_posts), _extra(win, ref, scale, _cart_posts_failing)
    base_fail = _ratio(_sum(ref, _cart_posts_failing(ref)), _sum(ref, _cart_posts(ref)))
    if posts > 0 and failing / posts >= FAIL_SHARE and failing / posts >= FAIL_TIMES * base_fail:
        signs.append(f"{failing / posts:.0%} of the extra cart and checkout posts are refused with 4xx "
                     f"(409 sold out / 429 too many; baseline {base_fail:.0%}) and retried")
    arrivals, direct = _extra(win, ref, scale, _arrivals), _extra(win, ref, scale, _direct)
    base_direct = _ratio(_sum(ref, _direct(ref)), _sum(ref, _arrivals(ref)))
    if arrivals > 0 and direct / arrivals >= max(DIRECT_SHARE, base_direct + DIRECT_MORE):
        signs.append(f"{direct / arrivals:.0%} of the extra arrivals carry no referrer (baseline {base_direct:.0%})")
    seen = win.groupby("country")["requests"].sum().sub(ref.groupby("country")["requests"].sum() * scale,
                                                         fill_value=0.0).clip(lower=0.0)
    if float(seen.sum()) > 0 and not history.empty:
        site = _mix(history, "country")
        mix = seen / float(seen.sum())
        apart = 0.5 * float(mix.sub(site, fill_value=0.0).abs().sum())
        in_regions = float(mix[mix.index.isin(regions)].sum())
        if apart >= COUNTRIES_APART and in_regions < 0.5:
            top = ", ".join(f"{k} {v:.0%}" for k, v in mix.sort_values(ascending=False).head(3).items())
            signs.append(f"they come from a country mix unlike the site's ({top}; {apart:.0%} apart from the "
                         "usual mix)")
    orders = max(_extra(win, ref, scale, _orders), 0.0)
    base_orders = _ratio(_sum(ref, _orders(ref)), _sum(ref, _cart(ref)))
    collapsed = cart > 0 and base_orders > 0 and orders / cart < COLLAPSE * base_orders
    if not collapsed or len(signs) < SIGNS_NEEDED:
        return None
    signs.append(f"orders collapse: {_ratio(orders, cart):.1%} of the extra cart requests end in an order "
                 f"(baseline {base_orders:.1%})")
    return ("Browsers that behave like bots (real browser agents and assets, home networks): "
            + "; ".join(signs) + ": counted as automated")
