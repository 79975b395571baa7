"""Actors for a block of lines: fixed by client class, or decided by ``ActorTracker`` in line order.

Only browsers and apps need the tracker; their lines are walked in order, with the
tracker pruned whenever the newest bucket moved on, exactly as the per-line path does.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from collectors.weblog.behaviour import ActorTracker


class TagCodes(Protocol):
    values: list

    def code(self, value: object) -> int: ...


def actors_in_order(tracker: ActorTracker, tags: TagCodes, client: np.ndarray, key: np.ndarray, ts: np.ndarray,
                    newest: np.ndarray, is_asset: np.ndarray, is_page: np.ndarray, login_post: np.ndarray,
                    fixed: dict[str, str]) -> np.ndarray:
    """The actor tag code of each line; ``newest`` is the newest bucket start once the line was read."""
    cv = tags.values
    table = np.array([tags.code(fixed[cv[c]]) if cv[c] in fixed else -1 for c in range(len(cv))], np.int64)
    actor = table[client]
    todo = np.flatnonzero(actor < 0)
    if not len(todo):
        return actor
    human, automated = tags.code("human"), tags.code("automated")
    decide = tracker.actor
    last = tracker.pruned_at
    out = []
    for k, t, c, a, p, lp, g in zip(key[todo].tolist(), ts[todo].tolist(), client[todo].tolist(),
                                    is_asset[todo].tolist(), is_page[todo].tolist(), login_post[todo].tolist(),
                                    newest[todo].tolist(), strict=True):
        if g > last:
            tracker.prune(g)
            last = g
        out.append(human if decide(k, t, cv[c], a, p, lp) == "human" else automated)
    actor[todo] = out
    return actor
