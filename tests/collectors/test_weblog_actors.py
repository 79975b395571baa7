"""Actors decided per key with numpy are the ones the tracker decides line by line."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from collectors.weblog.actors import actors_in_order
from collectors.weblog.behaviour import ActorTracker
from collectors.weblog.options import WeblogOptions

FIXED = {"crawler": "crawler", "script": "automated"}
CLIENTS = ["browser", "app", "crawler", "script"]


class _Codes:
    def __init__(self) -> None:
        self.values: list = []

    def code(self, value: object) -> int:
        if value not in self.values:
            self.values.append(value)
        return self.values.index(value)


def _blocks(seed: int, n_blocks: int, jitter: int) -> list[dict[str, np.ndarray]]:
    """Blocks of lines from a few busy clients over several minutes; ``jitter`` seconds of disorder."""
    rng = np.random.default_rng(seed)
    out = []
    t = 1_700_000_000
    for _ in range(n_blocks):
        n = int(rng.integers(200, 2000))
        ts = t + np.sort(rng.integers(0, int(rng.integers(20, 400)), n))
        if jitter:
            ts = ts - rng.integers(0, jitter + 1, n) * (rng.random(n) < 0.01)
        t = int(ts.max()) + int(rng.choice([0, 5, 70, 200]))
        newest = np.maximum.accumulate(ts - ts % 10)
        out.append({"client": rng.integers(0, len(CLIENTS), n), "key": rng.integers(0, 40, n) * 7919 - 40_000,
                    "ts": ts, "newest": newest, "is_asset": rng.random(n) < 0.3, "is_page": rng.random(n) < 0.5,
                    "login_post": rng.random(n) < 0.08})
    return out


@pytest.mark.parametrize(("seed", "jitter"), [(1, 0), (2, 0), (3, 0), (4, 90), (5, 30)])
def test_per_key_numpy_decisions_match_the_tracker_line_by_line(seed: int, jitter: int) -> None:
    opts = WeblogOptions(rate_limit_per_minute=25, login_posts_per_minute=3, pages_without_assets=6)
    fast, slow = ActorTracker(opts), ActorTracker(opts)
    codes = _Codes()
    client_codes = np.array([codes.code(c) for c in CLIENTS])
    automated = 0
    for block in _blocks(seed, 8, jitter):
        args = (client_codes[block["client"]], block["key"], block["ts"], block["newest"], block["is_asset"],
                block["is_page"], block["login_post"], FIXED)
        a = actors_in_order(fast, codes, *args)
        b = actors_in_order(slow, codes, *args, vectorised=False)
        assert a.tolist() == b.tolist()
        assert fast.clients == slow.clients and fast.pruned_at == slow.pruned_at
        automated += int((a == codes.code("automated")).sum())
        for tracker in (fast, slow):
            tracker.prune(int(block["newest"][-1]))
    assert automated > 0 and (a == codes.code("human")).any()


def test_numpy_decisions_continue_a_tracker_restored_from_a_checkpoint() -> None:
    opts = WeblogOptions(rate_limit_per_minute=10)
    codes = _Codes()
    client_codes = np.array([codes.code(c) for c in CLIENTS])
    first, second = _blocks(9, 2, 0)
    warm = ActorTracker(opts)
    actors_in_order(warm, codes, client_codes[first["client"]], first["key"], first["ts"], first["newest"],
                    first["is_asset"], first["is_page"], first["login_post"], FIXED, vectorised=False)
    fast, slow = ActorTracker(opts), ActorTracker(opts)
    fast.load(copy.deepcopy(warm.state()))
    slow.load(copy.deepcopy(warm.state()))
    fast.pruned_at = slow.pruned_at = warm.pruned_at
    args = (client_codes[second["client"]], second["key"], second["ts"], second["newest"], second["is_asset"],
            second["is_page"], second["login_post"], FIXED)
    assert actors_in_order(fast, codes, *args).tolist() == actors_in_order(slow, codes, *args,
                                                                          vectorised=False).tolist()
    assert fast.clients == slow.clients
