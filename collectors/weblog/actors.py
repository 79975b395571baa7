"""Actors for a block of lines: fixed by client class, or decided as ``ActorTracker`` would, line by line.

Only browsers and apps need the tracker. Its state is separate per client key, so a block
is decided per key with numpy: the key's lines (in line order) are cut where the key's
minute changes or where a prune (whenever the newest bucket moved on) dropped the key,
and running counts inside each minute plus the previous minute's totals give each line's
decision, exactly as ``ActorTracker.actor`` would. Keys whose minute goes backwards within
the block (out-of-order lines) are walked line by line through the tracker itself;
``vectorised=False`` walks every line, the reference the numpy path is tested against.
"""

from __future__ import annotations

from functools import partial
from typing import Protocol

import numpy as np

from collectors.weblog.behaviour import WINDOW, ActorTracker, ClientMinutes


class TagCodes(Protocol):
    values: list

    def code(self, value: object) -> int: ...


def actors_in_order(tracker: ActorTracker, tags: TagCodes, client: np.ndarray, key: np.ndarray, ts: np.ndarray,
                    newest: np.ndarray, is_asset: np.ndarray, is_page: np.ndarray, login_post: np.ndarray,
                    fixed: dict[str, str], *, vectorised: bool = True) -> np.ndarray:
    """The actor tag code of each line; ``newest`` is the newest bucket start once the line was read."""
    cv = tags.values
    present = np.unique(client)
    table = np.full(len(cv), -1, np.int64)
    table[present] = [tags.code(fixed[cv[c]]) if cv[c] in fixed else -1 for c in present.tolist()]
    actor = table[client]
    todo = np.flatnonzero(actor < 0)
    if not len(todo):
        return actor
    human, automated = tags.code("human"), tags.code("automated")
    browser = tags.code("browser")
    args = (key[todo], ts[todo], client[todo] == browser, is_asset[todo], is_page[todo], login_post[todo],
            newest[todo])
    walk = _decide_by_key if vectorised else partial(_decide_line_by_line, cv=cv, client=client[todo])
    auto = walk(tracker, *args)
    actor[todo] = np.where(auto, automated, human)
    return actor


def _decide_line_by_line(tracker: ActorTracker, key: np.ndarray, ts: np.ndarray, _browser: np.ndarray,
                         is_asset: np.ndarray, is_page: np.ndarray, login_post: np.ndarray, newest: np.ndarray, *,
                         cv: list, client: np.ndarray) -> np.ndarray:
    decide = tracker.actor
    last = tracker.pruned_at
    out = []
    for k, t, c, a, p, lp, g in zip(key.tolist(), ts.tolist(), client.tolist(), is_asset.tolist(), is_page.tolist(),
                                    login_post.tolist(), newest.tolist(), strict=True):
        if g > last:
            tracker.prune(g)
            last = g
        out.append(decide(k, t, cv[c], a, p, lp) != "human")
    return np.array(out, bool)


def _decide_by_key(tracker: ActorTracker, key: np.ndarray, ts: np.ndarray, browser: np.ndarray,
                   is_asset: np.ndarray, is_page: np.ndarray, login_post: np.ndarray, newest: np.ndarray) -> np.ndarray:
    """Whether each line is automated, with the tracker updated as the line-by-line walk would leave it.

    Keys whose minute goes backwards somewhere in the block are walked line by line; the others in numpy.
    """
    p0 = tracker.pruned_at
    prune_now = np.maximum.accumulate(np.maximum(newest, p0))     # the tracker's last prune before each line
    order = np.argsort(key, kind="stable")
    k, win = key[order], ts[order] // WINDOW
    first = np.ones(len(k), bool)
    first[1:] = k[1:] != k[:-1]
    back = ~first & (win < np.concatenate(([0], win[:-1])))
    starts = np.flatnonzero(first)
    w0 = np.array([_window(tracker.clients.get(x)) for x in k[starts].tolist()], np.int64)
    back[starts] |= win[starts] < w0
    bad_keys = np.unique(k[back])
    walk = np.isin(key, bad_keys)
    out = np.empty(len(key), bool)
    if walk.any():
        out[walk] = _walk(tracker, key[walk], ts[walk], browser[walk], is_asset[walk], is_page[walk],
                          login_post[walk], prune_now[walk], p0, int(prune_now[-1]))
    ok = ~walk
    if ok.any():
        out[ok] = _decide_ordered(tracker, key[ok], ts[ok], browser[ok], is_asset[ok], is_page[ok], login_post[ok],
                                  prune_now[ok], p0, int(prune_now[-1]))
    p_end = int(prune_now[-1])
    if p_end > p0:  # the prunes also dropped idle keys the block never saw
        oldest = p_end // WINDOW - 1
        done = set(np.unique(key).tolist())
        clients = tracker.clients
        for x in [x for x, e in clients.items() if e.window < oldest and x not in done]:
            del clients[x]
        tracker.pruned_at = p_end
    return out


def _walk(tracker: ActorTracker, key: np.ndarray, ts: np.ndarray, browser: np.ndarray, is_asset: np.ndarray,
          is_page: np.ndarray, login_post: np.ndarray, prune_now: np.ndarray, p0: int, p_end: int) -> np.ndarray:
    """Line by line through the tracker, applying to each key only the prunes that could drop it."""
    clients = tracker.clients
    seen: dict[int, int] = {}
    out = []
    for k, t, b, a, p, lp, pn in zip(key.tolist(), ts.tolist(), browser.tolist(), is_asset.tolist(),
                                     is_page.tolist(), login_post.tolist(), prune_now.tolist(), strict=True):
        e = clients.get(k)
        if e is not None and pn > seen.get(k, p0) and e.window < pn // WINDOW - 1:
            del clients[k]
        seen[k] = pn
        out.append(tracker.actor(k, t, "browser" if b else "app", a, p, lp) != "human")
    for k, pn in seen.items():
        e = clients.get(k)
        if e is not None and p_end > pn and e.window < p_end // WINDOW - 1:
            del clients[k]
    return np.array(out, bool)


def _decide_ordered(tracker: ActorTracker, key: np.ndarray, ts: np.ndarray, browser: np.ndarray,
                    is_asset: np.ndarray, is_page: np.ndarray, login_post: np.ndarray,
                    prune_now: np.ndarray, p0: int, p_end: int) -> np.ndarray:
    """Lines of keys whose minute never goes backwards: decided in numpy, each key's entry written back."""
    n = len(key)
    order = np.argsort(key, kind="stable")
    k, t = key[order], ts[order]
    win = t // WINDOW
    pn = prune_now[order]
    first = np.ones(n, bool)
    first[1:] = k[1:] != k[:-1]
    # the entry each key starts the block with, if any
    starts = np.flatnonzero(first)
    clients = tracker.clients
    init = [clients.get(x) for x in k[starts].tolist()]
    has = np.array([e is not None for e in init], bool)
    state = np.array([e.row() if e is not None else [-1] * 9 for e in init], np.int64).reshape(-1, 9)  # fields in order
    w0 = state[:, 0]
    kept = has & ~((pn[starts] > p0) & (pn[starts] // WINDOW - 1 > w0))   # not pruned before the key's first line
    kid = np.cumsum(first) - 1                                     # which key (index into starts) a line has
    # a prune between two lines of a key drops it if its minute is two behind the prune's
    prev_pn = np.concatenate(([p0], pn[:-1]))
    prev_win = np.concatenate(([0], win[:-1]))
    dropped = ~first & (pn > prev_pn) & (pn // WINDOW - 1 > prev_win)
    fresh = (first & ~kept[kid]) | dropped                         # the line opens a new entry
    opened = np.cumsum(fresh)
    from_init = opened - (opened - fresh)[starts][kid] == 0        # still on the entry the block started with
    new_seg = first | fresh | (win != prev_win)
    seg = np.cumsum(new_seg) - 1
    seg_start = np.flatnonzero(new_seg)
    asset = is_asset[order].astype(np.int64)
    other = 1 - asset
    inc = np.stack([other, other * is_page[order], asset, other * login_post[order]], axis=1)   # req, pages, ...
    cum = np.cumsum(inc, axis=0)
    base = np.concatenate((np.zeros((1, 4), np.int64), cum[:-1]))[seg_start]
    cur = cum - base[seg]
    # the block's entry adds its counts to its own minute and is the previous minute of the next one
    s_init = from_init[seg_start]
    s_key = kid[seg_start]
    s_win = win[seg_start]
    on_w0 = s_init & (s_win == w0[s_key])
    seg_cur0 = np.where(on_w0[:, None], state[s_key, 1:5], 0)
    seg_tot = cum[np.append(seg_start[1:], n) - 1] - base + seg_cur0
    seg_prev = np.zeros_like(seg_tot)
    seg_prev[on_w0] = state[s_key[on_w0], 5:9]
    after_w0 = s_init & (s_win == w0[s_key] + 1)
    seg_prev[after_w0] = state[s_key[after_w0], 1:5]
    follows = np.zeros(len(seg_start), bool)                       # previous segment: same entry, minute before
    follows[1:] = ~(first | fresh)[seg_start][1:] & (s_win[1:] == s_win[:-1] + 1)
    seg_prev[follows] = seg_tot[np.flatnonzero(follows) - 1]
    cur = cur + seg_cur0[seg]
    prev = seg_prev[seg]
    carry = 1.0 - (t % WINDOW) / WINDOW
    auto = (cur[:, 0] + prev[:, 0] * carry > tracker.rate) | (cur[:, 3] + prev[:, 3] * carry >= tracker.logins)
    auto |= browser[order] & (cur[:, 1] + prev[:, 1] >= tracker.bare_pages) & (cur[:, 2] + prev[:, 2] == 0)
    # write back each key's entry as it stands after its last line (or drop it if a later prune did)
    last = np.append(starts[1:], n) - 1
    rows = np.concatenate((win[last][:, None], cur[last], prev[last]), axis=1).tolist()
    touched = k[starts].tolist()
    gone = (p_end > pn[last]) & (p_end // WINDOW - 1 > win[last])      # pruned after the key's last line
    for x, row, drop in zip(touched, rows, gone.tolist(), strict=True):
        if drop:
            clients.pop(x, None)
        else:
            clients[x] = ClientMinutes(*row)
    out = np.empty(n, bool)
    out[order] = auto
    return out



def _window(e: ClientMinutes | None) -> int:
    return -1 if e is None else e.window
