"""What a reader sees of a page's Markdown source in ``AppTest``: backslash escapes undone, zero-width spaces gone.

``pages.text.md`` escapes stored strings for Markdown places; tests that read an element's Markdown
source compare what it shows, as a browser renders it (CommonMark: a backslash before ASCII
punctuation shows that character).
"""

from __future__ import annotations

import re

_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")


def seen(source: str) -> str:
    """``source`` (Markdown) with its backslash escapes undone and zero-width spaces removed."""
    return _ESCAPED.sub(r"\1", source).replace("\u200b", "")
