"""Plain text from post HTML with a real HTML parser (selectolax/lexbor), as a vectorized DuckDB function.

Mastodon sends `content` as sanitized HTML: paragraphs, line breaks, links whose hidden spans hold the full URL.
Paragraphs become blank-line separated, <br> a newline, and every link its full text. Script and style elements
(which no honest server sends) are dropped, never rendered.
"""

from __future__ import annotations

import contextlib

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
from selectolax.lexbor import LexborHTMLParser

_BLOCKS = ("p", "li", "blockquote", "pre", "h1", "h2", "h3", "h4", "h5", "h6")


def html_to_text(html: str | None) -> str | None:
    if html is None:
        return None
    if "<" not in html and "&" not in html:
        return html
    tree = LexborHTMLParser(html)
    tree.strip_tags(["script", "style", "template"])
    body = tree.body
    if body is None:
        return ""
    for br in body.css("br"):
        br.replace_with("\n")
    blocks = body.css(",".join(_BLOCKS))
    if not blocks:
        return (body.text(deep=True, separator="") or "").strip()
    parts = []
    for block in blocks:
        if block.parent is not None and block.parent.tag in _BLOCKS:
            continue  # nested block: its text is in its parent's
        parts.append((block.text(deep=True, separator="") or "").strip())
    return "\n\n".join(p for p in parts if p)


def _html_to_text_arrow(html: pa.Array) -> pa.Array:
    # Statuses repeat (the same post from several instances, bios of one author): convert each distinct value once.
    encoded = pc.dictionary_encode(html)
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.combine_chunks()
    texts = pa.array([html_to_text(v) for v in encoded.dictionary.to_pylist()], pa.string())
    return pc.take(texts, encoded.indices)


def register(con: duckdb.DuckDBPyConnection) -> None:
    """Make html_to_text(VARCHAR) available in SQL on this connection."""
    with contextlib.suppress(duckdb.Error):
        con.remove_function("html_to_text")
    con.create_function(
        "html_to_text",
        _html_to_text_arrow,
        [duckdb.sqltype("VARCHAR")],
        duckdb.sqltype("VARCHAR"),
        type="arrow",
        null_handling="special",
        side_effects=False,
    )
