"""JSON-lines access logs: nginx ``log_format ... escape=json`` (or not), Caddy, Traefik.

Nested objects are flattened with ``_`` (Caddy's ``request.remote_ip`` is ``request_remote_ip``,
``request.headers.User-Agent[0]`` is ``request_headers_user_agent``), keys lower-cased with ``-``
as ``_`` (Traefik's ``request_User-Agent`` is ``request_user_agent``), then read by
``record.record_from_fields``.

Without ``escape=json`` nginx writes a quote as ``\\x22`` and non-ASCII bytes as
``\\xC3\\xA9``; those become ``\\u00XX`` before decoding, and runs of such bytes are then
read back as UTF-8.
"""

from __future__ import annotations

import json
import re

from collectors.weblog.reasons import Reason
from collectors.weblog.record import LogRecord, record_from_fields

_HEX_ESCAPE = re.compile(r"(?<!\\)((?:\\\\)*)\\x([0-9A-Fa-f]{2})")
_HIGH = re.compile(r"[\x80-\xff]+")


def _utf8(text: str) -> str:
    try:
        return _HIGH.sub(lambda m: m.group(0).encode("latin-1").decode("utf-8"), text)
    except UnicodeDecodeError:
        return text


def parse_json_line(line: str) -> LogRecord | Reason:
    text = line.strip()
    if not text:
        return Reason.EMPTY
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        if "\\x" not in text:
            return Reason.BAD_JSON
        try:
            data = json.loads(_HEX_ESCAPE.sub(r"\1\\u00\2", text))
        except (ValueError, RecursionError):
            return Reason.BAD_JSON
        data = {k: _utf8(v) if isinstance(v, str) else v for k, v in data.items()} if isinstance(data, dict) else data
    if not isinstance(data, dict):
        return Reason.BAD_JSON
    fields: dict = {}
    _flatten(data, "", fields, 0)
    return record_from_fields(fields)


def _flatten(data: dict, prefix: str, out: dict, depth: int) -> None:
    """``{"a": {"B-c": ["x", "y"]}}`` → ``{"a_b_c": "x, y"}`` (header lists joined, as proxies join them)."""
    for key, value in data.items():
        name = prefix + str(key).lower().replace("-", "_")
        if isinstance(value, dict):
            if depth < 4:
                _flatten(value, name + "_", out, depth + 1)
        elif isinstance(value, list):
            out[name] = ", ".join(str(v) for v in value if isinstance(v, str | int | float))
        else:
            out[name] = value
