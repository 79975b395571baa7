"""Points to InfluxDB line protocol (precision: seconds), and the tag value encoding both ways.

Line protocol escapes commas and spaces in measurements; commas, equals signs and
spaces in tag keys, tag values and field keys; double quotes and backslashes inside
string field values. Integers get the ``i`` suffix, floats are written in full precision.

InfluxDB 1.x cannot carry some tag values at all: a backslash is kept literally (so a
value ending in one breaks the line), a newline or carriage return ends the line and an
empty value drops the tag. Such values (and values that start with the marker) are
stored as ``TAG_MARKER`` + percent-encoding, and decoded on the way back, so every
string round-trips while ordinary values stay readable in InfluxDB and Grafana.
"""

from __future__ import annotations

import math
import numbers
from functools import lru_cache
from urllib.parse import quote, unquote

from store.base import Point
from store.schema import Kind, spec_for

TAG_MARKER = "\u241b"  # SYMBOL FOR ESCAPE: never part of an ordinary tag value
_UNSAFE_IN_TAG = ("\\", "\n", "\r")
_UNSAFE_IN_NAME = ("\\", "\n", "\r")


class BadPoint(ValueError):
    """A point line protocol cannot carry; the message names the point and the problem."""


def encode_tag_value(value: str) -> str:
    """The stored form of a tag value (identity for ordinary values)."""
    if value == "" or value.startswith(TAG_MARKER) or any(c in value for c in _UNSAFE_IN_TAG):
        return TAG_MARKER + quote(value, safe=" ,=\"'!#$&()*+-./:;<>?@[]^_`{|}~")
    return value


def decode_tag_value(stored: str) -> str:
    """The original tag value from its stored form."""
    if stored.startswith(TAG_MARKER):
        return unquote(stored[len(TAG_MARKER):])
    return stored


def _escape_key(key: str) -> str:
    return key.replace(",", "\\,").replace("=", "\\=").replace(" ", "\\ ")


def _escape_measurement(name: str) -> str:
    return name.replace(",", "\\,").replace(" ", "\\ ")


def _check_name(kind: str, name: str, measurement: str) -> None:
    if not name or any(c in name for c in _UNSAFE_IN_NAME):
        raise BadPoint(
            f"{kind} {name!r} of a {measurement!r} point is empty or holds a "
            "backslash or line break, which line protocol cannot carry; rename it"
        )


@lru_cache(maxsize=1024)
def _kinds(measurement: str) -> dict[str, Kind]:
    spec = spec_for(measurement)
    return dict(spec.fields) if spec else {}


def _field_value(measurement: str, key: str, value: object, point: Point) -> str:
    """A field value typed so one field keeps one InfluxDB type: gauges are always floats,
    counters and maxima integers whenever the value is whole, other numbers as given."""
    if type(value) is int and key not in _kinds(measurement):
        return f"{value}i"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if not isinstance(value, numbers.Real):
        raise BadPoint(f"field {key!r} of a {measurement!r} point at {point.time} has type "
                       f"{type(value).__name__}; use int, float or str")
    kind = _kinds(measurement).get(key)
    if isinstance(value, numbers.Integral) and kind is not Kind.GAUGE:
        return f"{int(value)}i"
    f = float(value)
    if not math.isfinite(f):
        raise BadPoint(f"field {key!r} of a {measurement!r} point at {point.time} is {f}; "
                       "line protocol has no NaN or infinity, send a finite number")
    if kind in (Kind.COUNTER, Kind.MAX) and f.is_integer():
        return f"{int(f)}i"
    return repr(f)


@lru_cache(maxsize=65_536)
def _series_prefix(series_key: tuple) -> str:
    """``measurement,tag=value,...`` for a series key (measurement, sorted tag items)."""
    measurement, tags = series_key
    _check_name("measurement", measurement, measurement)
    parts = [_escape_measurement(measurement)]
    for key, value in tags:
        _check_name("tag key", key, measurement)
        parts.append(f",{_escape_key(key)}={_escape_key(encode_tag_value(str(value)))}")
    return "".join(parts)


@lru_cache(maxsize=4096)
def _field_key(measurement: str, key: str) -> str:
    _check_name("field key", key, measurement)
    return _escape_key(key)


def to_line(point: Point) -> str:
    """One line of line protocol for ``point`` (no trailing newline); raises BadPoint."""
    if not point.fields:
        raise BadPoint(f"a {point.measurement!r} point at {point.time} has no fields; "
                       "InfluxDB needs at least one")
    try:
        prefix = _series_prefix(point.series_key)
        fields = ",".join(f"{_field_key(point.measurement, k)}={_field_value(point.measurement, k, v, point)}"
                          for k, v in point.fields.items())
    except BadPoint as e:
        raise BadPoint(f"{e} (point at {point.time})") from None
    return f"{prefix} {fields} {int(point.time)}"
