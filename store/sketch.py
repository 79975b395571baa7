"""Unique-visitor sketches: HyperLogLog (Apache DataSketches), mergeable across buckets and stores.

A visitor is a keyed hash of address + user agent + site with the day's random salt
(``visitor_hash``); only that 64-bit number enters the sketch, and the sketch keeps no
list of hashes. Sketches travel as base64 strings so every store can hold them.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable

import datasketches as ds

LG_K = 12  # ~1.6 % standard error, 4 KiB when dense


def visitor_hash(salt: bytes, address: str, user_agent: str, site: str) -> int:
    """The day's anonymous visitor id; unlinkable to other days once the salt is deleted."""
    h = hashlib.blake2b(f"{address}\x00{user_agent}\x00{site}".encode(), key=salt, digest_size=8)
    return int.from_bytes(h.digest(), "little", signed=True)


def new_sketch() -> ds.hll_sketch:
    return ds.hll_sketch(LG_K, ds.tgt_hll_type.HLL_8)


def to_b64(sketch: ds.hll_sketch) -> str:
    return base64.b64encode(sketch.serialize_compact()).decode("ascii")


def from_b64(text: str) -> ds.hll_sketch:
    return ds.hll_sketch.deserialize(base64.b64decode(text))


def merge_b64(sketches: Iterable[str]) -> str:
    """Union of base64 sketches, as a base64 sketch."""
    union = ds.hll_union(LG_K)
    for s in sketches:
        if s:
            union.update(from_b64(s))
    return to_b64(union.get_result(ds.tgt_hll_type.HLL_8))


def estimate_b64(sketches: Iterable[str]) -> float:
    """Approximate distinct visitors across the given sketches."""
    union = ds.hll_union(LG_K)
    for s in sketches:
        if s:
            union.update(from_b64(s))
    return float(union.get_estimate())
