"""The report: one typed tree, serialised as ``report.json``.

``report.json`` is the contract between stages. The templates read only it, and
``hub-convert publish`` validates it with these models before posting anything, so a
report produced by an untrusted job (a fork's pull request) is checked, not trusted.
The sections are in source_info.py, artifact.py, run_info.py and comparison_schema.py.
This module must not import TensorFlow.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from .artifact import Artifact
from .comparison_schema import Comparison
from .device import DEVICE_RULES, DeviceRule
from .limits import MAX_REPORT_BYTES, UNTRUSTED, Command, Count, Name
from .plain_text import printable
from .run_info import Environment, Timings, ValidationSetup, Verdict
from .source_info import SourceInfo
from .strict_model import StrictModel
from .vocabulary import FAIL_RULES, FailRule

SCHEMA_VERSION = 4
# 3 added the optional `timings` and `comparison`, 4 an output's optional `rederived`; an older
# report is a valid newer one.
READABLE_SCHEMA_VERSIONS = (2, 3, 4)


class Report(StrictModel):
    """The whole run. ``report.json`` is this, dumped."""

    schema_version: Count = SCHEMA_VERSION
    tool_version: Name
    created_at: Name
    command: Command
    source: SourceInfo
    environment: Environment
    validation: ValidationSetup
    fail_on: list[FailRule] = Field(max_length=len(FAIL_RULES))
    require: list[DeviceRule] = Field(
        default_factory=list,
        max_length=len(DEVICE_RULES),
        description="Where each file must run (require rules); empty: no such gate.",
    )
    artifacts: list[Artifact] = Field(max_length=64)
    verdict: Verdict
    timings: Timings | None = None
    comparison: Comparison | None = Field(
        default=None, description="Base → head changes, when the run had a base to compare with."
    )

    def artifact(self, target: str, variant: str) -> Artifact | None:
        """The artifact of ``target`` and ``variant``, or None when the run made none."""
        for artifact in self.artifacts:
            if artifact.target == target and artifact.variant == variant:
                return artifact
        return None

    def to_json(self) -> str:
        """``report.json``'s text: indented, with a final newline."""
        return self.model_dump_json(indent=2) + "\n"

    @classmethod
    def load(cls, path: Path) -> Report:
        """Read and validate a report.json; raises BadInputError naming the file."""
        from pydantic import ValidationError

        from ..errors import BadInputError

        try:
            if path.stat().st_size > MAX_REPORT_BYTES:
                raise BadInputError(
                    f"{path}: over {MAX_REPORT_BYTES // 2**20} MiB, not a hub-convert report"
                )
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise BadInputError(f"{path}: cannot read report ({exc.strerror})") from exc
        except UnicodeDecodeError as exc:
            raise BadInputError(f"{path}: not a hub-convert report (not UTF-8)") from exc
        try:
            report = cls.model_validate_json(text, context={UNTRUSTED: True})
        except ValidationError as exc:
            first = exc.errors()[0]
            # The location may hold a key from the file: shown printable, on one line, short.
            where = ".".join(str(p) for p in first["loc"]) or "(top level)"
            where, why = printable(where, 120), printable(first["msg"], 200)
            raise BadInputError(
                f"{path}: not a hub-convert report ({where}: {why}); "
                "pass the report.json written by `hub-convert convert`"
            ) from exc
        if report.schema_version not in READABLE_SCHEMA_VERSIONS:
            readable = " and ".join(map(str, READABLE_SCHEMA_VERSIONS))
            raise BadInputError(
                f"{path}: report schema_version {report.schema_version} is not supported "
                f"(this hub-convert reads {readable}); use the matching hub-convert version"
            )
        return report
