"""The pull request comment's text: hidden marker, rendered report, footer; kept under the limit.

The marker is the body's first line and nothing else in the body can open an HTML comment, so
a report's text cannot make its comment carry (or look like) another model's marker.
"""

from __future__ import annotations

import hashlib
import re

from ..report.markdown_safety import neutralize_comment_openers
from ..report.render import render_report
from ..report.schema import Report

# GitHub rejects issue comment bodies longer than this (422 "body is too long").
COMMENT_LIMIT = 65_536
_MAX_KEY = 100
# Room kept for the closing tags and fences a truncated body needs.
_CLOSING_ROOM = 200
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


def comment_key(source: str) -> str:
    """The marker key for ``source``: the ``comment-key`` setting, else the model path.

    The caller chooses ``source`` from its own settings, never from report text it did not
    produce. Reduced to characters that cannot end the HTML comment (no ``>``, no ``--``), and
    shortened with a hash when long, so the same model always finds the same comment.
    """
    raw = source.strip() or "model"
    key = re.sub(r"[^A-Za-z0-9._/:@+=-]", "_", raw)
    key = re.sub(r"-{2,}", "-", key)
    if len(key) > _MAX_KEY:
        digest = hashlib.sha256(raw.encode("utf-8")).hexdigest()[:12]
        key = f"{key[: _MAX_KEY - 13]}~{digest}"
    return key


def comment_marker(key: str) -> str:
    """The hidden first line that identifies hub-convert's comment for ``key``."""
    return f"<!-- hub-convert:{key} -->"


def carries_marker(body: str | None, marker: str) -> bool:
    """True when ``marker`` is the exact first line of ``body`` (GitHub may send CRLF).

    Only the first line counts: report text further down can never make a comment look like
    another model's (and rendered text cannot contain ``<!--`` anyway).
    """
    first = (body or "").split("\n", 1)[0].removesuffix("\r")
    return first == marker


def _footer(run_url: str | None, artifact_url: str | None) -> str:
    links = []
    if run_url:
        links.append(f"[workflow run]({run_url})")
    if artifact_url:
        links.append(f"[converted files]({artifact_url})")
    return f"\n<sub>{' · '.join(links)}</sub>\n" if links else ""


def _open_blocks(text: str) -> tuple[str | None, int]:
    """The code fence still open at the end of ``text`` (or None), and how many ``<details>``.

    Only the template's own lines count: a ``<details>`` line is one outside a code block.
    """
    fence: str | None = None
    details = 0
    for line in text.splitlines():
        stripped = line.strip()
        if fence is not None:
            if stripped and set(stripped) == {fence[0]} and len(stripped) >= len(fence):
                fence = None
            continue
        if opening := _FENCE.match(line):
            fence = opening.group(1)
        elif stripped.startswith("<details"):
            details += 1
        elif stripped.startswith("</details>"):
            details -= 1
    return fence, max(0, details)


def truncate_markdown(text: str, budget: int) -> str:
    """At most ``budget`` characters of ``text``, cut at a line end, with open blocks closed.

    An unclosed code fence or ``<details>`` would swallow everything after it on GitHub.
    """
    if len(text) <= budget:
        return text
    head = text[: max(0, budget - _CLOSING_ROOM)]
    while True:
        head = head[: head.rindex("\n") + 1] if "\n" in head else ""
        fence, open_details = _open_blocks(head)
        closing = (f"{fence}\n" if fence else "") + "\n</details>\n" * open_details
        over = len(head) + len(closing) - budget
        if over <= 0:
            return head + closing
        head = head[: len(head) - over - 1]  # a long fence needs more room: cut further


def fit_comment(
    marker: str,
    full: str,
    short: str,
    *,
    run_url: str | None,
    artifact_url: str | None,
    limit: int = COMMENT_LIMIT,
) -> str:
    """Marker + report + footer within ``limit``: the full report, else the short one, else cut.

    ``short`` is the report without detail tables; when even that is too long it is truncated
    with a note pointing to the run summary and the artifact, where the full report is.
    """
    footer = _footer(run_url, artifact_url)
    full, short = neutralize_comment_openers(full), neutralize_comment_openers(short)
    for body in (full, short):
        text = f"{marker}\n{body.rstrip()}\n{footer}"
        if len(text) <= limit:
            return text
    where = [
        f"[the run summary]({run_url})" if run_url else None,
        f"[the converted files]({artifact_url})" if artifact_url else None,
    ]
    found = " and ".join(w for w in where if w) or "`report.md` in the output directory"
    note = (
        f"\n\n---\n**Report truncated** to fit GitHub's {limit:,}-character comment limit. "
        f"The full report is in {found}.\n"
    )
    budget = limit - len(marker) - 1 - len(note) - len(footer)
    return f"{marker}\n{truncate_markdown(short, budget).rstrip()}{note}{footer}"


def build_comment_body(
    report: Report,
    *,
    key: str,
    run_url: str | None,
    artifact_url: str | None = None,
    limit: int = COMMENT_LIMIT,
) -> str:
    """The comment for ``report``: marker line, rendered report, links to the run / artifact."""
    full = render_report(report, details=True)
    short = render_report(report, details=False) if len(full) + 200 > limit else full
    return fit_comment(
        comment_marker(key),
        full,
        short,
        run_url=run_url,
        artifact_url=artifact_url,
        limit=limit,
    )
