"""The pull request comment as a reviewer sees it: rendered as GFM, laid out in headless Chromium.

``make comment-image`` writes docs/images/comment.png from the demo model's real comment
(``python -m support.comment_page docs/images/comment.png`` with tests/ on the path), and
tests/e2e/test_comment_image.py measures the same page for horizontal overflow and for
Markdown or HTML that shows as text. The page approximates GitHub's comment box: a 780 px
body, GitHub's markdown CSS for what the report uses (system font, bordered tables that
scroll inside the comment when too wide, code spans). No network: the page loads nothing.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from hub_convert.github.comment_body import build_comment_body, comment_key
from hub_convert.report.schema import Report
from support.markdown_html import to_html

ROOT = Path(__file__).resolve().parents[2]
BODY_WIDTH = 780
# The comment body, its 16 px padding and the page margin around the box.
WINDOW_WIDTH = BODY_WIDTH + 2 * 16 + 2 * 24
RUN_URL = "https://github.com/org/repo/actions/runs/1"
ARTIFACT_URL = "https://github.com/org/repo/actions/runs/1/artifacts/2"

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
)

# GitHub's markdown-body rules for the elements the report uses, approximated.
_CSS = """
body { margin: 0; padding: 24px; background: #fff; color: #1f2328;
  font-family: -apple-system, BlinkMacSystemFont, "Segoe UI", "Noto Sans", Helvetica, Arial,
  "Liberation Sans", sans-serif; font-size: 14px; line-height: 1.5; }
.box { width: BODY_WIDTHpx; border: 1px solid #d1d9e0; border-radius: 6px; }
.header { background: #f6f8fa; border-bottom: 1px solid #d1d9e0; padding: 8px 16px;
  color: #59636e; border-radius: 6px 6px 0 0; }
.header b { color: #1f2328; }
.markdown-body { padding: 16px; width: BODY_WIDTHpx; box-sizing: border-box;
  overflow-wrap: break-word; }
.markdown-body > *:first-child { margin-top: 0; }
.markdown-body > *:last-child { margin-bottom: 0; }
h1, h2, h3 { margin: 24px 0 16px; font-weight: 600; line-height: 1.25; }
h2 { font-size: 1.5em; padding-bottom: .3em; border-bottom: 1px solid #d1d9e0; }
h3 { font-size: 1.25em; }
p, ul, ol, table, pre, details, blockquote { margin: 0 0 16px; }
ul, ol { padding-left: 2em; }
a { color: #0969da; text-decoration: none; }
code { font-family: ui-monospace, SFMono-Regular, "SF Mono", Menlo, Consolas,
  "Liberation Mono", "DejaVu Sans Mono", monospace; font-size: 85%; padding: .2em .4em;
  background: rgba(129, 139, 152, .12); border-radius: 6px; }
pre { padding: 16px; overflow: auto; background: #f6f8fa; border-radius: 6px;
  font-size: 85%; line-height: 1.45; }
pre code { padding: 0; background: transparent; font-size: 100%; }
table { display: block; width: max-content; max-width: 100%; overflow: auto;
  border-spacing: 0; border-collapse: collapse; }
th, td { padding: 6px 13px; border: 1px solid #d1d9e0; }
th { font-weight: 600; }
tr:nth-child(2n) { background: #f6f8fa; }
summary { cursor: pointer; }
""".replace("BODY_WIDTH", str(BODY_WIDTH))

# Written into the page by the page itself, read back from Chromium's --dump-dom.
_MEASURE = """
<script>
(() => {
  const body = document.querySelector('.markdown-body');
  const page = document.scrollingElement;
  const tables = [...body.querySelectorAll('table')].map((t) => ({
    scroll: t.scrollWidth, client: t.clientWidth,
    first: [...(t.rows[0] || {cells: []}).cells].map((c) => c.textContent.trim())
      .join(', ').slice(0, 80)}));
  const prose = [], code = [];
  const walker = document.createTreeWalker(body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    (node.parentElement.closest('code, pre') ? code : prose).push(node.data);
  }
  const out = document.createElement('pre');
  out.id = 'measurements';
  out.textContent = JSON.stringify({
    page: {scroll: page.scrollWidth, client: page.clientWidth},
    body: {scroll: body.scrollWidth, client: body.clientWidth},
    tables, prose: prose.join(''), code: code.join('\\n')});
  document.body.appendChild(out);
})();
</script>
"""

# What a reader must never see in rendered prose: Markdown or HTML that was not rendered
# (or was escaped twice). Code spans show their text literally, so only entities count there.
PROSE_MISTAKES = {
    "literal **": re.compile(r"\*\*"),
    "literal __": re.compile(r"(?<!\w)__|__(?!\w)"),
    "a backtick": re.compile(r"`"),
    # |value| is prose; a pipe standing alone or before a dash rule is a broken table row.
    "a table pipe": re.compile(r"(?:^|\s)\|(?:\s|$)|\|-{3}", re.M),
    "a backslash escape": re.compile(r"\\[!-/:-@\[-`{-~]"),
    "an HTML entity": re.compile(r"&(?:[a-zA-Z]+|#\d+|#x[0-9a-fA-F]+);"),
    "an HTML tag": re.compile(r"</?[a-zA-Z][^>]*>|<!--|-->"),
}
CODE_MISTAKES = {"an HTML entity": PROSE_MISTAKES["an HTML entity"]}


def find_chromium() -> str | None:
    """The Chromium binary (Debian's ``chromium``, else ``chromium-browser``), or None."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


def convert_demo(work: Path) -> Path:
    """Build the demo model and convert it with the defaults, as ``make demo``; its report.json."""
    # Relative, as a workflow names it: the path is the comment's title.
    model, out = Path("models/tiny_classifier"), Path("out")
    bin_dir = Path(sys.executable).parent
    quiet = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    subprocess.run(
        [sys.executable, str(ROOT / "examples/make_demo_model.py"), str(model)],
        cwd=work,
        check=True,
        capture_output=True,
        env=quiet,
    )
    done = subprocess.run(
        [str(bin_dir / "hub-convert"), "convert", str(model), "--output-dir", str(out)],
        cwd=work,
        capture_output=True,
        text=True,
        env=quiet,
    )
    if done.returncode != 0:
        raise RuntimeError(f"hub-convert convert exited {done.returncode}: {done.stderr[-2000:]}")
    return work / out / "report.json"


def comment_markdown(report_json: Path) -> str:
    """The comment body exactly as publishing builds it for this report."""
    report = Report.load(report_json)
    return build_comment_body(
        report,
        key=comment_key("models/tiny_classifier"),
        run_url=RUN_URL,
        artifact_url=ARTIFACT_URL,
    )


def comment_page(markdown: str, *, measure: bool = False) -> str:
    """A standalone HTML page showing ``markdown`` rendered as GFM inside a comment box."""
    script = _MEASURE if measure else ""
    return (
        '<!doctype html><html><head><meta charset="utf-8"><title>comment</title>'
        f"<style>{_CSS}</style></head><body>"
        '<div class="box"><div class="header"><b>github-actions</b> bot commented</div>'
        f'<div class="markdown-body">{to_html(markdown)}</div></div>{script}</body></html>'
    )


def _chromium(chromium: str, page: str, *args: str) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "comment.html"
        path.write_text(page, encoding="utf-8")
        profile = Path(scratch) / "profile"
        return subprocess.run(
            [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args, path.as_uri()],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )


def measure(chromium: str, markdown: str) -> dict[str, Any]:
    """Widths (page, comment body, each table) and the rendered text, from Chromium's layout."""
    done = _chromium(
        chromium,
        comment_page(markdown, measure=True),
        f"--window-size={WINDOW_WIDTH},1000",
        "--dump-dom",
    )
    found = re.search(r'<pre id="measurements">(.*?)</pre>', done.stdout, re.S)
    if found is None:
        raise RuntimeError(f"no measurements in Chromium's DOM: {done.stderr[-2000:]}")
    measured: dict[str, Any] = json.loads(html.unescape(found[1]))
    return measured


def overflows(measured: dict[str, Any]) -> list[str]:
    """Everything wider than its box: the page, the comment body, each table."""
    found = [
        f"{name}: {measured[name]['scroll']} px of content in {measured[name]['client']} px"
        for name in ("page", "body")
        if measured[name]["scroll"] > measured[name]["client"]
    ]
    found += [
        f"table ({table['first']}): {table['scroll']} px of content in {table['client']} px"
        for table in measured["tables"]
        if table["scroll"] > table["client"]
    ]
    return found


def escaping_mistakes(measured: dict[str, Any]) -> list[str]:
    """Raw Markdown or HTML visible in the rendered text, each with some context."""
    found = []
    for where, text, patterns in (
        ("text", measured["prose"], PROSE_MISTAKES),
        ("code", measured["code"], CODE_MISTAKES),
    ):
        for kind, pattern in patterns.items():
            for match in pattern.finditer(text):
                context = text[max(0, match.start() - 30) : match.end() + 30]
                found.append(f"{kind} in the {where}: {context!r}")
    return found


def screenshot(chromium: str, markdown: str, png: Path, *, height: int) -> None:
    """A PNG of the comment's first ``height`` pixels at GitHub's comment width."""
    png.parent.mkdir(parents=True, exist_ok=True)
    _chromium(
        chromium,
        comment_page(markdown),
        f"--window-size={WINDOW_WIDTH},{height}",
        f"--screenshot={png.resolve()}",
    )


def main(argv: list[str]) -> int:
    """``comment_page.py PNG [REPORT_JSON]``: screenshot the demo's comment (converted anew)."""
    if not argv or len(argv) > 2:
        print("usage: comment_page.py PNG [REPORT_JSON]", file=sys.stderr)
        return 2
    chromium = find_chromium()
    if chromium is None:
        print("comment_page: no chromium on PATH (apt-get install chromium)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as work:
        report = Path(argv[1]) if len(argv) == 2 else convert_demo(Path(work))
        markdown = comment_markdown(report)
        screenshot(chromium, markdown, Path(argv[0]), height=900)
        for problem in overflows(measure(chromium, markdown)):
            print(f"comment_page: overflow: {problem}", file=sys.stderr)
    print(f"wrote {argv[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
