"""The pull request's base commit as the event names it: a value that is not a commit sha is
said (a notice names what was wrong), never skipped silently."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub_convert.github.context import GitHubContext
from hub_convert.run.git_base import pull_request_base


def _context(base: object) -> GitHubContext:
    return GitHubContext(
        event_name="pull_request", event={"pull_request": {"number": 3, "base": base}}
    )


@pytest.mark.parametrize(
    ("base", "said"),
    [
        ({"ref": "main", "sha": "--output=/tmp/x"}, "'--output=/tmp/x' is not a commit sha"),
        ({"ref": "main", "sha": "ABC"}, "'ABC' is not a commit sha"),
        ({"ref": "main", "sha": 7}, "base.sha is not a commit sha"),
        ({"ref": "main"}, "has no base.sha"),
        ("main", "has no base.sha"),
    ],
)
def test_a_malformed_base_sha_is_a_reason_naming_it(
    tmp_path: Path, base: object, said: str
) -> None:
    lines: list[str] = []
    found = pull_request_base(_context(base), tmp_path, "models/m", tmp_path / "b", lines.append)
    assert found is not None and found.model is None
    assert found.reason is not None and said in found.reason, found.reason
    assert found.reason.isprintable()


def test_not_a_pull_request_has_no_base(tmp_path: Path) -> None:
    context = GitHubContext(event_name="push", event={})
    assert pull_request_base(context, tmp_path, "models/m", tmp_path / "b", print) is None
