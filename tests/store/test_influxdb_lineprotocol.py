"""Line protocol and InfluxQL escaping, checked on exact strings."""

from __future__ import annotations

import pytest

from store.base import Point
from store.influxql import ident, literal, select_aggregate
from store.lineprotocol import TAG_MARKER, BadPoint, decode_tag_value, encode_tag_value, to_line


def test_line_escapes_measurement_tags_and_fields_and_types_values():
    p = Point("my m,x", {"k ey": "v,a=l ue", "b": "1"}, {"f=1": 'say "hi" \\o/', "n": 3, "x": 1.5}, 1700000000)
    assert to_line(p) == ('my\\ m\\,x,b=1,k\\ ey=v\\,a\\=l\\ ue f\\=1="say \\"hi\\" \\\\o/",n=3i,x=1.5 1700000000')


def test_gauge_fields_are_always_floats_so_their_type_never_conflicts():
    p = Point("origin", {"source": "t"}, {"value": 3, "peak": 4}, 10)
    assert to_line(p) == "origin,source=t value=3.0,peak=4i 10"


@pytest.mark.parametrize("value", ["", "ends\\", "a\nb", "c\rd", TAG_MARKER + "x", "50%\\off"])
def test_tag_values_line_protocol_cannot_carry_are_encoded_reversibly(value):
    stored = encode_tag_value(value)
    assert stored.startswith(TAG_MARKER)
    assert not any(c in stored for c in "\\\n\r")
    assert decode_tag_value(stored) == value


def test_ordinary_tag_values_are_stored_as_they_are():
    for v in ("GB", "campaign 50% off", "it's", 'a "b"', "日本"):
        assert encode_tag_value(v) == v


@pytest.mark.parametrize("point", [
    Point("m", {}, {}, 1),
    Point("m", {}, {"v": float("inf")}, 1),
    Point("m\n", {}, {"v": 1}, 1),
    Point("m", {"a\\": "x"}, {"v": 1}, 1),
    Point("m", {}, {"v": [1]}, 1),
])
def test_points_line_protocol_cannot_carry_are_refused_with_a_reason(point):
    with pytest.raises(BadPoint, match="m"):
        to_line(point)


def test_influxql_quotes_escape_quotes_backslashes_and_newlines():
    assert ident('a"b\\c') == '"a\\"b\\\\c"'
    assert literal("it's\n\\") == "'it\\'s\\n\\\\'"


def test_select_groups_by_epoch_aligned_time_and_quoted_tags_without_empty_buckets():
    q = select_aggregate("http_1m", ["requests"], 0, 60, where={"site": ["a", "b"]}, group_by=["site"],
                         every=60, agg="max")
    assert q == ('SELECT max("requests") AS "requests" FROM "http_1m" WHERE time >= 0s AND time < 60s'
                 ' AND ("site" = \'a\' OR "site" = \'b\') GROUP BY time(60s), "site" fill(none)')


def test_counters_stay_integers_and_numpy_numbers_are_written_by_kind():
    import numpy as np

    p = Point("http_1m", {"source": "t"}, {"requests": 3.0, "bytes": np.int64(7)}, 10)
    assert to_line(p) == "http_1m,source=t requests=3i,bytes=7i 10"
    q = Point("visitors", {"source": "t"}, {"rpc_p50": np.int64(2), "uniques_estimate": 4.0, "pages": 2.5}, 10)
    assert to_line(q) == "visitors,source=t rpc_p50=2.0,uniques_estimate=4.0,pages=2.5 10"
