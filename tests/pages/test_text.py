"""``pages.text``: a stored string put in a Markdown place reads as itself.

Checked against an independent CommonMark parser (``markdown-it-py``, with GitHub's tables and
strikethrough turned on): the escaped string renders to one paragraph of text equal to the input,
with no element. GitHub's autolinking of bare addresses (GFM spec, "Autolinks (extension)") only
starts after the start of a line, white space or punctuation, or at an ``@`` followed by a domain;
those rules are checked on the output here and in Streamlit itself by the browser walk
(``test_hostile_names_browser.py``).
"""

from __future__ import annotations

import html
import re

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from pages.text import ZERO_WIDTH_SPACE, md, quoted, table

PARSER = MarkdownIt("commonmark").enable(["table", "strikethrough"])
HOSTILE = ["[Sign in](https://evil.example/sso)", "![](https://evil.example/pixel.png)", "https://evil.example/bare",
           "<img src=x onerror=alert(1)>", ":red[alarm]", "$x^2$", "**bold**", "www.evil.example/w",
           "mail@evil.example", ":smile: :material/home:", "<https://evil.example/auto>", "# heading", "- item",
           "1. item", "> quote", "| a | b |\n|---|---|\n| c | d |", "`code`", "~~gone~~", "a_b_c", "&lt;b&gt;",
           "&amp;", "trailing \\", "\\*not bold\\*", "line one\nline two", "---", "=== ", "[x]: https://evil.example",
           "HTTP://EVIL.EXAMPLE/UPPER", "<!-- comment -->", "<script>alert(1)</script>", "{{7*7}}"]


def rendered(text: str) -> str:
    """The HTML that CommonMark makes of ``text``, as a paragraph's inner HTML when it is one."""
    out = PARSER.render(text).strip()
    return out[3:-4] if out.startswith("<p>") and out.endswith("</p>") and out.count("<p>") == 1 else out


def as_text(value: str) -> str:
    """What a reader sees: the rendered HTML's text, without the invisible zero-width spaces."""
    return html.unescape(rendered(md(value))).replace(ZERO_WIDTH_SPACE, "")


def test_each_hostile_string_renders_as_its_own_text_with_no_element() -> None:
    for value in HOSTILE:
        out = rendered(md(value))
        assert "<" not in out.replace("&lt;", ""), (value, out)  # no element at all: no link, image, emphasis, code
        assert as_text(value) == " ".join(value.splitlines()).strip(), (value, out)


def test_line_breaks_become_spaces_so_a_name_never_starts_a_block() -> None:
    assert as_text("Spring\n# Sale\r\n- APAC") == "Spring # Sale - APAC"
    assert "\n" not in md("a\nb\rc\u2028d")


def test_bare_addresses_cannot_autolink_by_githubs_rules() -> None:
    """GFM links ``http(s)://`` and ``www.`` only after a line start, white space or punctuation, and an e-mail
    address only where a domain follows the ``@``: a zero-width space (neither) sits before and after them."""
    for value in ("https://evil.example/bare", "see http://evil.example", "(www.evil.example)", "x@evil.example",
                  "HTTPS://EVIL.EXAMPLE", "Www.evil.example"):
        out = md(value)
        for found in re.finditer(r"(?i)https?\\?:|www\\?\.", out):
            assert out[found.start() - 1] == ZERO_WIDTH_SPACE, (value, out)
        for found in re.finditer("@", out):
            assert out[found.end()] == ZERO_WIDTH_SPACE, (value, out)
        assert as_text(value) == value


def test_plain_words_are_left_alone() -> None:
    assert md("Spring Sale APAC 2026") == "Spring Sale APAC 2026"
    assert md(42) == "42"


@given(st.text(st.characters(codec="utf-8", exclude_categories=["Cc", "Cs", "Zl", "Zp"]), max_size=60))
def test_any_text_renders_as_itself_with_no_element(value: str) -> None:
    out = rendered(md(value))
    assert "<" not in out.replace("&lt;", ""), (value, out)
    # A paragraph's leading and trailing white space is trimmed (markdown-it strips any, a no-break space
    # included, as Streamlit's renderer does); nothing else changes.
    assert as_text(value) == value.strip(), (value, out)


def test_quoted_shows_a_url_value_in_quotes_as_text() -> None:
    out = rendered(quoted("[Sign in](https://evil.example/sso)"))
    assert html.unescape(out).replace(ZERO_WIDTH_SPACE, "") == "'[Sign in](https://evil.example/sso)'"
    assert "<" not in rendered(quoted("<img src=x onerror=alert(1)>")).replace("&lt;", "")


def test_table_escapes_text_cells_headers_and_index_and_keeps_numbers() -> None:
    frame = pd.DataFrame({"file": ["www.evil.example.log", "/var/log/a.log"], "lines": [3, 4],
                          "**sample**": ["[x](https://evil.example)", None]}).set_index("file")
    shown = table(frame)
    assert list(shown.index) == [md("www.evil.example.log"), md("/var/log/a.log")]
    assert list(shown.columns) == ["lines", md("**sample**")]
    assert shown["lines"].tolist() == [3, 4]
    assert shown[md("**sample**")].tolist()[0] == md("[x](https://evil.example)")
    assert frame.index[0] == "www.evil.example.log" and "**sample**" in frame.columns  # the original is untouched
