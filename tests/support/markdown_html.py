"""Render Markdown as GitHub would and list what in it is live: for the untrusted-report tests.

markdown-it-py's "gfm-like" preset (tables, strikethrough, raw HTML allowed, linkify) is the
real CommonMark/GFM renderer here; linkify-it-py (requirements-dev.txt) makes it link bare
URLs, ``www.`` and e-mail addresses, and bare domains too, which is stricter than GitHub.
GitHub also links @mentions, ``#1`` / ``GH-1`` references and URLs in the text of the HTML it
renders (outside code and links); ``live_text`` finds those in the rendered text.
"""

from __future__ import annotations

import importlib.util
import re
from html.parser import HTMLParser

from markdown_it import MarkdownIt

from hub_convert.report.markdown_safety import ZWJ

LINKIFY = importlib.util.find_spec("linkify_it") is not None

# The elements Markdown itself produces for the report template; anything else is raw HTML
# that got through (img, script, a with a foreign href, …).
RENDERED_TAGS = frozenset(
    [
        "h2",
        "h3",
        "p",
        "strong",
        "em",
        "ul",
        "ol",
        "li",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "code",
        "pre",
        "blockquote",
        "br",
        "hr",
        "details",
        "summary",
        "sub",
        "a",
    ]
)
_ALLOWED_ATTRIBUTES = {("th", "style"), ("td", "style"), ("code", "class"), ("a", "href")}

# What GitHub would turn into a link or a notification in text outside code and links.
_LIVE_TEXT = {
    "mention": re.compile(r"(?<![\w`])@[A-Za-z0-9]"),
    "issue reference": re.compile(r"(?<![\w&])#\d|\bGH-\d", re.IGNORECASE),
    "URL": re.compile(r"\b(?:https?|ftp|mailto|xmpp)://|\bwww\.", re.IGNORECASE),
}


def to_html(markdown: str) -> str:
    """``markdown`` rendered by markdown-it-py as GFM (with linkify when it is installed)."""
    md = MarkdownIt("gfm-like", {"linkify": LINKIFY})
    if not LINKIFY:
        md.disable("linkify")
    return md.render(markdown)


class Page(HTMLParser):
    """The parts of rendered HTML that the tests look at."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.comments: list[str] = []
        self.code: list[str] = []
        """Text of each <code> element (inline spans and fenced blocks)."""
        self.text: list[str] = []
        """Text outside <code>, <pre> and <a>: where GitHub links mentions and references."""
        self._inside: list[str] = []

    @classmethod
    def of(cls, markdown: str) -> Page:
        page = cls()
        page.feed(to_html(markdown))
        page.close()
        return page

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))
        if tag in ("code", "pre", "a"):
            self._inside.append(tag)
            if tag == "code":
                self.code.append("")

    def handle_endtag(self, tag: str) -> None:
        if self._inside and self._inside[-1] == tag:
            self._inside.pop()

    def handle_comment(self, data: str) -> None:
        self.comments.append(data)

    def handle_data(self, data: str) -> None:
        if "code" in self._inside:
            self.code[-1] += data
        elif not self._inside:
            self.text.append(data)

    # -- what the tests assert -----------------------------------------------------------------

    def foreign_html(self) -> list[str]:
        """Elements and attributes Markdown did not make itself: raw HTML that went through."""
        found = [f"<{tag}>" for tag, _ in self.tags if tag not in RENDERED_TAGS]
        for tag, attrs in self.tags:
            found += [
                f"<{tag} {name}>" for name, _ in attrs if (tag, name) not in _ALLOWED_ATTRIBUTES
            ]
        return found

    def links(self) -> list[str]:
        """Every link's target."""
        return [dict(attrs).get("href") or "" for tag, attrs in self.tags if tag == "a"]

    def live_text(self) -> list[str]:
        """Mentions, references and URLs GitHub would link in the text around code."""
        text = " ".join(self.text)
        return [
            f"{kind}: {match.group(0)!r}"
            for kind, pattern in _LIVE_TEXT.items()
            for match in pattern.finditer(text)
        ]

    def visible_text(self) -> str:
        """All text as a reader sees it (the invisible joiners removed)."""
        return "".join(self.text).replace(ZWJ, "")

    def code_texts(self) -> list[str]:
        return [c.replace(ZWJ, "") for c in self.code]


def assert_nothing_live(markdown: str, *, links: tuple[str, ...] = ()) -> Page:
    """The checks every hostile rendering must pass; returns the parsed page for more."""
    assert "<!--" not in markdown
    page = Page.of(markdown)
    assert page.foreign_html() == []
    assert page.comments == []
    assert [link for link in page.links() if link not in links] == []
    assert page.live_text() == []
    return page
