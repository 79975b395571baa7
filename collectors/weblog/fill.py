"""The aggregation step of the block engine: a block's requests added to their buckets' named counters.

Each line's counters are columns (one flag per counter, named by its ``VisitorCounts`` or
``NetworkCounts`` field), summed per group in numpy (``groups`` + ``bincount``) and added to
the bucket's accumulators once per group. A new counter is a new field there and a new flag
in ``vis_flags``/``net_flags`` where ``ColumnarFeeder`` builds them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from collectors.weblog.aggregate import Bucket, NetworkCounts, VisitorCounts, add_counts
from collectors.weblog.arrowlines import _Codes, groups

if TYPE_CHECKING:
    from collectors.weblog.pipeline import WeblogPipeline


class BucketFill:
    """Adds a block's requests to the pipeline's buckets (``ColumnarFeeder`` is one)."""

    pipe: WeblogPipeline
    tags: _Codes

    def _bucket(self, start: int) -> Bucket:
        raise NotImplementedError

    def _fill(self, start: np.ndarray, http_cols: list[np.ndarray], size: np.ndarray, actor: np.ndarray,
              vis_flags: dict[str, np.ndarray], net_flags: dict[str, np.ndarray], key: np.ndarray, vid: np.ndarray,
              family: np.ndarray, net: np.ndarray) -> None:
        """Add the block's lines to their buckets: ``vis_flags``/``net_flags`` name the counter each flag adds to."""
        for s in np.unique(start).tolist():
            self._bucket(s)
        self._fill_http(start, http_cols, size)
        self._fill_visitors(start, actor, vis_flags, key, vid, family)
        self._fill_networks(start, net, net_flags)
        rows, cnt = np.unique(start, return_counts=True)
        buckets = self.pipe.buckets
        for s, c in zip(rows.tolist(), cnt.tolist(), strict=True):
            buckets[s].count("parsed", c)
        self.pipe._dirty.update(rows.tolist())

    def _fill_http(self, start: np.ndarray, http_cols: list[np.ndarray], size: np.ndarray) -> None:
        tv, buckets = self.tags.values, self.pipe.buckets
        first, inv = groups(start, *http_cols)
        reqs = np.bincount(inv)
        byts = np.bincount(inv, weights=size)
        cols = [c[first].tolist() for c in http_cols]
        for s, n, b, *k in zip(start[first].tolist(), reqs.tolist(), byts.tolist(), *cols, strict=True):
            h = buckets[s].http
            hk = tuple(tv[c] for c in k)
            v = h.get(hk)
            if v is None:
                h[hk] = [n, int(b)]
            else:
                v[0] += n
                v[1] += int(b)

    def _fill_visitors(self, start: np.ndarray, actor: np.ndarray, flags: dict[str, np.ndarray], key: np.ndarray,
                       vid: np.ndarray, family: np.ndarray) -> None:
        tv, buckets = self.tags.values, self.pipe.buckets
        first, inv = groups(start, actor)
        m = len(first)
        counts = {"requests": np.bincount(inv, minlength=m)}
        counts.update((name, np.bincount(inv, weights=flag, minlength=m)) for name, flag in flags.items())
        for j, (s, a) in enumerate(zip(start[first].tolist(), actor[first].tolist(), strict=True)):
            b = buckets[s]
            name = tv[a]
            v = b.vis.get(name)
            if v is None:
                v = b.vis[name] = VisitorCounts()
                b.clients[name] = {}
                b.uniques[name] = set()
                b.families[name] = set()
            add_counts(v, {f: int(c[j]) for f, c in counts.items()})
        first, inv = groups(start, actor, key)
        cnt = np.bincount(inv)
        for s, a, k, c in zip(start[first].tolist(), actor[first].tolist(), key[first].tolist(), cnt.tolist(),
                              strict=True):
            d = buckets[s].clients[tv[a]]
            d[k] = d.get(k, 0) + c
        first, _ = groups(start, actor, vid)
        for s, a, v in zip(start[first].tolist(), actor[first].tolist(), vid[first].tolist(), strict=True):
            buckets[s].uniques[tv[a]].add(v)
        first, _ = groups(start, actor, family)
        for s, a, f in zip(start[first].tolist(), actor[first].tolist(), family[first].tolist(), strict=True):
            buckets[s].families[tv[a]].add(tv[f])

    def _fill_networks(self, start: np.ndarray, net: np.ndarray, flags: dict[str, np.ndarray]) -> None:
        tv, buckets = self.tags.values, self.pipe.buckets
        first, inv = groups(start, net)
        m = len(first)
        counts = {"requests": np.bincount(inv, minlength=m)}
        counts.update((name, np.bincount(inv, weights=flag, minlength=m)) for name, flag in flags.items())
        for j, (s, nk) in enumerate(zip(start[first].tolist(), net[first].tolist(), strict=True)):
            nets = buckets[s].nets
            k = tv[nk]
            v = nets.get(k)
            if v is None:
                v = nets[k] = NetworkCounts()
            add_counts(v, {f: int(c[j]) for f, c in counts.items()})
