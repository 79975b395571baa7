"""Any nginx ``log_format`` string compiled to a regex-backed parser.

Each ``$variable`` becomes a group matching up to the next literal character (nginx
escapes quotes in values as ``\\x22``, so that character cannot occur inside a value);
the named values are then read as in ``record.record_from_fields``. Fields after the
format's end (separated by a space or tab) are tolerated.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from collectors.weblog.reasons import Reason
from collectors.weblog.record import LogRecord, record_from_fields

_ONE_TOKEN = frozenset({"status", "body_bytes_sent", "bytes_sent", "request_time", "request_length", "msec",
                        "upstream_status", "upstream_response_time", "upstream_connect_time", "connection",
                        "connection_requests", "pipe", "remote_addr", "remote_port", "request_id", "req_id"})
_VAR = re.compile(r"\$(?:\{(\w+)\}|(\w+))")


def compile_log_format(log_format: str) -> Callable[[str], LogRecord | Reason]:
    """A parser for lines written by ``log_format name '<log_format>'``."""
    text = log_format.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        text = text[1:-1]
    pieces: list[tuple[str, str]] = []  # (kind, value): ("lit", text) or ("var", name)
    pos = 0
    for m in _VAR.finditer(text):
        if m.start() > pos:
            pieces.append(("lit", text[pos:m.start()]))
        pieces.append(("var", m.group(1) or m.group(2)))
        pos = m.end()
    if pos < len(text):
        pieces.append(("lit", text[pos:]))
    if not any(kind == "var" for kind, _ in pieces):
        raise ValueError(f"log_format {log_format!r} has no $variables: give the log_format string from nginx.conf")
    seen: set[str] = set()
    regex = []
    for i, (kind, value) in enumerate(pieces):
        if kind == "lit":
            regex.append(re.escape(value))
            continue
        nxt = pieces[i + 1][1][0] if i + 1 < len(pieces) and pieces[i + 1][0] == "lit" else None
        body = f"[^{re.escape(nxt)}]*" if nxt else (r"[^ \t]*" if value in _ONE_TOKEN else ".*")
        if value in seen:
            regex.append(f"(?:{body})")
        else:
            seen.add(value)
            regex.append(f"(?P<{value}>{body})")
    # a line may carry more than the format (a field added to log_format later, a proxy's suffix)
    pattern = re.compile("".join(regex) + r"(?:[ \t].*)?$", re.S)

    def parse(line: str) -> LogRecord | Reason:
        m = pattern.match(line.rstrip("\r\n"))
        if m is None:
            return Reason.EMPTY if not line.strip() else Reason.NO_MATCH
        return record_from_fields(m.groupdict())

    parse.pattern = pattern  # type: ignore[attr-defined]
    return parse
