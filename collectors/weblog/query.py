"""Query strings: only ``utm_*`` (and configured safe keys) survive; everything else is dropped here.

Values that look like an e-mail address or a known tracking id never leave this module:
they are replaced by nothing at all, so they cannot reach a tag, a log or the store.
"""

from __future__ import annotations

import re
from urllib.parse import unquote_plus

_EMAIL_LIKE = re.compile(r"[^@\s]+@[^@\s]+\.[a-z]{2,}", re.I)
TRACKING_KEYS = frozenset({"mc_eid", "mc_cid", "_hsenc", "_hsmi", "mkt_tok", "fbclid", "gclid", "dclid", "msclkid",
                           "yclid", "twclid", "igshid", "ttclid", "vero_id", "oly_enc_id", "oly_anon_id", "_ke"})
_SAFE_VALUE = re.compile(r"^[\w.+-]{1,80}$")


def split_target(target: str) -> tuple[str, str]:
    """(path, query) of a request target."""
    path, _, query = target.partition("?")
    return path.split("#", 1)[0] or "/", query


def personal(value: str) -> bool:
    """True when a value must not leave memory (an e-mail address, or not a plain token)."""
    return bool(_EMAIL_LIKE.search(value)) or not _SAFE_VALUE.match(value)


def utm_params(query: str, safe_keys: frozenset[str] = frozenset()) -> dict[str, str]:
    """The ``utm_*`` (and safe) parameters of a query string, lower-cased; personal values dropped."""
    if "utm_" not in query and not safe_keys:
        return {}
    out: dict[str, str] = {}
    for pair in query.split("&"):
        key, _, value = pair.partition("=")
        key = key.lower()
        if not (key.startswith("utm_") or key in safe_keys) or key in TRACKING_KEYS:
            continue
        value = unquote_plus(value).strip().lower()
        if value and not personal(value):
            out[key] = value
    return out
