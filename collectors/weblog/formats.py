"""The parse step: from a raw line to a ``LogRecord`` or a ``Reason``, for every access-log format read.

``parser_for`` picks a parser by name (or compiles an nginx ``log_format`` string);
``sniff`` names the format of a file from its first lines, header lines included (IIS and
CloudFront name their columns in ``#Fields:``); ``AutoParser`` starts from the sniffed
format and follows a file that changes format part-way (a log that turns to JSON lines, an
IIS header block in the middle), line by line. Formats and their names:

- NCSA family (``clf``): combined, common, vhost_combined, combined + extra fields, Traefik CLF,
  ingress-nginx, varnishncsa;
- JSON lines (``jsonlines``): nginx JSON (``\\xXX`` escapes too), Caddy, Traefik JSON;
- W3C (``w3c``): IIS, CloudFront;
- AWS ALB (``alb``).
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable, Iterable

from collectors.weblog import alb
from collectors.weblog.clf import looks_clf, parse_clf
from collectors.weblog.jsonlines import parse_json_line
from collectors.weblog.logformat import compile_log_format
from collectors.weblog.privacy import redact
from collectors.weblog.reasons import Reason
from collectors.weblog.record import LogRecord
from collectors.weblog.w3c import W3CParser

Parser = Callable[[str], "LogRecord | Reason"]
MAX_LINE = 65_536  # characters; a longer line is counted ``too_long`` (and read only up to about this much)
SNIFF_LINES = 50
_CLF_NAMES = ("combined", "common", "vhost_combined", "combined_request_time", "varnishncsa", "traefik_clf",
              "ingress_nginx", "clf", "ncsa")
_JSON_NAMES = ("json", "nginx_json", "caddy", "caddy_json", "traefik_json", "traefik")
_W3C_NAMES = ("iis", "w3c", "cloudfront")
FORMATS = ("auto", *_CLF_NAMES[:7], "nginx_json", "caddy", "traefik_json", "iis", "cloudfront", "alb")
_W3C_DIRECTIVES = ("#Software:", "#Version:", "#Date:", "#Remark:", "#Start-Date:", "#End-Date:")
# a failure that may mean the line is in another format (not a bad field of the right one)
_SWITCH = frozenset({Reason.NO_MATCH, Reason.BAD_JSON})


def parser_for(fmt: str) -> Parser:
    """The parser for a format name or an nginx ``log_format`` string."""
    name = fmt.strip().lower()
    if name in _CLF_NAMES:
        return parse_clf
    if name in _JSON_NAMES:
        return parse_json_line
    if name in _W3C_NAMES:
        return W3CParser()
    if name == "alb":
        return alb.parse_alb
    if name == "auto":
        return AutoParser()
    if "$" in fmt:
        return compile_log_format(fmt)
    raise ValueError(f"unknown log format {fmt!r}: use one of {', '.join(FORMATS)} or an nginx log_format string")


def sniff_line(text: str) -> str | None:
    """The format one line is in; None for a line no format reads (or that says nothing, e.g. ``#Version``)."""
    text = text.strip()
    if not text:
        return None
    if text[0] == "#":
        if text.startswith("#Fields:"):
            return "cloudfront" if "x-edge-location" in text else "iis"
        return "iis" if text.startswith(_W3C_DIRECTIVES) else None
    if text[0] == "{":
        return "json"
    if alb.SNIFF.match(text):
        return "alb"
    if text.count("\t") >= 10:
        return "cloudfront"
    if looks_clf(text):
        return "combined"
    if type(W3CParser()(text)) is LogRecord:
        return "iis"
    return None


def sniff(lines: Iterable[str], limit: int = SNIFF_LINES) -> str | None:
    """The format of a file from its first lines (the one most of them are in); None when none is read here.

    A W3C header decides at once (``#Fields:`` names IIS or CloudFront); otherwise the most common
    format among the first ``limit`` lines wins, so one odd first line does not decide for a file.
    """
    seen: Counter[str] = Counter()
    directive = None  # a W3C "#Version:" line: its "#Fields:" (which tells IIS from CloudFront) may follow
    for line in itertools.islice(lines, limit):
        name = sniff_line(line)
        if name is None:
            continue
        if line.startswith("#"):
            if line.startswith("#Fields:"):
                return name
            directive = directive or name
            continue
        seen[name] += 1
    if directive is not None:
        return directive
    return seen.most_common(1)[0][0] if seen else None


def unknown_format_message(source: str, lines: list[str]) -> str:
    """What to tell a user whose file is in no format read here (the line shown redacted)."""
    first = next((line.strip() for line in lines if line.strip()), "")
    return (f"{source}: no known access-log format in its first {min(len(lines), SNIFF_LINES)} line(s); "
            f"first line: {redact(first, 160)!r}. Give the format with --format (one of {', '.join(FORMATS[1:])} "
            "or the nginx log_format string), or format = ... in the [accesslog] settings")


def wrong_format_message(source: str, fmt: str, lines: list[str], sniffed: str | None) -> str:
    """What to tell a user whose file has not one line in the format they gave."""
    first = next((line.strip() for line in lines if line.strip()), "")
    looks = f"it looks like {sniffed!r}; " if sniffed else ""
    return (f"{source}: none of its first {min(len(lines), SNIFF_LINES)} line(s) is in the format given "
            f"(--format {fmt[:60]!r}); first line: {redact(first, 160)!r}; {looks}leave --format out to detect it, "
            "or give the format the file is written in")


class AutoParser:
    """Parses with the format sniffed from the lines so far; follows the file when it changes format."""

    def __init__(self, first: str | None = None) -> None:
        self.name: str | None = None
        self._parse: Parser | None = None
        self._parsers: dict[str, Parser] = {}
        if first is not None:
            self._use(first)

    def _use(self, name: str) -> Parser:
        parse = self._parsers.get(name)
        if parse is None:
            parse = self._parsers[name] = parser_for(name)
        self.name, self._parse = name, parse
        return parse

    def __call__(self, line: str) -> LogRecord | Reason:
        rec: LogRecord | Reason = Reason.EMPTY if not line.strip() else Reason.NO_MATCH
        if self._parse is not None:
            rec = self._parse(line)
            if type(rec) is LogRecord or rec not in _SWITCH:
                return rec
        name = sniff_line(line)
        if name is None or (name == self.name and self._parse is not None):
            return rec
        before = self.name
        other = self._use(name)(line)
        if type(other) is LogRecord or other is Reason.COMMENT:
            return other
        if before is None:
            return other  # the first line read: the format it looks like is the best guess
        self._use(before)
        return rec
