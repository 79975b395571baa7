"""nginx JSON-lines logs, including nginx's default ``\\xXX`` escapes that are not valid JSON.

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
    except ValueError:
        if "\\x" not in text:
            return Reason.BAD_JSON
        try:
            data = json.loads(_HEX_ESCAPE.sub(r"\1\\u00\2", text))
        except ValueError:
            return Reason.BAD_JSON
        data = {k: _utf8(v) if isinstance(v, str) else v for k, v in data.items()} if isinstance(data, dict) else data
    if not isinstance(data, dict):
        return Reason.BAD_JSON
    fields = {str(k).lower().replace("-", "_"): v for k, v in data.items()}
    return record_from_fields(fields)
