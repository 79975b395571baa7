"""One contract for every time-series backend: the embedded SQLite store and a real influxd.

Expected answers come from a plain pandas computation over the same generated points, so
both backends are held to the interface docstring in store/base.py, not to each other.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

import pandas as pd
import pytest

from store.base import Point, TimeSeriesStore

T0 = 1_699_999_200  # a whole hour, so 10 s, 1 min and 1 h buckets all start here
SPAN = 2 * 3600
SITES = ("a", "b")
COUNTRIES = ("GB", "DE", "US")
HOSTILE = (
    "it's",
    'say "hi"',
    "back\\slash",
    "ends\\",
    "two words",
    "a,b",
    "k=v",
    "line\nbreak",
    "cr\rhere",
    "tab\there",
    "ünïcødé ✓ 日本",
    "' OR 1=1 --",
    '" OR ""="',
    "\\' OR 'x'='x",
    "",
    "\u241bmarker",
    "%41",
)


@pytest.fixture(params=["embedded", pytest.param("influxdb", marks=pytest.mark.service)])
def store(request: pytest.FixtureRequest, tmp_path) -> Iterator[TimeSeriesStore]:
    if request.param == "embedded":
        embedded = pytest.importorskip("store.embedded")
        s = embedded.EmbeddedStore(tmp_path / "ts.db")
    else:
        from store.influxdb import InfluxStore

        svc = request.getfixturevalue("influxd_service")
        s = InfluxStore(svc.url, request.getfixturevalue("influx_database"), retries=2)
    yield s
    s.close()


def traffic(seed: int = 7) -> list[Point]:
    rng = random.Random(seed)
    return [
        Point("http", {"site": site, "country": c, "source": "t"},
              {"requests": rng.randint(0, 50), "bytes": rng.randint(0, 10_000)}, t)
        for t in range(T0, T0 + SPAN, 10) for site in SITES for c in COUNTRIES
    ]


def reference(points: list[Point], start: int, end: int, *, fields=("requests", "bytes"), where=None,
              group_by=(), every=None, agg="sum") -> pd.DataFrame:
    rows = [{"t": p.time, **p.tags, **p.fields} for p in points]
    df = pd.DataFrame(rows)
    df = df[(df.t >= start) & (df.t < end)]
    for tag, wanted in (where or {}).items():
        df = df[df[tag].isin([wanted] if isinstance(wanted, str) else list(wanted))]
    df = df.assign(time=(df.t // every * every) if every else start)
    keys = ["time", *group_by]
    if agg == "last":
        out = df.sort_values("t").groupby(keys, as_index=False)[list(fields)].last()
    else:
        out = df.groupby(keys, as_index=False)[list(fields)].agg(agg)
    return out.sort_values(keys).reset_index(drop=True)


def as_comparable(df: pd.DataFrame, group_by=(), fields=("requests", "bytes")) -> list[tuple]:
    if df.empty:
        return []
    times = df["time"]
    if isinstance(times.dtype, pd.DatetimeTZDtype):
        assert str(times.dt.tz) == "UTC"
        times = (times - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(seconds=1)
    out = []
    for i in range(len(df)):
        out.append((int(times.iloc[i]), *(df[t].iloc[i] for t in group_by),
                    *(round(float(df[f].iloc[i]), 6) for f in fields)))
    return out


def assert_matches(got: pd.DataFrame, want: pd.DataFrame, group_by=(), fields=("requests", "bytes")) -> None:
    assert list(got.columns) == ["time", *group_by, *fields]
    assert isinstance(got["time"].dtype, pd.DatetimeTZDtype)
    assert as_comparable(got, group_by, fields) == as_comparable(want, group_by, fields)


def test_write_then_sum_over_the_whole_range(store):
    pts = traffic()
    assert store.write(pts) == len(pts)
    got = store.query("http", T0, T0 + SPAN, fields=["requests", "bytes"])
    assert_matches(got, reference(pts, T0, T0 + SPAN))
    assert got["time"].iloc[0] == pd.Timestamp(T0, unit="s", tz="UTC")


@pytest.mark.parametrize("every", [10, 60, 3600])
def test_buckets_are_epoch_aligned_and_summed(store, every):
    pts = traffic()
    store.write(pts)
    start, end = T0 + 25, T0 + SPAN - 125  # ragged edges: partial first and last buckets
    got = store.query("http", start, end, fields=["requests", "bytes"], every=every)
    assert_matches(got, reference(pts, start, end, every=every))
    assert all(t.timestamp() % every == 0 for t in got["time"])


def test_group_by_tags_splits_rows_sorted_by_time_then_tags(store):
    pts = traffic()
    store.write(pts)
    got = store.query("http", T0, T0 + SPAN, fields=["requests", "bytes"], group_by=["site", "country"], every=600)
    assert_matches(got, reference(pts, T0, T0 + SPAN, group_by=("site", "country"), every=600), ("site", "country"))
    assert len(got) == 12 * len(SITES) * len(COUNTRIES)


@pytest.mark.parametrize("where", [{"site": "a"}, {"country": ["GB", "US"]}, {"site": ["b"], "country": "DE"}])
def test_where_keeps_points_whose_tag_is_one_of_the_values(store, where):
    pts = traffic()
    store.write(pts)
    got = store.query("http", T0, T0 + SPAN, fields=["requests", "bytes"], where=where, every=3600)
    assert_matches(got, reference(pts, T0, T0 + SPAN, where=where, every=3600))


def test_where_with_no_values_matches_nothing(store):
    store.write(traffic())
    got = store.query("http", T0, T0 + SPAN, fields=["requests"], where={"site": []})
    assert got.empty and list(got.columns) == ["time", "requests"]


@pytest.mark.parametrize("agg", ["sum", "mean", "max", "min", "last"])
def test_every_aggregation_matches_its_definition(store, agg):
    pts = traffic()
    store.write(pts)
    group_by = ("site", "country")  # one series per group, so "last" is unambiguous
    got = store.query("http", T0, T0 + SPAN, fields=["requests", "bytes"], group_by=group_by, every=60, agg=agg)
    assert_matches(got, reference(pts, T0, T0 + SPAN, group_by=group_by, every=60, agg=agg), group_by)


def test_unknown_aggregation_is_refused_with_the_allowed_ones(store):
    with pytest.raises(ValueError, match="sum"):
        store.query("http", T0, T0 + SPAN, fields=["requests"], agg="median")


def test_fields_default_to_the_numeric_fields(store):
    pts = traffic()
    store.write(pts)
    got = store.query("http", T0, T0 + SPAN)
    assert sorted(got.columns[1:]) == ["bytes", "requests"]
    assert got["requests"].iloc[0] == sum(p.fields["requests"] for p in pts)


def test_rewriting_the_same_batch_leaves_totals_unchanged(store):
    pts = traffic()
    store.write(pts)
    store.write(pts)
    got = store.query("http", T0, T0 + SPAN, fields=["requests"])
    assert got["requests"].iloc[0] == sum(p.fields["requests"] for p in pts)


def test_rewriting_a_point_overwrites_its_value(store):
    tags = {"site": "a", "country": "GB", "source": "t"}
    store.write([Point("http", tags, {"requests": 5}, T0)])
    store.write([Point("http", tags, {"requests": 7}, T0)])
    assert store.query("http", T0, T0 + 10, fields=["requests"])["requests"].tolist() == [7.0]


def test_time_range_is_half_open(store):
    tags = {"site": "a", "source": "t"}
    store.write([Point("http", tags, {"requests": n}, T0 + 10 * n) for n in range(1, 6)])
    got = store.query("http", T0 + 20, T0 + 40, fields=["requests"])  # holds t=20 and t=30, not t=40
    assert got["requests"].tolist() == [2.0 + 3.0]
    assert [p.time for p in store.points("http", T0 + 20, T0 + 40)] == [T0 + 20, T0 + 30]


def test_nothing_matching_gives_an_empty_frame_with_the_columns(store):
    store.write(traffic())
    for got in (
        store.query("http", T0 - 3600, T0, fields=["requests"], group_by=["site"], every=60),
        store.query("http", T0, T0 + SPAN, fields=["requests"], where={"site": "zzz"}, group_by=["site"]),
        store.query("nothing_here", T0, T0 + SPAN, fields=["requests"], group_by=["site"]),
    ):
        assert got.empty
        assert list(got.columns) == ["time", "site", "requests"]
    assert store.points("nothing_here", T0, T0 + SPAN) == []
    assert store.tag_values("nothing_here", "site") == []


def test_points_returns_string_and_numeric_fields_in_time_order(store):
    tags = {"site": "a", "source": "t", "actor": "human"}
    written = [
        Point("visitors", tags, {"uniques": 'AgEB"x\\y\nz', "clients": 3, "rpc_p50": 1.5}, T0 + 10),
        Point("visitors", tags, {"uniques": "AgEC", "clients": 4, "rpc_p50": 2.25}, T0),
    ]
    store.write(written)
    got = store.points("visitors", T0, T0 + 20)
    assert [p.time for p in got] == [T0, T0 + 10]
    assert got[1].fields["uniques"] == 'AgEB"x\\y\nz'
    assert dict(got[0].tags) == tags
    assert got[0].fields["clients"] == 4 and got[0].fields["rpc_p50"] == 2.25


def test_tag_values_are_distinct_and_sorted(store):
    store.write(traffic())
    assert store.tag_values("http", "country") == ["DE", "GB", "US"]
    assert store.tag_values("http", "site") == ["a", "b"]


def test_delete_before_drops_only_older_points(store):
    pts = traffic()
    store.write(pts)
    cut = T0 + 3600
    store.delete_before("http", cut)
    assert store.points("http", T0, cut) == []
    got = store.query("http", T0, T0 + SPAN, fields=["requests"])
    assert got["requests"].iloc[0] == sum(p.fields["requests"] for p in pts if p.time >= cut)


def test_delete_series_drops_every_point_of_the_matching_series_only(store):
    parts = [Point("http", {"site": "a", "source": "t", "part": part, "country": c}, {"requests": n}, T0 + 10 * k)
             for k in range(3) for part, n in (("file:1", 5), ("file:2", 7), ("it's", 11)) for c in ("GB", "DE")]
    store.write(parts)
    store.delete_series("http", {"site": "a", "part": "file:2"})
    store.delete_series("http", {"part": "no such part"})
    got = store.query("http", T0, T0 + 60, fields=["requests"], group_by=["part"])
    assert dict(zip(got["part"], got["requests"], strict=True)) == {"file:1": 30.0, "it's": 66.0}
    store.delete_series("http", {"part": "it's"})
    assert store.query("http", T0, T0 + 60, fields=["requests"])["requests"].tolist() == [30.0]


def test_hostile_tag_values_round_trip_and_filter_exactly(store):
    pts = [Point("http", {"site": v, "source": "t"}, {"requests": i + 1}, T0) for i, v in enumerate(HOSTILE)]
    assert store.write(pts) == len(pts)
    assert store.tag_values("http", "site") == sorted(HOSTILE)
    for i, v in enumerate(HOSTILE):
        got = store.query("http", T0, T0 + 10, fields=["requests"], where={"site": v})
        assert got["requests"].tolist() == [float(i + 1)], repr(v)
    both = store.query("http", T0, T0 + 10, fields=["requests"], where={"site": [HOSTILE[0], HOSTILE[7]]})
    assert both["requests"].tolist() == [1.0 + 8.0]
    grouped = store.query("http", T0, T0 + 10, fields=["requests"], group_by=["site"])
    assert dict(zip(grouped["site"], grouped["requests"], strict=True)) == {v: i + 1 for i, v in enumerate(HOSTILE)}
    assert {p.tags["site"] for p in store.points("http", T0, T0 + 10)} == set(HOSTILE)


def test_hostile_where_keys_and_measurements_cannot_inject(store):
    store.write(traffic())
    for where in ({'site" = \'a\' OR "site': "x"}, {"site": "a' OR site='b"}, {"site": "a\\' OR site=\\'b"}):
        got = store.query("http", T0, T0 + SPAN, fields=["requests"], where=where)
        assert got.empty, where
    assert store.query('http" WHERE 1=1 --', T0, T0 + SPAN, fields=["requests"]).empty
