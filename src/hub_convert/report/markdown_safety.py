"""Escaping for text from a report, one function per place it lands in the Markdown.

Every string in ``report.json`` may come from an attacker: ``hub-convert publish`` renders the
report of a fork's pull request with a write token, and the Action itself renders model paths,
TF.js metadata, node names and converter errors taken from untrusted model files. Rendered
Markdown goes to ``report.md``, the step summary and the PR comment, so nothing from a report
may become live there: no raw HTML, no link, no @mention or issue reference, no code span or
fence that closes early, no line that reads as the sticky comment's marker.

The rules live here, apart from ``render.py`` (which only formats numbers and picks the
template), because they are the security boundary: one module to review, test and keep
consistent for the templates and ``github/comment_body.py``. The template engine escapes every
value with ``markdown_text`` unless a filter from this module already returned a ``Safe``.

Two renderers matter: GitHub (cmark-gfm, then filters on the HTML that link mentions, issue
references and URLs in text nodes) and markdown-it based viewers (VS Code, the tests), whose
linkify also links bare domains. Escapes that a renderer removes (``\\.``, ``&lt;``) stop the
Markdown parser; GitHub's HTML filters only see the text that is left, so mentions, references
and URLs are broken with an invisible ZERO WIDTH JOINER instead, which the reader does not see.
"""

from __future__ import annotations

import html
import re

ZWJ = "\u200d"
"""ZERO WIDTH JOINER: invisible, and not part of any name, number or URL scheme GitHub links."""

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_SCHEME = re.compile(
    r"(?i)\b(https?|ftp|sftp|mailto|xmpp|file|javascript|data|vbscript|irc|tel|sms)(?=:)"
)
_WWW = re.compile(r"(?i)\bwww(?=\.)")
_ISSUE_REF = re.compile(r"(?i)\b(gh)(?=-\d)")
# Characters that start Markdown inline syntax: code, emphasis, strikethrough, links, images,
# footnotes, table cells, headings' closing sequences, math. ``\`` is doubled before these.
_MARKDOWN_PUNCTUATION = re.compile(r"([`*_~\[\]|#$])")
# A dot inside a word ("evil.com", "model.json"): markdown-it's linkify links bare domains.
_WORD_DOT = re.compile(r"(?<=\S)\.(?=[^\W\d_])")
# What would start a block at the beginning of a line (a list item's or quote's first line).
# (A leading "-" before a digit is a negative number, and "1.5" is no list item.)
_LEADING_BLOCK = re.compile(r"^(\s*)([-+=])(?!\d)")
_LEADING_ORDERED = re.compile(r"^(\s*\d{1,9})([.)])(?=\s|$)")


class Safe(str):
    """Markdown already escaped for the place it is written to; emitted as it is."""

    __slots__ = ()


def one_line(value: object) -> str:
    """``value`` as text on one line: CR, LF and CRLF become spaces."""
    return _LINE_BREAK.sub(" ", str(value))


def defang(text: str) -> str:
    """Break what GitHub or a linkifier would turn into a link or a notification.

    A ZERO WIDTH JOINER goes after ``@`` (mentions, e-mail addresses), after ``#`` before a
    word character and inside ``GH-1`` (issue references), before the ``:`` of a URL scheme,
    between the slashes of ``//`` and after ``www`` (autolinks). The text reads the same.
    Safe in no context by itself: the other functions here call it, then escape.
    """
    text = text.replace("@", "@" + ZWJ)
    text = re.sub(r"#(?=\w)", "#" + ZWJ, text)
    text = _ISSUE_REF.sub(lambda m: m.group(1) + ZWJ, text)
    text = _SCHEME.sub(lambda m: m.group(1) + ZWJ, text)
    text = re.sub(r"/(?=/)", "/" + ZWJ, text)
    return _WWW.sub(lambda m: m.group(0) + ZWJ, text)


def markdown_text(value: object) -> Safe:
    """Escape ``value`` as Markdown inline text: a paragraph, list item, quote, heading, or
    a table cell.

    Line breaks become spaces (a table row or list item cannot be ended); ``&``, ``<``, ``>``
    become entities (no raw HTML, no ``<https://…>`` autolink, no ``<!--``); Markdown's inline
    punctuation is backslash-escaped (code, emphasis, links and images, ``|`` cell separators,
    headings' closing ``#``), and so is a block marker at the start; dots inside words are
    escaped so that no linkifier sees a domain; ``defang`` breaks mentions, references and URLs.
    """
    text = defang(one_line(value))
    text = text.replace("\\", "\\\\")
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MARKDOWN_PUNCTUATION.sub(r"\\\1", text)
    text = _WORD_DOT.sub(r"\\.", text)
    text = _LEADING_BLOCK.sub(r"\1\\\2", text)
    return Safe(_LEADING_ORDERED.sub(r"\1\\\2", text))


def _no_comment_opener(text: str) -> str:
    # Code is shown literally, so "<!--" cannot be an entity there; the joiner keeps it from
    # forming the sticky comment's marker on a line of its own (a fenced block's line).
    return text.replace("<!--", "<!" + ZWJ + "--")


def _longest_run(text: str, chars: str) -> int:
    runs = re.findall(f"[{re.escape(chars)}]+", text)
    return max((len(run) for run in runs), default=0)


def markdown_code(value: object, *, table_cell: bool = False) -> Safe:
    """``value`` as an inline code span, shown literally; outside a table unless ``table_cell``.

    The span's backtick fence is one longer than the longest backtick run in the value, so
    nothing in it can close the span; a space pads a value that starts or ends with a backtick
    or a space (CommonMark strips one from each side). Line breaks become spaces. In a table
    cell each ``|`` is escaped as ``\\|`` (GFM splits cells before parsing code spans) and a
    backslash just before a ``|`` is kept from pairing with that escape by a ZERO WIDTH JOINER.
    GitHub links nothing inside code, so mentions and URLs stay as they are.
    """
    text = _no_comment_opener(one_line(value))
    if not text:
        return Safe("` `")
    if table_cell:
        text = re.sub(r"\\(?=\|)", lambda _: "\\" + ZWJ, text).replace("|", "\\|")
    fence = "`" * (_longest_run(text, "`") + 1)
    if text[0] in "` " or text[-1] in "` ":
        text = f" {text} "
    return Safe(f"{fence}{text}{fence}")


def markdown_table_code(value: object) -> Safe:
    """``markdown_code`` for a code span inside a GFM table cell."""
    return markdown_code(value, table_cell=True)


def fenced_block(value: object, info: str = "") -> Safe:
    """``value`` as a fenced code block (the fence lines included), shown literally.

    The fence is backticks, at least three and one more than the longest run of backticks or
    tildes in the content, so no line of it can close the block. Line breaks are kept (CR and
    CRLF become LF). ``info`` must be a constant of the template (``sh``), never report text.
    """
    if "`" in info or "\n" in info:
        raise ValueError(f"fence info string {info!r} must be a plain word")
    text = _no_comment_opener(_LINE_BREAK.sub("\n", str(value)))
    fence = "`" * max(3, _longest_run(text, "`~") + 1)
    return Safe(f"{fence}{info}\n{text}\n{fence}")


def html_text(value: object) -> Safe:
    """``value`` as text inside an HTML block, e.g. ``<details><summary>…</summary>``.

    Markdown is not parsed there, so HTML escaping (``& < > " '``) is what counts; line breaks
    become spaces (a blank line would end the HTML block) and ``defang`` breaks mentions and
    links, which GitHub finds in HTML text too.
    """
    return Safe(html.escape(defang(one_line(value)), quote=True))


def neutralize_comment_openers(markdown: str) -> str:
    """Rendered Markdown with every ``<!--`` shown as text, never opening an HTML comment.

    A last guard for the sticky comment's body: rendered report text is already escaped by the
    functions above, so this only changes a template that writes ``<!--`` itself.
    """
    return markdown.replace("<!--", "&lt;!--")
