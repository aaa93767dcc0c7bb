"""What a publish run did: the step outputs it sets and the problems it annotated."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

from .comment_decision import Level

BodyBuilder = Callable[[str | None, int], str]
"""(the uploaded artifact's URL or None, the length limit) -> the comment body."""


@dataclass(frozen=True)
class Problem:
    """Something that went wrong (or was skipped) while publishing, as annotated."""

    level: Level
    stage: str
    message: str


@dataclass
class PublishResult:
    """What ``publish`` did; ``outputs()`` are the step outputs it sets."""

    comment_body: str = ""
    comment_url: str | None = None
    comment_action: str = "skipped"
    artifact_name: str | None = None
    artifact_id: int | None = None
    artifact_url: str | None = None
    release_asset_urls: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        """Problems at error level (a failed stage)."""
        return [p for p in self.problems if p.level == "error"]

    @property
    def ok(self) -> bool:
        """True when no stage failed (warnings, such as a read-only token, are fine)."""
        return not self.errors

    def outputs(self) -> dict[str, str]:
        """Step outputs: comment-url, comment-body, artifact-name, artifact-id, artifact-url,
        release-assets."""
        return {
            "comment-url": self.comment_url or "",
            "comment-body": self.comment_body,
            "artifact-name": self.artifact_name or "",
            "artifact-id": "" if self.artifact_id is None else str(self.artifact_id),
            "artifact-url": self.artifact_url or "",
            "release-assets": json.dumps(self.release_asset_urls, separators=(",", ":")),
        }
