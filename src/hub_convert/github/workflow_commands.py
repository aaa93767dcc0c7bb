"""GitHub Actions workflow commands: annotations, log groups, masks, outputs, step summary.

The runner reads ``::command key=value::data`` lines from the step's stdout, and outputs /
summary from the files named by ``GITHUB_OUTPUT`` / ``GITHUB_STEP_SUMMARY``. Everything that
reaches the log goes through the escaping here, so text from a report (which may come from an
untrusted pull request) cannot start a workflow command of its own, and through
``redaction.redact_urls``, so no URL's query string (a signed URL's credential) is logged.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from ..log_text import inert_line
from .redaction import redact_urls

# GitHub rejects a step summary over 1 MiB ("supports content up to a size of 1024k").
SUMMARY_LIMIT_BYTES = 1024 * 1024
_SUMMARY_TRUNCATED_NOTE = (
    "\n\n> [!WARNING]\n> Summary truncated: GitHub keeps at most 1 MiB per step. "
    "The full report is in `report.md` in the output directory / workflow artifact.\n"
)


def escape_data(value: str) -> str:
    """Escape the message part of a workflow command (``%``, CR, LF)."""
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    """Escape a ``key=value`` property of a workflow command (data escapes plus ``:`` and ``,``)."""
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


class WorkflowCommands:
    """Writes workflow commands to a stream and outputs / summary to the runner's files.

    Without ``GITHUB_OUTPUT`` / ``GITHUB_STEP_SUMMARY`` (a local run) outputs and summary are
    kept in memory only (``self.outputs``), so the same code runs on a laptop.
    """

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        output_file: Path | None = None,
        summary_file: Path | None = None,
        summary_limit: int = SUMMARY_LIMIT_BYTES,
    ) -> None:
        self._stream = stream
        self.output_file = output_file
        self.summary_file = summary_file
        self.summary_limit = summary_limit
        self.outputs: dict[str, str] = {}
        self._masked: set[str] = set()

    @classmethod
    def from_env(cls, env: Mapping[str, str], stream: TextIO | None = None) -> WorkflowCommands:
        """Commands bound to the files the runner names in ``env`` (missing ones are skipped)."""
        output = env.get("GITHUB_OUTPUT") or None
        summary = env.get("GITHUB_STEP_SUMMARY") or None
        return cls(
            stream,
            output_file=Path(output) if output else None,
            summary_file=Path(summary) if summary else None,
        )

    # -- log -------------------------------------------------------------------------------

    def _write(self, line: str) -> None:
        # Resolve sys.stdout late so redirected / captured stdout is honoured.
        stream = self._stream if self._stream is not None else sys.stdout
        stream.write(line + "\n")
        stream.flush()

    def command(self, name: str, message: str = "", **properties: str | int | None) -> None:
        """Emit ``::name key=value,...::message`` with every part escaped and, but for
        ``add-mask``, URL query strings redacted."""
        clean = (lambda text: text) if name == "add-mask" else redact_urls
        props = ",".join(
            f"{key}={escape_property(clean(str(value)))}"
            for key, value in properties.items()
            if value is not None and value != ""
        )
        self._write(f"::{name}{' ' + props if props else ''}::{escape_data(clean(message))}")

    def info(self, message: str) -> None:
        """A plain log line (newlines flattened so it stays one line, query strings redacted)."""
        self._write(inert_line(redact_urls(message)))

    def debug(self, message: str) -> None:
        """A line shown only when step debug logging is on."""
        self.command("debug", message)

    def error(
        self,
        message: str,
        file: str | None = None,
        *,
        line: int | None = None,
        title: str | None = None,
    ) -> None:
        """An error annotation (does not fail the step by itself)."""
        self.command("error", message, file=file, line=line, title=title)

    def warning(
        self,
        message: str,
        file: str | None = None,
        *,
        line: int | None = None,
        title: str | None = None,
    ) -> None:
        """A warning annotation."""
        self.command("warning", message, file=file, line=line, title=title)

    def notice(
        self,
        message: str,
        file: str | None = None,
        *,
        line: int | None = None,
        title: str | None = None,
    ) -> None:
        """A notice annotation."""
        self.command("notice", message, file=file, line=line, title=title)

    @contextmanager
    def group(self, name: str) -> Iterator[None]:
        """Fold everything logged inside the ``with`` block under ``name``."""
        self.command("group", name)
        try:
            yield
        finally:
            self.command("endgroup")

    def add_mask(self, value: str | None) -> None:
        """Ask the runner to replace ``value`` with ``***`` in all later log output."""
        if not value:
            return
        for part in value.splitlines():
            # Each line of a multi-line secret is masked on its own by the runner.
            if part.strip() and part not in self._masked:
                self._masked.add(part)
                self.command("add-mask", part)

    # -- outputs and summary -----------------------------------------------------------------

    def set_output(self, name: str, value: str) -> None:
        """Set a step output, in the ``name<<DELIMITER`` form so any value (multi-line) is safe."""
        if not name or "\n" in name or "\r" in name:
            raise ValueError(f"invalid output name {name!r}")
        self.outputs[name] = value
        if self.output_file is None:
            return
        delimiter = f"ghadelimiter_{uuid.uuid4()}"
        while delimiter in value:  # practically never; a delimiter inside the value would cut it
            delimiter = f"ghadelimiter_{uuid.uuid4()}"
        with self.output_file.open("a", encoding="utf-8", newline="\n") as handle:
            handle.write(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")

    def set_outputs(self, outputs: Mapping[str, str]) -> None:
        """Set several outputs."""
        for name, value in outputs.items():
            self.set_output(name, value)

    def append_summary(self, markdown: str) -> bool:
        """Append Markdown to the step summary, keeping the file under the 1 MiB limit.

        Returns False when the text had to be truncated (a note says so in the summary).
        Without a summary file the text is dropped and True is returned.
        """
        if self.summary_file is None:
            return True
        try:
            used = self.summary_file.stat().st_size
        except FileNotFoundError:
            used = 0
        payload = markdown if markdown.endswith("\n") else markdown + "\n"
        data = payload.encode("utf-8")
        room = self.summary_limit - 1 - used  # strictly under the limit
        complete = len(data) <= room
        if not complete:
            note = _SUMMARY_TRUNCATED_NOTE.encode("utf-8")
            keep = max(0, room - len(note))
            head = data[:keep].decode("utf-8", errors="ignore")
            # Cut at a line end so a table row or tag is not left half-written.
            if "\n" in head:
                head = head[: head.rindex("\n") + 1]
            data = (head.encode("utf-8") + note) if room >= len(note) else b""
        if data:
            with self.summary_file.open("ab") as handle:
                handle.write(data)
        return complete
