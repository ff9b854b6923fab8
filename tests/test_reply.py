"""The reply model's parsing of the knowledge's tiny Markdown."""

from __future__ import annotations

from bot.reply import Bullets, Paragraph, Reply, Span, inline_spans, parse_blocks, plain


def test_inline_spans() -> None:
    spans = inline_spans("a **bold** move, see [the post](https://example.org/x).")
    assert spans == [
        Span("a "),
        Span("bold", bold=True),
        Span(" move, see "),
        Span("the post", url="https://example.org/x"),
        Span("."),
    ]


def test_only_http_links_are_links() -> None:
    assert inline_spans("[x](javascript:alert(1))") == [Span("[x](javascript:alert(1))")]


def test_parse_blocks() -> None:
    blocks = parse_blocks("Gist line one\ncontinues.\n\n- first\n- second\n  wrapped\n\nAfter.")
    assert blocks == (
        Paragraph("Gist line one continues."),
        Bullets(("first", "second wrapped")),
        Paragraph("After."),
    )


def test_plain_and_summary() -> None:
    reply = Reply(kind="answer", title="T", blocks=(Paragraph("**Bold** and [l](https://a.b)"),))
    assert plain("**Bold** and [l](https://a.b)") == "Bold and l (https://a.b)"
    assert reply.summary() == "T: Bold and l (https://a.b)"
    long = Reply(kind="answer", title="T", blocks=(Paragraph("x" * 500),))
    assert len(long.summary(150)) == 150
    assert "Bold and l" in reply.plain_text()
