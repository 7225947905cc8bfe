"""``plain()``: what people and the model wrote reads as typed, and nothing in it becomes a link, an image, an icon,
emphasis, a heading or HTML, whether shown at once or streamed in pieces (the browser test checks the pages)."""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

#: What the browser's Markdown renderer turns into links or icons after escapes are read (GFM autolink literals,
#: Streamlit's icons and emoji codes): none may survive plain() in what it leaves to read.
AUTOLINK = re.compile(r"https?://|www\.|[-.\w+]+@[-\w]+\.[-\w]|:material/|:[a-z_]+:", re.IGNORECASE)
TEXTS = (
    "![x](http://example.invalid/p.png)",
    "[Reset your password here](http://example.invalid)",
    "See HTTPS://example.invalid/a?b=1 or WWW.example.invalid, mail help@example.invalid",
    "<img src=x onerror=alert(1)> <b>bold</b> &amp;",
    "# Heading\n---\n> quote\n- item\n1. first\n\n    indented code\n```\nfence\n```",
    "**bold** _em_ ~~strike~~ `code` $x^2$ :red[red] :material/lock: :smile: | a | b |",
    "Back\\slash at the end\\",
)


def _read(escaped: str) -> str:
    """What a reader sees of plain()'s output: escapes resolved, hard line breaks back to line breaks."""
    return re.sub(r"\\(.)", r"\1", escaped).replace("  \n", "\n")


@pytest.mark.parametrize("text", TEXTS)
def test_plain_text_keeps_the_words_and_no_markup(text: str) -> None:
    from ui.context import plain

    escaped = plain(text)
    shown = _read(escaped)
    assert not AUTOLINK.search(shown), shown
    # every mark Markdown, HTML, colours or LaTeX use is escaped: none is syntax any more
    assert not re.search(r"[\\`*_{}\[\]()#+\-.!|<>~$:=&]", re.sub(r"\\.", "", escaped)), escaped
    # the words, line by line (only an indentation, which Markdown would make a code block, is dropped)
    lines = [line.strip() for line in text.split("\n")]
    assert [line.strip() for line in shown.replace("\u200b", "").split("\n")] == lines


def _streamed() -> None:
    from ui.widgets import stream_reply

    # a model streams tokens: a URL arrives in pieces
    stream_reply(iter(["Read http:", "//example.invalid/x", " now, or www", ".example.invalid", " or a@", "b.invalid"]))


def test_a_streamed_reply_makes_no_link_across_chunks() -> None:
    app = AppTest.from_function(_streamed).run()
    assert not app.exception
    [message] = app.chat_message
    shown = _read("".join(m.value for m in message.markdown))
    assert not AUTOLINK.search(shown), shown
    assert shown.replace("\u200b", "") == "Read http://example.invalid/x now, or www.example.invalid or a@b.invalid"
