"""Strings from storage, files, logs or the URL shown as themselves on the dashboard: text, never Markdown or HTML.

Streamlit renders Markdown (GitHub-flavoured, with math, ``:color[...]`` directives, emoji and icon
shortcodes) in ``st.markdown``, ``st.write``, ``st.caption``, ``st.info``/``warning``/``error``/
``success``, ``st.toast``, ``st.table`` cells and headers, and in the labels of metrics (value and
delta too), expanders, tabs, buttons and radio options. A campaign name such as
``[Sign in](https://evil.example/sso)`` put there as it is becomes a live link; ``![](...)`` a
tracking image. ``md()`` makes a string safe for any of those places:

- every ASCII punctuation character is backslash-escaped (CommonMark allows it for each one), which
  defeats links, images, emphasis, code, headings, lists, tables, raw HTML, ``$...$`` math,
  ``:color[...]``, ``:emoji:`` and ``:material/icon:``;
- the one rule escaping cannot stop is GitHub's autolinking of bare ``http(s)://``, ``www.`` and
  e-mail addresses, which runs on the parsed text (after escapes are undone): a zero-width space
  (U+200B) before ``http``/``www.`` and after ``@`` breaks it, and shows nothing;
- line breaks become spaces (a stored string is one line of a sentence, never new blocks).

Plain-text places need nothing: ``st.text``, ``st.code``, ``st.dataframe`` cells and headers, the
options of ``st.selectbox`` / ``st.multiselect`` and text inputs show a string as it is (escaping
them would show the backslashes). Altair draws titles and labels as SVG/canvas text and Streamlit's
Vega tooltips escape HTML.
"""

from __future__ import annotations

import re

import pandas as pd

ZERO_WIDTH_SPACE = "\u200b"
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")  # every ASCII punctuation character
_AUTOLINK_START = re.compile(r"(https?:|www\.)", re.IGNORECASE)


def md(value: object) -> str:
    """``value`` as text for a Markdown place: shown literally (no link, image, markup), on one line."""
    text = " ".join(str(value).splitlines())
    text = _AUTOLINK_START.sub(ZERO_WIDTH_SPACE + r"\1", text).replace("@", "@" + ZERO_WIDTH_SPACE)
    return _PUNCTUATION.sub(r"\\\1", text)


def quoted(value: object) -> str:
    """``value`` in quotes, as text for a Markdown place (e.g. an id from the URL that was not found)."""
    return md(repr(str(value)))


def table(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` for ``st.table``, whose cells, headers and index are Markdown: every text escaped."""
    def esc(x: object) -> object:
        return md(x) if isinstance(x, str) else x

    shown = frame.copy()
    for col in shown.columns:
        if not pd.api.types.is_numeric_dtype(shown[col]):  # text (object or string dtype), lists, mixed
            shown[col] = shown[col].map(esc).astype(object)
    shown.columns = [esc(c) for c in shown.columns]
    if not pd.api.types.is_numeric_dtype(shown.index):
        shown.index = pd.Index([esc(x) for x in shown.index], name=esc(frame.index.name))
    return shown
