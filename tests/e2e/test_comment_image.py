"""The pull request comment as GitHub shows it: the demo model's real comment (4 artifacts),
rendered as GFM and laid out by headless Chromium at GitHub's comment width (780 px), must not
overflow sideways nor show Markdown or HTML as text. The same page makes docs/images/comment.png
(``make comment-image``). Chromium comes from .ci/run's setup; without it the test skips,
except in CI (CI=true), where a missing browser is a failure."""

from __future__ import annotations

import os
from typing import Any

import pytest

from support.comment_page import (
    comment_markdown,
    convert_demo,
    escaping_mistakes,
    find_chromium,
    measure,
    overflows,
)

pytestmark = pytest.mark.tf


@pytest.fixture(scope="module")
def chromium() -> str:
    found = find_chromium()
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is not installed: .ci/run installs it (apt-get install chromium)")
        pytest.skip("chromium is not installed (apt-get install chromium); CI runs this test")
    return found


@pytest.fixture(scope="module")
def demo_comment(chromium: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    return comment_markdown(convert_demo(tmp_path_factory.mktemp("demo")))


@pytest.fixture(scope="module")
def measured(chromium: str, demo_comment: str) -> dict[str, Any]:
    return measure(chromium, demo_comment)


def test_the_demo_comment_lists_its_four_artifacts(demo_comment: str) -> None:
    for name in ("float32.tflite", "dynamic.tflite", "float16.tflite", "float32.onnx"):
        assert f"tiny_classifier_{name}" in demo_comment
    assert demo_comment.startswith("<!-- hub-convert:")


def test_the_comment_fits_githubs_comment_width(measured: dict[str, Any]) -> None:
    assert measured["tables"], "the comment has tables"
    assert overflows(measured) == []


def test_no_markdown_or_html_shows_as_text(measured: dict[str, Any]) -> None:
    assert "all 4 artifacts passed validation" in measured["prose"]
    assert escaping_mistakes(measured) == []


def test_the_checks_see_what_they_look_for(chromium: str) -> None:
    # The measurements must be able to fail: a wide table and visible escaping are reported.
    wide = "| " + " | ".join(f"column_{i}_wide_header" for i in range(12)) + " |\n"
    wide += "|" + "---|" * 12 + "\n" + "| x " * 12 + "|\n"
    # Each escaped once too often: ** and a backslash show, entities show as text.
    broken = "a \\*\\*bold\\*\\* my\\\\_name, &amp;lt;b&amp;gt; and `&amp;amp;`\n\n| a | b |\n"
    measured = measure(chromium, wide + "\n" + broken)

    found = overflows(measured)
    assert len(found) == 1
    assert found[0].startswith("table (column_0_wide_header, column_1_wide_header")
    kinds = {line.split(" in the ")[0] for line in escaping_mistakes(measured)}
    assert {"literal **", "a backslash escape", "an HTML entity", "a table pipe"} <= kinds
