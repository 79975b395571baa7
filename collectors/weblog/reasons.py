"""Why a line was counted the way it was: one enum for parsed, late and every malformed case.

Each value is the ``reason`` tag of the ``ingest`` measurement, so the Sources page and
``/metrics`` can show exactly what happened to every line read.
"""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    PARSED = "parsed"
    LATE = "late"                      # its bucket was already closed and written
    COMMENT = "comment"                # a header line (CloudFront ``#Fields``), not a request
    EMPTY = "empty"
    TOO_LONG = "too_long"
    BAD_ENCODING = "bad_encoding"      # not decodable as UTF-8 (nor latin-1 escapes)
    NO_MATCH = "no_match"              # does not fit the configured log format
    BAD_JSON = "bad_json"
    BAD_TIMESTAMP = "bad_timestamp"
    BAD_REQUEST = "bad_request"        # request line is not "METHOD TARGET PROTOCOL"
    BAD_STATUS = "bad_status"
    BAD_ADDRESS = "bad_address"        # client address is not an IP address

    @property
    def malformed(self) -> bool:
        return self not in _NOT_MALFORMED


_NOT_MALFORMED = frozenset({Reason.PARSED, Reason.LATE, Reason.COMMENT})
