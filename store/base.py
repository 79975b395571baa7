"""The time-series store interface every backend implements.

A point is one whole 10-second bucket of one series (measurement + tags), written by
one owner (the ``source`` tag names the collector instance, ``part`` the file or stream
within it, see ``store.parts``). Writing the same point
again overwrites it, so replays after a crash or a store outage never double-count.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # pandas is imported where a query builds a frame, not on the write path
    import pandas as pd

BUCKET_SECONDS = 10

FieldValue = float | int | str
TagFilter = Mapping[str, str | Sequence[str]]


class StoreError(RuntimeError):
    """The store could not be reached or refused a request; the message says what to do."""


@dataclass(frozen=True, slots=True)
class Point:
    measurement: str
    tags: Mapping[str, str]
    fields: Mapping[str, FieldValue]
    time: int  # epoch seconds, UTC, aligned to the bucket start
    _key: tuple = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_key", (self.measurement, tuple(sorted(self.tags.items()))))

    @property
    def series_key(self) -> tuple:
        """Identity of the series (measurement + sorted tags)."""
        return self._key


def to_epoch(t: datetime | int | float | pd.Timestamp) -> int:
    """Seconds since the epoch for a datetime (naive means UTC), Timestamp or number."""
    if isinstance(t, (int, float)):
        return int(t)
    if hasattr(t, "to_pydatetime"):  # a pandas Timestamp
        t = t.to_pydatetime()
    if t.tzinfo is None:
        t = t.replace(tzinfo=UTC)
    return int(t.timestamp())


def bucket_start(ts: float, width: int = BUCKET_SECONDS) -> int:
    """The start of the bucket of ``width`` seconds holding epoch second ``ts``."""
    return int(ts) // width * width


AGGREGATIONS = ("sum", "mean", "max", "min", "last")


class TimeSeriesStore(Protocol):
    """What collectors write to and alerts, capacity and pages read from."""

    name: str

    def write(self, points: Iterable[Point]) -> int:
        """Write points (idempotent per series and time); return how many were written."""

    def query(
        self,
        measurement: str,
        start: datetime | int,
        end: datetime | int,
        *,
        fields: Sequence[str] | None = None,
        where: TagFilter | None = None,
        group_by: Sequence[str] = (),
        every: int | None = None,
        agg: str = "sum",
    ) -> pd.DataFrame:
        """Numeric fields of ``measurement`` in [start, end), aggregated.

        ``where`` keeps points whose tag equals the value (or one of the values).
        ``every`` (seconds) buckets by time; None aggregates the whole range into one row.
        Returns columns ``time`` (UTC, tz-aware; bucket start, or range start when
        ``every`` is None), then the ``group_by`` tags, then the fields, sorted by time
        and tags. Buckets without points are absent. No match gives an empty frame with
        those columns.
        """

    def points(
        self,
        measurement: str,
        start: datetime | int,
        end: datetime | int,
        *,
        where: TagFilter | None = None,
    ) -> list[Point]:
        """The stored points themselves (string fields too), in time order."""

    def tag_values(self, measurement: str, tag: str) -> list[str]:
        """Distinct values of ``tag`` in ``measurement``, sorted."""

    def delete_before(self, measurement: str, before: datetime | int) -> None:
        """Drop points older than ``before`` (retention)."""

    def delete_series(self, measurement: str, where: TagFilter) -> None:
        """Drop every point, at any time, of the series whose tags match ``where`` (e.g. one ``part``)."""

    def close(self) -> None: ...


def empty_frame(group_by: Sequence[str], fields: Sequence[str]) -> pd.DataFrame:
    import pandas as pd

    cols = {"time": pd.Series([], dtype="datetime64[ns, UTC]")}
    cols.update({t: pd.Series([], dtype="object") for t in group_by})
    cols.update({f: pd.Series([], dtype="float64") for f in fields})
    return pd.DataFrame(cols)
