"""Reading the parts of a bucket back as one: counters add, sketches unite, networks refold."""

from __future__ import annotations

from store.base import Point
from store.parts import merge_parts, refold_networks
from store.sketch import estimate_b64, new_sketch, to_b64

T = 1_700_000_000


def _sketch(ids: range) -> str:
    s = new_sketch()
    for i in ids:
        s.update(i)
    return to_b64(s)


def _visitors(part: str, requests: int, clients: int, p50: float, peak: int, ids: range) -> Point:
    return Point("visitors", {"site": "s", "source": "web", "part": part, "actor": "human"},
                 {"requests": requests, "clients": clients, "rpc_p50": p50, "rpc_max": peak, "uniques": _sketch(ids)},
                 T)


def test_parts_of_a_bucket_merge_by_field_kind() -> None:
    merged = merge_parts([_visitors("file:a", 30, 10, 2.0, 9, range(0, 10)),
                          _visitors("file:b", 12, 30, 1.0, 4, range(5, 35))])
    assert len(merged) == 1
    (p,) = merged
    assert "part" not in p.tags and p.tags["actor"] == "human"
    assert p.fields["requests"] == 42 and p.fields["clients"] == 40 and p.fields["rpc_max"] == 9
    assert p.fields["rpc_p50"] == (2.0 * 10 + 1.0 * 30) / 40  # weighted by each part's clients
    assert round(estimate_b64([str(p.fields["uniques"])])) == 35  # 0..34: the union, not 40


def test_one_part_comes_back_as_it_was_and_other_buckets_stay_apart() -> None:
    a = _visitors("file:a", 3, 1, 3.0, 3, range(1))
    later = Point("visitors", dict(a.tags), dict(a.fields), T + 10)
    assert [p.fields for p in merge_parts([a, later])] == [a.fields, later.fields]


def _net(part: str, prefix: str, requests: int) -> Point:
    return Point("networks", {"site": "s", "source": "web", "part": part, "prefix": prefix, "asn": "1"},
                 {"requests": requests, "login_posts": 0, "auth_failures": 0, "automated": 0}, T)


def test_networks_of_two_parts_refold_to_the_top_of_the_merged_bucket() -> None:
    points = [_net("a", "1.0.0.0/24", 50), _net("a", "2.0.0.0/24", 10), _net("b", "2.0.0.0/24", 45),
              _net("b", "3.0.0.0/24", 20)]
    out = {p.tags["prefix"]: p.fields["requests"] for p in refold_networks(points, top=2)}
    assert out == {"2.0.0.0/24": 55, "1.0.0.0/24": 50, "other": 20}
    assert sum(out.values()) == sum(p.fields["requests"] for p in points)
