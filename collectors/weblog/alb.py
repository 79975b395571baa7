"""AWS Application Load Balancer access logs: space-separated fields, quoted request and user agent, UTC times.

``type time elb client:port target:port request_processing_time target_processing_time
response_processing_time elb_status_code target_status_code received_bytes sent_bytes
"request" "user_agent" ...`` (the fields after the user agent are not read, so fields AWS
adds at the end are tolerated). The client is the peer the load balancer saw; the
request carries the absolute URL (``https://host:443/path``), read as its path.
"""

from __future__ import annotations

import re

from collectors.weblog.reasons import Reason
from collectors.weblog.record import LogRecord, dash, request_of
from collectors.weblog.timestamps import parse_iso8601

_ALB = re.compile(r'(\S+) (\d{4}-\d\d-\d\dT\S+) \S+ (\S+) \S+ \S+ \S+ \S+ (\S+) \S+ \S+ (\S+) '
                  r'"((?:[^"\\]|\\.)*)" "((?:[^"\\]|\\.)*)"')
SNIFF = re.compile(r"(?:https?|h2|grpcs|wss?) \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z \S+ \S+:\d+ ")


def parse_alb(line: str) -> LogRecord | Reason:
    """One ALB access-log entry."""
    m = _ALB.match(line)
    if m is None:
        return Reason.EMPTY if not line.strip() else Reason.NO_MATCH
    _kind, when, client, status, size, request, ua = m.groups()
    ts = parse_iso8601(when)
    if ts is None:
        return Reason.BAD_TIMESTAMP
    if len(status) != 3 or not status.isdigit():
        return Reason.BAD_STATUS
    method, target = request_of(request)
    remote = client.rsplit(":", 1)[0] if client.count(":") >= 1 and client[-1:].isdigit() else client
    return LogRecord(ts, remote.strip("[]"), method, target, int(status), int(size) if size.isdigit() else 0,
                     "", dash(ua))
